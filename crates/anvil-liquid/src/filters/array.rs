//! Array filters. As in the reference, most of them treat a non-array input as a one-item array
//! and nil as an empty one, and flatten nested arrays.

use std::cmp::Ordering;
use std::collections::HashSet;

use super::math::{Num, to_num};
use super::string::text;
use super::{FilterArgs, FilterContext, FilterError, FilterRegistry};
use crate::value::Value;

/// The items of an array-like input: arrays and ranges as they are, nil as none, anything else
/// as a single item.
fn items(v: &Value, ctx: &FilterContext) -> Result<Vec<Value>, FilterError> {
    Ok(
        match v.to_items(ctx.max_items).map_err(FilterError::Limit)? {
            Some(items) => items,
            None if v.is_nil() => Vec::new(),
            None => vec![v.clone()],
        },
    )
}

fn too_many(ctx: &FilterContext) -> FilterError {
    FilterError::Limit(format!("result has more than {} items", ctx.max_items))
}

fn flatten_into(
    v: &Value,
    out: &mut Vec<Value>,
    ctx: &FilterContext,
    depth: usize,
) -> Result<(), FilterError> {
    match v {
        Value::Array(a) if depth < 64 => {
            for item in a.iter() {
                flatten_into(item, out, ctx, depth + 1)?;
            }
        }
        Value::Range(..) => out.extend(items(v, ctx)?),
        other => out.push(other.clone()),
    }
    if out.len() > ctx.max_items {
        return Err(too_many(ctx));
    }
    Ok(())
}

/// Items with nested arrays flattened.
fn flat_items(v: &Value, ctx: &FilterContext) -> Result<Vec<Value>, FilterError> {
    let mut out = Vec::new();
    for item in items(v, ctx)? {
        flatten_into(&item, &mut out, ctx, 0)?;
    }
    Ok(out)
}

fn prop<'a>(item: &'a Value, key: &str) -> Option<&'a Value> {
    item.get(key)
}

/// Ordering for `sort`: nils last, numbers with numbers, strings with strings.
fn sort_cmp(a: &Value, b: &Value) -> Result<Ordering, String> {
    match (a.is_nil(), b.is_nil()) {
        (true, true) => Ok(Ordering::Equal),
        (true, false) => Ok(Ordering::Greater),
        (false, true) => Ok(Ordering::Less),
        _ => a.liquid_cmp(b).ok_or_else(|| {
            format!(
                "cannot sort {} and {} together",
                a.type_name(),
                b.type_name()
            )
        }),
    }
}

fn sort_by(list: &mut [Value], key: impl Fn(&Value) -> Value) -> Result<(), FilterError> {
    let mut err = None;
    list.sort_by(|a, b| match sort_cmp(&key(a), &key(b)) {
        Ok(o) => o,
        Err(e) => {
            err.get_or_insert(e);
            Ordering::Equal
        }
    });
    err.map_or(Ok(()), |e| Err(FilterError::Invalid(e)))
}

/// Key of an item for `uniq`: equal keys for values Liquid considers the same.
fn uniq_key(v: &Value) -> String {
    let mut s = String::from(v.type_name());
    s.push(':');
    v.write_inspect(&mut s);
    s
}

fn join(input: &Value, args: &FilterArgs<'_>, ctx: &FilterContext) -> Result<Value, FilterError> {
    args.expect_count(0, 1)?;
    let glue = args.get(0).map_or(" ".into(), text);
    match input {
        Value::Array(_) | Value::Range(..) => {
            let list = flat_items(input, ctx)?;
            let mut out = String::new();
            for (i, item) in list.iter().enumerate() {
                if i > 0 {
                    out.push_str(&glue);
                }
                item.write_to(&mut out);
                super::string::check_len(out.len(), ctx)?;
            }
            Ok(Value::from(out))
        }
        other => Ok(other.clone()),
    }
}

