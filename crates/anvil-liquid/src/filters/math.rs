//! Arithmetic filters. Numbers follow the reference: integers stay integers (with floored
//! division and modulo), and float arithmetic is done in decimal so that `10.1 | plus: 2.2` is
//! `12.3`, not `12.299999999999999`.

use super::{FilterArgs, FilterContext, FilterRegistry};
use crate::value::Value;

/// A number as the arithmetic filters see it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    pub fn to_value(self) -> Value {
        match self {
            Num::Int(i) => Value::Int(i),
            Num::Float(f) => Value::Float(f),
        }
    }

    pub fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
}

/// The reference's `to_number`: numbers as they are; a string of the form `-1.5` is a float,
/// any other string its leading integer (`"12abc"` is 12, `"abc"` is 0); anything else 0.
pub(super) fn to_num(v: &Value) -> Num {
    match v {
        Value::Int(i) => Num::Int(*i),
        Value::Float(f) => Num::Float(*f),
        Value::Str(s) => parse_num(s),
        _ => Num::Int(0),
    }
}

fn parse_num(s: &str) -> Num {
    let t = s.trim();
    let b = t.as_bytes();
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    let is_decimal = digits.iter().position(|&c| c == b'.').is_some_and(|dot| {
        dot > 0
            && dot + 1 < digits.len()
            && digits[..dot].iter().all(u8::is_ascii_digit)
            && digits[dot + 1..].iter().all(u8::is_ascii_digit)
    });
    if is_decimal {
        return Num::Float(t.parse().unwrap_or(0.0));
    }
    // Leading integer, as Ruby's `to_i`.
    let mut end = usize::from(b.first() == Some(&b'-') || b.first() == Some(&b'+'));
    while end < b.len() && b[end].is_ascii_digit() {
        end += 1;
    }
    match t[..end].parse::<i64>() {
        Ok(i) => Num::Int(i),
        Err(_) if end > 1 => Num::Float(t[..end].parse().unwrap_or(0.0)),
        Err(_) => Num::Int(0),
    }
}

/// A decimal `mantissa * 10^-scale`, for exact float arithmetic on what the author wrote.
#[derive(Debug, Clone, Copy)]
struct Dec {
    m: i128,
    scale: u32,
}

impl Dec {
    fn from_f64(f: f64) -> Option<Dec> {
        if !f.is_finite() {
            return None;
        }
        // Shortest round-trip digits, as the reference converts floats through their text.
        let s = format!("{f:e}");
        let (mant, exp) = s.split_once('e')?;
        let exp: i32 = exp.parse().ok()?;
        let neg = mant.starts_with('-');
        let mant = mant.trim_start_matches('-');
        let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
        let digits: i128 = format!("{int}{frac}").parse().ok()?;
        let scale = frac.len() as i32 - exp;
        let (m, scale) = if scale >= 0 {
            (digits, scale as u32)
        } else {
            (digits.checked_mul(10i128.checked_pow((-scale) as u32)?)?, 0)
        };
        if scale > 30 {
            return None;
        }
        Some(Dec {
            m: if neg { -m } else { m },
            scale,
        })
    }

    fn from_num(n: Num) -> Option<Dec> {
        match n {
            Num::Int(i) => Some(Dec {
                m: i as i128,
                scale: 0,
            }),
            Num::Float(f) => Dec::from_f64(f),
        }
    }

    fn align(a: Dec, b: Dec) -> Option<(i128, i128, u32)> {
        let scale = a.scale.max(b.scale);
        let am = a.m.checked_mul(10i128.checked_pow(scale - a.scale)?)?;
        let bm = b.m.checked_mul(10i128.checked_pow(scale - b.scale)?)?;
        Some((am, bm, scale))
    }

    fn to_f64(self) -> f64 {
        let s = self.m.unsigned_abs().to_string();
        let scale = self.scale as usize;
        let text = if scale == 0 {
            s
        } else if s.len() > scale {
            format!("{}.{}", &s[..s.len() - scale], &s[s.len() - scale..])
        } else {
            format!("0.{}{}", "0".repeat(scale - s.len()), s)
        };
        let f: f64 = text.parse().unwrap_or(f64::NAN);
        if self.m < 0 { -f } else { f }
    }
}

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

