//! Runtime values of the engine.
//!
//! Strings, arrays and objects are reference-counted so that binding a loop variable or passing a
//! value through a filter chain clones a pointer, not the data.

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::sync::Arc;

use indexmap::IndexMap;

/// An object's entries, in insertion order (JSON data keeps its order, as Liquid users expect
/// when they loop over a hash).
pub type Object = IndexMap<Arc<str>, Value>;

/// A Liquid value.
#[derive(Debug, Clone, Default)]
pub enum Value {
    #[default]
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    Array(Arc<Vec<Value>>),
    Object(Arc<Object>),
    /// An inclusive integer range, `(1..5)`. Kept lazy so that a large range costs nothing until
    /// something iterates it (and the loop limit applies then).
    Range(i64, i64),
    /// The `empty` literal: equal to empty strings, arrays and objects.
    Empty,
    /// The `blank` literal: equal to nil, false, whitespace-only strings and empty collections.
    Blank,
}

impl Value {
    pub fn str(s: impl Into<Arc<str>>) -> Value {
        Value::Str(s.into())
    }

    pub fn array(items: Vec<Value>) -> Value {
        Value::Array(Arc::new(items))
    }

    pub fn object(entries: Object) -> Value {
        Value::Object(Arc::new(entries))
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// Liquid truthiness: only `nil` and `false` are falsy.
    pub fn is_truthy(&self) -> bool {
        !matches!(self, Value::Nil | Value::Bool(false))
    }

    /// `empty` semantics: an empty string, array, object or range.
    pub fn is_empty_value(&self) -> bool {
        match self {
            Value::Str(s) => s.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
            Value::Range(a, b) => b < a,
            Value::Empty => true,
            _ => false,
        }
    }

    /// `blank` semantics: nil, false, whitespace-only strings and empty collections.
    pub fn is_blank_value(&self) -> bool {
        match self {
            Value::Nil | Value::Bool(false) | Value::Blank | Value::Empty => true,
            Value::Str(s) => s.chars().all(char::is_whitespace),
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
            _ => false,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The type name used in error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
            Value::Range(..) => "range",
            Value::Empty => "empty",
            Value::Blank => "blank",
        }
    }

    /// Number of items of a range, saturating (ranges can span the whole i64 domain).
    pub fn range_len(start: i64, end: i64) -> u64 {
        if end < start {
            0
        } else {
            (end as i128 - start as i128 + 1).min(u64::MAX as i128) as u64
        }
    }

    /// `size` as Liquid defines it: characters of a string, items of a collection, else 0.
    pub fn size(&self) -> usize {
        match self {
            Value::Str(s) => s.chars().count(),
            Value::Array(a) => a.len(),
            Value::Object(o) => o.len(),
            Value::Range(a, b) => Value::range_len(*a, *b).min(usize::MAX as u64) as usize,
            _ => 0,
        }
    }

    /// Materialises an array-like value (array or range) into items, refusing ranges longer than
    /// `max_items`. Other values give `None`.
    pub fn to_items(&self, max_items: usize) -> Result<Option<Vec<Value>>, String> {
        match self {
            Value::Array(a) => Ok(Some(a.as_ref().clone())),
            Value::Range(a, b) => {
                let len = Value::range_len(*a, *b);
                if len > max_items as u64 {
                    return Err(format!(
                        "range of {len} items exceeds the limit of {max_items} items"
                    ));
                }
                Ok(Some((*a..=*b).map(Value::Int).collect()))
            }
            _ => Ok(None),
        }
    }

    /// Renders the value as template output, appending to `out`.
    pub fn write_to(&self, out: &mut String) {
        match self {
            Value::Nil | Value::Empty | Value::Blank => {}
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => write_float(*f, out),
            Value::Str(s) => out.push_str(s),
            Value::Array(items) => {
                for item in items.iter() {
                    item.write_to(out);
                }
            }
            Value::Object(_) => self.write_inspect(out),
            Value::Range(a, b) => {
                let _ = write!(out, "{a}..{b}");
            }
        }
    }

    /// The value's output text as an owned string.
    pub fn to_output(&self) -> String {
        match self {
            Value::Str(s) => s.to_string(),
            _ => {
                let mut s = String::new();
                self.write_to(&mut s);
                s
            }
        }
    }

    /// Ruby-style `inspect` output, used when a hash is printed.
    pub fn write_inspect(&self, out: &mut String) {
        match self {
            Value::Nil | Value::Empty | Value::Blank => out.push_str("nil"),
            Value::Str(s) => {
                out.push('"');
                for c in s.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\t' => out.push_str("\\t"),
                        _ => out.push(c),
                    }
                }
                out.push('"');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_inspect(out);
                }
                out.push(']');
            }
            Value::Object(o) => {
                out.push('{');
                for (i, (k, v)) in o.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    Value::Str(k.clone()).write_inspect(out);
                    out.push_str("=>");
                    v.write_inspect(out);
                }
                out.push('}');
            }
            other => other.write_to(out),
        }
    }

    /// Liquid's `==`.
    pub fn liquid_eq(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (Empty, o) | (o, Empty) => matches!(o, Empty) || o.is_empty_value(),
            (Blank, o) | (o, Blank) => o.is_blank_value(),
            (Nil, Nil) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Int(a), Float(b)) | (Float(b), Int(a)) => (*a as f64) == *b,
            (Float(a), Float(b)) => a == b,
            (Str(a), Str(b)) => a == b,
            (Array(a), Array(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.liquid_eq(y))
            }
            (Object(a), Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.get(k).is_some_and(|w| v.liquid_eq(w)))
            }
            (Range(a, b), Range(c, d)) => a == c && b == d,
            _ => false,
        }
    }

    /// Liquid's ordering for `<`, `>`, `<=`, `>=` and sorting: numbers with numbers, strings
    /// with strings; anything else is incomparable.
    pub fn liquid_cmp(&self, other: &Value) -> Option<Ordering> {
        use Value::*;
        match (self, other) {
            (Int(a), Int(b)) => Some(a.cmp(b)),
            (Int(a), Float(b)) => (*a as f64).partial_cmp(b),
            (Float(a), Int(b)) => a.partial_cmp(&(*b as f64)),
            (Float(a), Float(b)) => a.partial_cmp(b),
            (Str(a), Str(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    /// Looks up `key` on an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(o) => o.get(key),
            _ => None,
        }
    }

    /// Converts to a number for arithmetic filters: numbers as they are, numeric strings parsed
    /// (integers stay integers), anything else `None`.
    pub fn to_number(&self) -> Option<Value> {
        match self {
            Value::Int(_) | Value::Float(_) => Some(self.clone()),
            Value::Str(s) => parse_number(s.trim()),
            _ => None,
        }
    }
}

/// Parses an integer or decimal literal as Liquid accepts it in strings (`"12"`, `"-3.5"`).
pub fn parse_number(s: &str) -> Option<Value> {
    if s.is_empty() {
        return None;
    }
    if let Ok(i) = s.parse::<i64>() {
        return Some(Value::Int(i));
    }
    let bytes = s.as_bytes();
    let digits = bytes.strip_prefix(b"-").unwrap_or(bytes);
    let plausible = !digits.is_empty()
        && digits[0].is_ascii_digit()
        && digits
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if plausible && let Ok(f) = s.parse::<f64>() {
        return Some(Value::Float(f));
    }
    None
}

/// Formats a float the way the reference implementation prints it: always with a fractional
/// part, shortest round-trip digits, exponent notation outside 1e-4..1e16.
pub fn write_float(f: f64, out: &mut String) {
    if f.is_nan() {
        out.push_str("NaN");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if f == 0.0 {
        out.push_str(if f.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-5..16).contains(&exp) {
        let plain = format!("{f}");
        out.push_str(&plain);
        if !plain.contains('.') {
            out.push_str(".0");
        }
    } else {
        out.push_str(mantissa);
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Self {
        match v {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::Str(s.into()),
            serde_json::Value::Array(a) => Value::array(a.into_iter().map(Value::from).collect()),
            serde_json::Value::Object(o) => Value::object(
                o.into_iter()
                    .map(|(k, v)| (Arc::from(k), Value::from(v)))
                    .collect(),
            ),
        }
    }
}

impl From<&serde_json::Value> for Value {
    fn from(v: &serde_json::Value) -> Self {
        Value::from(v.clone())
    }
}

impl From<&Value> for serde_json::Value {
    fn from(v: &Value) -> Self {
        match v {
            Value::Nil | Value::Empty | Value::Blank => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Str(s) => serde_json::Value::String(s.to_string()),
            Value::Array(a) => serde_json::Value::Array(a.iter().map(Into::into).collect()),
            Value::Object(o) => serde_json::Value::Object(
                o.iter()
                    .map(|(k, v)| (k.to_string(), serde_json::Value::from(v)))
                    .collect(),
            ),
            Value::Range(a, b) => serde_json::Value::String(format!("{a}..{b}")),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.into())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s.into())
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(f: f64) -> String {
        let mut s = String::new();
        write_float(f, &mut s);
        s
    }

    #[test]
    fn floats_print_like_the_reference() {
        assert_eq!(float(1.0), "1.0");
        assert_eq!(float(1.23), "1.23");
        assert_eq!(float(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(float(1e20), "1e+20");
        assert_eq!(float(1.5e-7), "1.5e-07");
        assert_eq!(float(0.0001), "0.0001");
        assert_eq!(float(-2.5), "-2.5");
    }

    #[test]
    fn blank_and_empty_compare_like_liquid() {
        assert!(Value::Blank.liquid_eq(&Value::str("  ")));
        assert!(Value::Empty.liquid_eq(&Value::str("")));
        assert!(!Value::Empty.liquid_eq(&Value::str(" ")));
        assert!(Value::Int(1).liquid_eq(&Value::Float(1.0)));
    }
}