fn first_or_last(input: &Value, first: bool) -> Value {
    match input {
        Value::Array(a) => if first { a.first() } else { a.last() }
            .cloned()
            .unwrap_or(Value::Nil),
        Value::Range(s, e) if s <= e => Value::Int(if first { *s } else { *e }),
        Value::Object(o) if first => o
            .first()
            .map(|(k, v)| Value::array(vec![Value::Str(k.clone()), v.clone()]))
            .unwrap_or(Value::Nil),
        // The reference gives nothing for a string (it is not a list of characters there).
        _ => Value::Nil,
    }
}

fn sort(input: &Value, args: &FilterArgs<'_>, ctx: &FilterContext) -> Result<Value, FilterError> {
    args.expect_count(0, 1)?;
    // As in the reference: nil is an empty list, any other value a list of itself.
    let mut list = items(input, ctx)?;
    match args.get(0).filter(|k| !k.is_nil()) {
        Some(key) => {
            let key = text(key).into_owned();
            sort_by(&mut list, |v| prop(v, &key).cloned().unwrap_or(Value::Nil))?;
        }
        None => sort_by(&mut list, Value::clone)?,
    }
    Ok(Value::array(list))
}

fn sort_natural(
    input: &Value,
    args: &FilterArgs<'_>,
    ctx: &FilterContext,
) -> Result<Value, FilterError> {
    args.expect_count(0, 1)?;
    let list = items(input, ctx)?;
    let key_name = args
        .get(0)
        .filter(|k| !k.is_nil())
        .map(|k| text(k).into_owned());
    let mut keyed: Vec<(Option<String>, Value)> = list
        .into_iter()
        .map(|v| {
            let k = match &key_name {
                Some(name) => prop(&v, name).cloned().unwrap_or(Value::Nil),
                None => v.clone(),
            };
            let k = if k.is_nil() {
                None
            } else {
                Some(k.to_output().to_lowercase())
            };
            (k, v)
        })
        .collect();
    keyed.sort_by(|(a, _), (b, _)| match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a), Some(b)) => a.cmp(b),
    });
    Ok(Value::array(keyed.into_iter().map(|(_, v)| v).collect()))
}

fn uniq(input: &Value, args: &FilterArgs<'_>, ctx: &FilterContext) -> Result<Value, FilterError> {
    args.expect_count(0, 1)?;
    let key_name = args
        .get(0)
        .filter(|k| !k.is_nil())
        .map(|k| text(k).into_owned());
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for v in items(input, ctx)? {
        let key = match &key_name {
            Some(name) => uniq_key(prop(&v, name).unwrap_or(&Value::Nil)),
            None => uniq_key(&v),
        };
        if seen.insert(key) {
            out.push(v);
        }
    }
    Ok(Value::array(out))
}

fn compact(
    input: &Value,
    args: &FilterArgs<'_>,
    ctx: &FilterContext,
) -> Result<Value, FilterError> {
    args.expect_count(0, 1)?;
    let key_name = args
        .get(0)
        .filter(|k| !k.is_nil())
        .map(|k| text(k).into_owned());
    let list = items(input, ctx)?
        .into_iter()
        .filter(|v| match &key_name {
            Some(name) => prop(v, name).is_some_and(|x| !x.is_nil()),
            None => !v.is_nil(),
        })
        .collect();
    Ok(Value::array(list))
}

fn map(input: &Value, args: &FilterArgs<'_>, ctx: &FilterContext) -> Result<Value, FilterError> {
    args.expect_count(1, 1)?;
    // As in the reference: nil maps to an empty list, an item without properties (a
    // string, a float, a boolean) to nil, and a whole number is an error.
    let key = args.get(0).map(text).unwrap_or_default();
    let mut out = Vec::new();
    for v in flat_items(input, ctx)? {
        out.push(match v {
            Value::Object(o) => o.get(key.as_ref()).cloned().unwrap_or(Value::Nil),
            Value::Int(_) => {
                return Err(format!("cannot select the property '{key}' of a number").into());
            }
            _ => Value::Nil,
        });
    }
    Ok(Value::array(out))
}