fn floor_div(a: i64, b: i64) -> Option<i64> {
    let q = a.checked_div(b)?;
    if (a % b != 0) && ((a < 0) != (b < 0)) {
        q.checked_sub(1)
    } else {
        Some(q)
    }
}

fn floor_mod(a: i64, b: i64) -> Option<i64> {
    if b == -1 {
        return Some(0);
    }
    let r = a.checked_rem(b)?;
    Some(if r != 0 && ((r < 0) != (b < 0)) {
        r + b
    } else {
        r
    })
}

fn apply(op: Op, a: Num, b: Num) -> Result<Num, String> {
    if let (Num::Int(x), Num::Int(y)) = (a, b) {
        let r = match op {
            Op::Add => x.checked_add(y),
            Op::Sub => x.checked_sub(y),
            Op::Mul => x.checked_mul(y),
            Op::Div | Op::Mod if y == 0 => return Err("divided by 0".to_string()),
            Op::Div => floor_div(x, y),
            Op::Mod => floor_mod(x, y),
        };
        // Past i64 the reference has big integers; we fall back to floats rather than wrap.
        return Ok(match r {
            Some(i) => Num::Int(i),
            None => float_op(op, x as f64, y as f64),
        });
    }
    if matches!(op, Op::Div | Op::Mod) && b.as_f64() == 0.0 {
        return Err("divided by 0".to_string());
    }
    if let (Some(da), Some(db)) = (Dec::from_num(a), Dec::from_num(b)) {
        let exact = match op {
            Op::Add | Op::Sub | Op::Mod => Dec::align(da, db).and_then(|(x, y, scale)| {
                let m = match op {
                    Op::Add => x.checked_add(y)?,
                    Op::Sub => x.checked_sub(y)?,
                    _ => {
                        let r = x.checked_rem(y)?;
                        if r != 0 && ((r < 0) != (y < 0)) {
                            r + y
                        } else {
                            r
                        }
                    }
                };
                Some(Dec { m, scale })
            }),
            Op::Mul => da.m.checked_mul(db.m).map(|m| Dec {
                m,
                scale: da.scale + db.scale,
            }),
            Op::Div => None,
        };
        if let Some(d) = exact.filter(|d| d.scale <= 60) {
            return Ok(Num::Float(d.to_f64()));
        }
    }
    Ok(float_op(op, a.as_f64(), b.as_f64()))
}

fn float_op(op: Op, x: f64, y: f64) -> Num {
    Num::Float(match op {
        Op::Add => x + y,
        Op::Sub => x - y,
        Op::Mul => x * y,
        Op::Div => x / y,
        Op::Mod => x - y * (x / y).floor(),
    })
}

fn arithmetic(r: &mut FilterRegistry, name: &str, op: Op) {
    r.register(name, move |input, args, _ctx| {
        args.expect_count(1, 1)?;
        let b = to_num(args.get(0).unwrap_or(&Value::Nil));
        Ok(apply(op, to_num(input), b).map(Num::to_value)?)
    });
}

fn no_args(args: &FilterArgs<'_>) -> Result<(), String> {
    args.expect_count(0, 0)
}

fn round(input: &Value, args: &FilterArgs<'_>, _ctx: &FilterContext) -> super::FilterResult {
    args.expect_count(0, 1)?;
    let digits = match args.get(0).map(to_num) {
        None => 0,
        Some(Num::Int(i)) => i,
        Some(Num::Float(f)) => f as i64,
    };
    Ok(match to_num(input) {
        Num::Int(i) if digits >= 0 => Value::Int(i),
        Num::Int(i) => {
            let p = 10f64.powi(digits.clamp(-300, 0).unsigned_abs() as i32);
            Value::Int(((i as f64 / p).round() * p) as i64)
        }
        Num::Float(f) if digits > 0 => {
            let d = digits.min(300) as i32;
            let p = 10f64.powi(d);
            let r = (f * p).round() / p;
            // Reparse through text: `5.666 | round: 2` is 5.67 exactly as printed.
            Value::Float(format!("{r:.*}", d as usize).parse().unwrap_or(r))
        }
        Num::Float(f) => {
            let p = 10f64.powi(digits.clamp(-300, 0).unsigned_abs() as i32);
            let r = (f / p).round() * p;
            if r.is_finite() && r.abs() < 9.2e18 {
                Value::Int(r as i64)
            } else {
                Value::Float(r)
            }
        }
    })
}

