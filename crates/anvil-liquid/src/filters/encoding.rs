//! Base64 and URL encoding filters.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

use super::FilterRegistry;
use super::string::text;
use crate::value::Value;

fn decoded(bytes: Result<Vec<u8>, base64::DecodeError>) -> super::FilterResult {
    let bytes = bytes.map_err(|e| format!("invalid base64: {e}"))?;
    String::from_utf8(bytes)
        .map(Value::from)
        .map_err(|_| "decoded base64 is not UTF-8 text".into())
}

/// `CGI.escape`: unreserved characters stay, space becomes `+`, everything else `%XX`.
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `CGI.unescape`: `+` is a space, `%XX` a byte; malformed escapes stay as they are.
fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(super) fn register(r: &mut FilterRegistry) {
    r.register("base64_encode", |input, args, _| {
        args.expect_count(0, 0)?;
        Ok(Value::from(STANDARD.encode(text(input).as_bytes())))
    });
    r.register("base64_decode", |input, args, _| {
        args.expect_count(0, 0)?;
        decoded(STANDARD.decode(text(input).as_bytes()))
    });
    r.register("base64_url_safe_encode", |input, args, _| {
        args.expect_count(0, 0)?;
        Ok(Value::from(URL_SAFE.encode(text(input).as_bytes())))
    });
    r.register("base64_url_safe_decode", |input, args, _| {
        args.expect_count(0, 0)?;
        decoded(URL_SAFE.decode(text(input).as_bytes()))
    });
    r.register("url_encode", |input, args, _| {
        args.expect_count(0, 0)?;
        if input.is_nil() {
            return Ok(Value::Nil);
        }
        Ok(Value::from(url_encode(&text(input))))
    });
    r.register("url_decode", |input, args, _| {
        args.expect_count(0, 0)?;
        if input.is_nil() {
            return Ok(Value::Nil);
        }
        Ok(Value::from(url_decode(&text(input))))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding_round_trips() {
        let s = "email address is bob@example.com! ~ é";
        assert_eq!(url_encode("a b@c!"), "a+b%40c%21");
        assert_eq!(url_decode(&url_encode(s)), s);
        assert_eq!(url_decode("100%"), "100%");
        assert_eq!(url_decode("%zz%4"), "%zz%4");
    }
}