/// The test shared by `where`, `reject`, `find`, `find_index` and `has`: an object matches when
/// its property equals `value` (or, without a value, is truthy); a string when it contains the
/// property text; a number when it equals the property. `Ok(None)` means the item cannot be
/// tested (nil, booleans), which makes the whole result nil as in the reference.
fn matches(item: &Value, key: &Value, value: Option<&Value>) -> Result<Option<bool>, String> {
    Ok(Some(match item {
        Value::Object(o) => {
            let got = o.get(text(key).as_ref());
            match value {
                Some(v) => got.is_some_and(|g| g.liquid_eq(v)),
                None => got.is_some_and(Value::is_truthy),
            }
        }
        Value::Str(s) => {
            let needle = text(key);
            s.contains(needle.as_ref()) && value.is_none_or(|v| s.contains(text(v).as_ref()))
        }
        Value::Int(_) | Value::Float(_) => match key {
            Value::Int(_) | Value::Float(_) => item.liquid_eq(key),
            other => {
                return Err(format!(
                    "cannot compare a number with {}",
                    other.type_name()
                ));
            }
        },
        _ => return Ok(None),
    }))
}

/// Arguments `property[, value]`; an explicit nil value is the same as none.
fn key_value<'a>(args: &FilterArgs<'a>) -> Result<(&'a Value, Option<&'a Value>), FilterError> {
    args.expect_count(1, 2)?;
    let key = args.get(0).unwrap_or(&Value::Nil);
    Ok((key, args.get(1).filter(|v| !v.is_nil())))
}

fn where_(input: &Value, args: &FilterArgs<'_>, ctx: &FilterContext) -> Result<Value, FilterError> {
    let (key, value) = key_value(args)?;
    // As in the reference: nothing matches in nil or a string, a float or a boolean gives
    // nil, and a whole number is an error.
    match input {
        Value::Array(_) | Value::Object(_) | Value::Range(..) => {}
        Value::Nil | Value::Str(_) => return Ok(Value::array(Vec::new())),
        Value::Int(_) => {
            return Err(format!("cannot select the property '{}' of a number", text(key)).into());
        }
        _ => return Ok(Value::Nil),
    }
    let key = text(key).into_owned();
    let items = flat_items(input, ctx)?;
    if items.iter().any(|v| matches!(v, Value::Int(_))) {
        return Err(format!("cannot select the property '{key}' of a number").into());
    }
    let list = items
        .into_iter()
        .filter(|v| {
            let got = prop(v, &key);
            match value {
                Some(want) => got.is_some_and(|g| g.liquid_eq(want)),
                None => got.is_some_and(Value::is_truthy),
            }
        })
        .collect();
    Ok(Value::array(list))
}

fn reject(input: &Value, args: &FilterArgs<'_>, ctx: &FilterContext) -> Result<Value, FilterError> {
    let (key, value) = key_value(args)?;
    if input.is_nil() {
        return Ok(Value::Nil);
    }
    let mut out = Vec::new();
    for v in flat_items(input, ctx)? {
        match matches(&v, key, value)? {
            Some(true) => {}
            Some(false) => out.push(v),
            None => return Ok(Value::Nil),
        }
    }
    Ok(Value::array(out))
}

/// Index of the first match, or `None` (no match, or an item that cannot be tested).
fn find_position(
    input: &Value,
    args: &FilterArgs<'_>,
    ctx: &FilterContext,
) -> Result<Option<(usize, Value)>, FilterError> {
    let (key, value) = key_value(args)?;
    for (i, v) in flat_items(input, ctx)?.into_iter().enumerate() {
        match matches(&v, key, value)? {
            Some(true) => return Ok(Some((i, v))),
            Some(false) => {}
            None => return Ok(None),
        }
    }
    Ok(None)
}

fn has(input: &Value, args: &FilterArgs<'_>, ctx: &FilterContext) -> Result<Value, FilterError> {
    let (key, value) = key_value(args)?;
    for v in flat_items(input, ctx)? {
        match matches(&v, key, value)? {
            Some(true) => return Ok(Value::Bool(true)),
            Some(false) => {}
            None => return Ok(Value::Nil),
        }
    }
    Ok(Value::Bool(false))
}