fn to_int_value(f: f64) -> Value {
    if f.is_finite() && f.abs() < 9.2e18 {
        Value::Int(f as i64)
    } else {
        Value::Float(f)
    }
}

pub(super) fn register(r: &mut FilterRegistry) {
    arithmetic(r, "plus", Op::Add);
    arithmetic(r, "minus", Op::Sub);
    arithmetic(r, "times", Op::Mul);
    arithmetic(r, "divided_by", Op::Div);
    arithmetic(r, "modulo", Op::Mod);
    r.register("abs", |input, args, _| {
        no_args(args)?;
        Ok(match to_num(input) {
            Num::Int(i) => i
                .checked_abs()
                .map_or(Value::Float((i as f64).abs()), Value::Int),
            Num::Float(f) => Value::Float(f.abs()),
        })
    });
    r.register("ceil", |input, args, _| {
        no_args(args)?;
        Ok(match to_num(input) {
            Num::Int(i) => Value::Int(i),
            Num::Float(f) => to_int_value(f.ceil()),
        })
    });
    r.register("floor", |input, args, _| {
        no_args(args)?;
        Ok(match to_num(input) {
            Num::Int(i) => Value::Int(i),
            Num::Float(f) => to_int_value(f.floor()),
        })
    });
    r.register("round", round);
    r.register("at_least", |input, args, _| {
        args.expect_count(1, 1)?;
        let (a, b) = (to_num(input), to_num(args.get(0).unwrap_or(&Value::Nil)));
        Ok(if b.as_f64() > a.as_f64() { b } else { a }.to_value())
    });
    r.register("at_most", |input, args, _| {
        args.expect_count(1, 1)?;
        let (a, b) = (to_num(input), to_num(args.get(0).unwrap_or(&Value::Nil)));
        Ok(if b.as_f64() < a.as_f64() { b } else { a }.to_value())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calc(op: Op, a: Value, b: Value) -> String {
        match apply(op, to_num(&a), to_num(&b)) {
            Ok(n) => n.to_value().to_output(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn decimal_arithmetic_prints_what_authors_expect() {
        assert_eq!(calc(Op::Add, 10.1.into(), 2.2.into()), "12.3");
        assert_eq!(calc(Op::Mod, 10.1.into(), 7.0.into()), "3.1");
        assert_eq!(calc(Op::Mul, "5.0".into(), "2.1".into()), "10.5");
        assert_eq!(calc(Op::Sub, "foo".into(), "2.0".into()), "-2.0");
    }

    #[test]
    fn integer_division_floors_and_zero_is_an_error() {
        assert_eq!(calc(Op::Div, 9.into(), 2.into()), "4");
        assert_eq!(calc(Op::Div, (-9).into(), 2.into()), "-5");
        assert_eq!(calc(Op::Mod, (-7).into(), 3.into()), "2");
        assert_eq!(calc(Op::Div, 1.into(), 0.into()), "error: divided by 0");
        assert_eq!(calc(Op::Div, 20.into(), 7.0.into()), "2.857142857142857");
    }

    #[test]
    fn overflow_falls_back_to_floats_instead_of_panicking() {
        assert_eq!(
            calc(Op::Mul, i64::MAX.into(), 2.into()),
            "1.8446744073709552e+19"
        );
        assert_eq!(
            calc(Op::Div, i64::MIN.into(), (-1).into()),
            "9.223372036854776e+18"
        );
        assert_eq!(calc(Op::Mod, i64::MIN.into(), (-1).into()), "0");
    }

    #[test]
    fn strings_convert_like_the_reference() {
        assert!(matches!(parse_num("12abc"), Num::Int(12)));
        assert!(matches!(parse_num("-5.1"), Num::Float(f) if f == -5.1));
        assert!(matches!(parse_num("abc"), Num::Int(0)));
    }
}
