//! String filters. Inputs and arguments are converted to text first (nil is the empty string),
//! so `5 | append: 'x'` is `5x` as in the reference.

use std::borrow::Cow;

use super::{FilterArgs, FilterContext, FilterError, FilterRegistry};
use crate::value::Value;

/// A value as text; nil is empty.
pub(super) fn text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::Str(s) => Cow::Borrowed(s),
        Value::Nil => Cow::Borrowed(""),
        other => Cow::Owned(other.to_output()),
    }
}

fn arg_text<'a>(args: &FilterArgs<'a>, i: usize) -> Cow<'a, str> {
    args.get(i).map_or(Cow::Borrowed(""), text)
}

/// The reference's `to_integer`: integers, and strings that are integers; anything else is an
/// error naming the argument.
pub(super) fn to_integer(v: Option<&Value>, what: &str) -> Result<i64, String> {
    match v {
        Some(Value::Int(i)) => Ok(*i),
        Some(Value::Str(s)) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("{what} must be an integer, got '{s}'")),
        Some(other) => Err(format!(
            "{what} must be an integer, got {}",
            other.type_name()
        )),
        None => Err(format!("{what} is required")),
    }
}

/// Checks that a string about to be built stays under the size limit.
pub(super) fn check_len(len: usize, ctx: &FilterContext) -> Result<(), FilterError> {
    if len > ctx.max_string {
        Err(FilterError::Limit(format!(
            "result of {len} bytes exceeds the limit of {} bytes",
            ctx.max_string
        )))
    } else {
        Ok(())
    }
}

fn unary(r: &mut FilterRegistry, name: &str, f: fn(&str) -> String) {
    r.register(name, move |input, args, _| {
        args.expect_count(0, 0)?;
        Ok(Value::from(f(&text(input))))
    });
}

fn is_strip_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c' | '\0')
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.as_str().to_lowercase().chars())
            .collect(),
        None => String::new(),
    }
}