fn concat(input: &Value, args: &FilterArgs<'_>, ctx: &FilterContext) -> Result<Value, FilterError> {
    args.expect_count(1, 1)?;
    let other = args.get(0).unwrap_or(&Value::Nil);
    if !matches!(other, Value::Array(_) | Value::Range(..)) {
        return Err(format!("expected an array argument, got {}", other.type_name()).into());
    }
    let mut list = flat_items(input, ctx)?;
    list.extend(items(other, ctx)?);
    if list.len() > ctx.max_items {
        return Err(too_many(ctx));
    }
    Ok(Value::array(list))
}

fn sum(input: &Value, args: &FilterArgs<'_>, ctx: &FilterContext) -> Result<Value, FilterError> {
    args.expect_count(0, 1)?;
    let key_name = args
        .get(0)
        .filter(|k| !k.is_nil())
        .map(|k| text(k).into_owned());
    let mut int: i64 = 0;
    let mut float: Option<f64> = None;
    for v in flat_items(input, ctx)? {
        let n = match (&key_name, &v) {
            (Some(name), Value::Object(o)) => o.get(name.as_str()).map_or(Num::Int(0), to_num),
            (Some(_), other) => {
                return Err(format!("cannot sum property of {}", other.type_name()).into());
            }
            (None, Value::Int(_) | Value::Float(_) | Value::Str(_)) => to_num(&v),
            (None, _) => Num::Int(0),
        };
        match (n, float.as_mut()) {
            (Num::Int(i), None) => match int.checked_add(i) {
                Some(s) => int = s,
                None => float = Some(int as f64 + i as f64),
            },
            (n, Some(f)) => *f += n.as_f64(),
            (Num::Float(x), None) => float = Some(int as f64 + x),
        }
    }
    Ok(float.map_or(Value::Int(int), Value::Float))
}

fn default(input: &Value, args: &FilterArgs<'_>, _: &FilterContext) -> Result<Value, FilterError> {
    args.expect_count(0, 1)?;
    let allow_false = args.keyword("allow_false").is_some_and(Value::is_truthy);
    let use_default = match input {
        Value::Nil => true,
        Value::Bool(false) => !allow_false,
        Value::Empty | Value::Blank => true,
        Value::Str(_) | Value::Array(_) | Value::Object(_) => input.is_empty_value(),
        _ => false,
    };
    Ok(if use_default {
        args.get(0).cloned().unwrap_or(Value::Nil)
    } else {
        input.clone()
    })
}

pub(super) fn register(r: &mut FilterRegistry) {
    r.register("join", join);
    r.register("first", |input, args, _| {
        args.expect_count(0, 0)?;
        Ok(first_or_last(input, true))
    });
    r.register("last", |input, args, _| {
        args.expect_count(0, 0)?;
        Ok(first_or_last(input, false))
    });
    r.register("size", |input, args, _| {
        args.expect_count(0, 0)?;
        Ok(Value::Int(input.size().min(i64::MAX as usize) as i64))
    });
    r.register("reverse", |input, args, ctx| {
        args.expect_count(0, 0)?;
        let mut list = items(input, ctx)?;
        list.reverse();
        Ok(Value::array(list))
    });
    r.register("sort", sort);
    r.register("sort_natural", sort_natural);
    r.register("uniq", uniq);
    r.register("compact", compact);
    r.register("map", map);
    r.register("where", where_);
    r.register("reject", reject);
    r.register("find", |input, args, ctx| {
        Ok(find_position(input, args, ctx)?.map_or(Value::Nil, |(_, v)| v))
    });
    r.register("find_index", |input, args, ctx| {
        Ok(find_position(input, args, ctx)?.map_or(Value::Nil, |(i, _)| Value::Int(i as i64)))
    });
    r.register("has", has);
    r.register("concat", concat);
    r.register("sum", sum);
    r.register("default", default);
}