pub(super) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes like `escape`, leaving existing entities (`&amp;`, `&#39;`) alone.
fn escape_once(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '&' {
            let after = &rest[1..];
            let entity_len = after.find(';').filter(|&end| {
                let name = &after[..end];
                end > 0
                    && (name.bytes().all(|b| b.is_ascii_alphabetic())
                        || (name.len() > 1
                            && name.starts_with('#')
                            && name[1..].bytes().all(|b| b.is_ascii_digit())))
            });
            if entity_len.is_some() {
                out.push('&');
            } else {
                out.push_str("&amp;");
            }
        } else {
            match c {
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                _ => out.push(c),
            }
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn newline_to_br(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\n', "<br />\n")
}

fn strip_newlines(s: &str) -> String {
    s.chars().filter(|c| *c != '\n' && *c != '\r').collect()
}

/// Removes `<script>`/`<style>` blocks, comments and tags.
fn strip_html(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let rest = &lower[i..];
        let skip_to = if rest.starts_with("<!--") {
            rest.find("-->").map(|e| i + e + 3)
        } else if rest.starts_with("<script") {
            rest.find("</script>").map(|e| i + e + 9)
        } else if rest.starts_with("<style") {
            rest.find("</style>").map(|e| i + e + 8)
        } else if rest.starts_with('<') {
            rest.find('>').map(|e| i + e + 1)
        } else {
            None
        };
        match skip_to {
            Some(j) => i = j,
            None => {
                let c = s[i..].chars().next().unwrap_or(' ');
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

/// Ruby's `gsub`/`sub` with a literal pattern; an empty pattern matches between characters.
fn replace(
    s: &str,
    pat: &str,
    rep: &str,
    which: Which,
    ctx: &FilterContext,
) -> Result<String, FilterError> {
    if pat.is_empty() {
        return Ok(match which {
            Which::First => format!("{rep}{s}"),
            Which::Last => format!("{s}{rep}"),
            Which::All => {
                let n = s.chars().count() + 1;
                check_len(s.len() + n.saturating_mul(rep.len()), ctx)?;
                let mut out = String::with_capacity(s.len() + n * rep.len());
                out.push_str(rep);
                for c in s.chars() {
                    out.push(c);
                    out.push_str(rep);
                }
                out
            }
        });
    }
    Ok(match which {
        Which::All => {
            let n = s.matches(pat).count();
            check_len(s.len() - n * pat.len() + n.saturating_mul(rep.len()), ctx)?;
            s.replace(pat, rep)
        }
        Which::First => s.replacen(pat, rep, 1),
        Which::Last => match s.rfind(pat) {
            Some(i) => format!("{}{rep}{}", &s[..i], &s[i + pat.len()..]),
            None => s.to_string(),
        },
    })
}

#[derive(Clone, Copy)]
enum Which {
    All,
    First,
    Last,
}

fn register_replace(r: &mut FilterRegistry, name: &str, which: Which, min_args: usize) {
    r.register(name, move |input, args, ctx| {
        args.expect_count(min_args, 2)?;
        let out = replace(
            &text(input),
            &arg_text(args, 0),
            &arg_text(args, 1),
            which,
            ctx,
        )?;
        Ok(Value::from(out))
    });
}

fn register_remove(r: &mut FilterRegistry, name: &str, which: Which) {
    r.register(name, move |input, args, ctx| {
        args.expect_count(1, 1)?;
        let pat = arg_text(args, 0);
        if pat.is_empty() {
            return Ok(Value::from(text(input).into_owned()));
        }
        Ok(Value::from(replace(&text(input), &pat, "", which, ctx)?))
    });
}

/// Ruby's `split`: a single space splits on runs of whitespace (ignoring leading whitespace),
/// an empty pattern splits into characters, and trailing empty strings are dropped.
pub(super) fn split(s: &str, pat: &str) -> Vec<Value> {
    let mut parts: Vec<Value> = if pat == " " {
        s.split(|c: char| c.is_ascii_whitespace() || c == '\x0b')
            .filter(|p| !p.is_empty())
            .map(Value::from)
            .collect()
    } else if pat.is_empty() {
        s.chars().map(|c| Value::from(c.to_string())).collect()
    } else {
        s.split(pat).map(Value::from).collect()
    };
    while parts.last().is_some_and(|p| p.as_str() == Some("")) {
        parts.pop();
    }
    parts
}

fn truncate(input: &Value, args: &FilterArgs<'_>, _: &FilterContext) -> super::FilterResult {
    args.expect_count(0, 2)?;
    if input.is_nil() {
        return Ok(Value::Nil);
    }
    let length = match args.get(0) {
        None => 50,
        some => to_integer(some, "length")?,
    };
    let ellipsis = args.get(1).map_or(Cow::Borrowed("..."), text);
    let s = text(input);
    let n = s.chars().count();
    if n as i64 <= length {
        return Ok(Value::from(s.into_owned()));
    }
    let keep = (length - ellipsis.chars().count() as i64).max(0) as usize;
    let mut out: String = s.chars().take(keep).collect();
    out.push_str(&ellipsis);
    Ok(Value::from(out))
}

fn truncatewords(input: &Value, args: &FilterArgs<'_>, _: &FilterContext) -> super::FilterResult {
    args.expect_count(0, 2)?;
    if input.is_nil() {
        return Ok(Value::Nil);
    }
    let words = match args.get(0) {
        None => 15,
        some => to_integer(some, "number of words")?,
    };
    let words = words.max(1) as usize;
    let ellipsis = args.get(1).map_or(Cow::Borrowed("..."), text);
    let s = text(input);
    // The reference splits with a limit of `words + 1` pieces: anything after the last word
    // it keeps, even trailing whitespace, is a piece, and so truncates.
    let mut kept = Vec::new();
    let mut rest = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    while kept.len() < words && !rest.is_empty() {
        let end = rest
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        kept.push(&rest[..end]);
        rest = &rest[end..];
        if kept.len() < words {
            rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
        }
    }
    if rest.is_empty() {
        return Ok(Value::from(s.into_owned()));
    }
    let mut out = kept.join(" ");
    out.push_str(&ellipsis);
    Ok(Value::from(out))
}

/// `slice: offset, length` on strings (by character) and arrays.
fn slice(input: &Value, args: &FilterArgs<'_>, ctx: &FilterContext) -> super::FilterResult {
    args.expect_count(1, 2)?;
    let offset = to_integer(args.get(0), "offset")?;
    let length = match args.get(1) {
        None | Some(Value::Nil) => 1,
        some => to_integer(some, "length")?,
    };
    let window = |len: usize| -> Option<(usize, usize)> {
        let len_i = len as i64;
        let start = if offset < 0 { offset + len_i } else { offset };
        if start < 0 || start > len_i || length < 0 {
            return None;
        }
        let end = start.saturating_add(length).min(len_i);
        Some((start as usize, end as usize))
    };
    if let Some(items) = input.to_items(ctx.max_items)? {
        return Ok(match window(items.len()) {
            Some((a, b)) => Value::array(items[a..b].to_vec()),
            None => Value::array(Vec::new()),
        });
    }
    if input.is_nil() {
        return Ok(Value::Nil);
    }
    let s = text(input);
    let chars: Vec<char> = s.chars().collect();
    Ok(match window(chars.len()) {
        Some((a, b)) => Value::from(chars[a..b].iter().collect::<String>()),
        None => Value::from(""),
    })
}

pub(super) fn register(r: &mut FilterRegistry) {
    r.register("append", |input, args, ctx| {
        args.expect_count(1, 1)?;
        let (a, b) = (text(input), arg_text(args, 0));
        check_len(a.len() + b.len(), ctx)?;
        Ok(Value::from(format!("{a}{b}")))
    });
    r.register("prepend", |input, args, ctx| {
        args.expect_count(1, 1)?;
        let (a, b) = (text(input), arg_text(args, 0));
        check_len(a.len() + b.len(), ctx)?;
        Ok(Value::from(format!("{b}{a}")))
    });
    unary(r, "capitalize", capitalize);
    unary(r, "downcase", str::to_lowercase);
    unary(r, "upcase", str::to_uppercase);
    unary(r, "escape", escape_html);
    unary(r, "h", escape_html);
    unary(r, "escape_once", escape_once);
    unary(r, "lstrip", |s| {
        s.trim_start_matches(is_strip_ws).to_string()
    });
    unary(r, "rstrip", |s| s.trim_end_matches(is_strip_ws).to_string());
    unary(r, "strip", |s| s.trim_matches(is_strip_ws).to_string());
    unary(r, "newline_to_br", newline_to_br);
    unary(r, "strip_newlines", strip_newlines);
    unary(r, "strip_html", strip_html);
    register_replace(r, "replace", Which::All, 1);
    register_replace(r, "replace_first", Which::First, 1);
    register_replace(r, "replace_last", Which::Last, 2);
    register_remove(r, "remove", Which::All);
    register_remove(r, "remove_first", Which::First);
    register_remove(r, "remove_last", Which::Last);
    r.register("split", |input, args, _| {
        args.expect_count(1, 1)?;
        if input.is_nil() {
            return Ok(Value::Nil);
        }
        Ok(Value::array(split(&text(input), &arg_text(args, 0))))
    });
    r.register("truncate", truncate);
    r.register("truncatewords", truncatewords);
    r.register("slice", slice);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_once_keeps_entities() {
        assert_eq!(
            escape_once("&lt;p&gt;test&lt;/p&gt;<p>&amp &#20; &#x;"),
            "&lt;p&gt;test&lt;/p&gt;&lt;p&gt;&amp;amp &#20; &amp;#x;"
        );
    }

    #[test]
    fn strip_html_removes_blocks_comments_and_tags() {
        assert_eq!(
            strip_html("<!-- a \n b --><script>x</script><em>you</em> &amp; <STYLE>s</style>!"),
            "you &amp; !"
        );
    }

    #[test]
    fn split_follows_ruby() {
        let texts = |v: Vec<Value>| v.iter().map(Value::to_output).collect::<Vec<_>>();
        assert_eq!(texts(split("  a b\nc ", " ")), ["a", "b", "c"]);
        assert_eq!(texts(split("a,,b,,", ",")), ["a", "", "b"]);
        assert_eq!(texts(split("ab", "")), ["a", "b"]);
        assert!(split(",", ",").is_empty());
    }

    #[test]
    fn replace_with_an_empty_pattern_and_a_size_limit() {
        let ctx = FilterContext {
            max_string: 20,
            ..FilterContext::default()
        };
        assert_eq!(
            replace("ab", "", "#", Which::All, &ctx).as_deref(),
            Ok("#a#b#")
        );
        assert!(matches!(
            replace("aaaaaaaaaa", "a", "xxx", Which::All, &ctx),
            Err(FilterError::Limit(_))
        ));
    }
}
