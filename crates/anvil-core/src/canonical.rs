//! RFC 8785 JSON Canonicalization Scheme, and the `sha256:` checksums of versions and bundles
//! computed over it: sorted keys (by UTF-16 code units), no insignificant whitespace, minimal
//! string escapes, numbers as ECMAScript prints them.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The canonical text of a JSON value.
pub fn to_canonical(v: &Value) -> String {
    let mut out = String::new();
    write_value(v, &mut out);
    out
}

/// `sha256:` + lowercase hex of the SHA-256 of the canonical form.
pub fn checksum(v: &Value) -> String {
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(to_canonical(v).as_bytes()))
    )
}

fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            // JCS numbers are IEEE 754 doubles, printed as ECMAScript does.
            let f = n
                .as_f64()
                .unwrap_or_else(|| n.to_string().parse().unwrap_or(f64::NAN));
            out.push_str(&es_number(f));
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (k, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_value(val, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// ECMAScript `Number.prototype.toString` for finite doubles (JSON has no others).
pub fn es_number(f: f64) -> String {
    if f == 0.0 {
        return "0".to_string();
    }
    if !f.is_finite() {
        return "null".to_string();
    }
    let sign = if f < 0.0 { "-" } else { "" };
    // Shortest round-trip digits and the decimal exponent, from Rust's scientific format.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let k = digits.len() as i32;
    let n = exp + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let esign = if e < 0 { '-' } else { '+' };
        if k == 1 {
            format!("{digits}e{esign}{}", e.abs())
        } else {
            format!("{}.{}e{esign}{}", &digits[..1], &digits[1..], e.abs())
        }
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    // The RFC's test vectors are written with more digits than a double holds, on purpose.
    #[allow(clippy::excessive_precision)]
    fn numbers_print_as_ecmascript_does() {
        // RFC 8785 appendix B and ECMAScript examples.
        let cases: [(f64, &str); 14] = [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-1.5, "-1.5"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1e-7, "1e-7"),
            (1e-6, "0.000001"),
            (333333333.33333329, "333333333.3333333"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (9007199254740992.0, "9007199254740992"),
            (295147905179352830000.0, "295147905179352830000"),
            (0.1 + 0.2, "0.30000000000000004"),
        ];
        for (f, want) in cases {
            assert_eq!(es_number(f), want, "{f}");
        }
    }

    #[test]
    fn keys_sort_by_utf16_and_strings_escape_minimally() {
        // RFC 8785 section 3.2.3's sorting example.
        let v = json!({"\u{20ac}": "Euro Sign", "\r": "Carriage Return", "\u{fb33}": "Hebrew Letter Dalet With Dagesh", "1": "One", "\u{1f600}": "Emoji: Grinning Face", "\u{80}": "Control", "\u{f6}": "Latin Small Letter O With Diaeresis"});
        let keys: Vec<String> = {
            let text = to_canonical(&v);
            let parsed: serde_json::Map<String, Value> =
                serde_json::from_str(&text).unwrap_or_default();
            parsed.keys().cloned().collect()
        };
        assert_eq!(
            keys,
            [
                "\r",
                "1",
                "\u{80}",
                "\u{f6}",
                "\u{20ac}",
                "\u{1f600}",
                "\u{fb33}"
            ]
        );
        assert_eq!(
            to_canonical(&json!({"b": [1, true, null], "a": "x\"\\\n\u{1}é"})),
            "{\"a\":\"x\\\"\\\\\\n\\u0001é\",\"b\":[1,true,null]}"
        );
    }

    #[test]
    fn checksums_depend_on_content_not_layout() {
        let a: Value = serde_json::from_str(r#"{"x": 1, "y": [1.0, "a"]}"#).unwrap_or_default();
        let b: Value = serde_json::from_str(r#"{"y":[1,"a"],"x":1}"#).unwrap_or_default();
        assert_eq!(checksum(&a), checksum(&b));
        assert!(checksum(&a).starts_with("sha256:"));
        assert_eq!(checksum(&a).len(), 7 + 64);
        assert_ne!(checksum(&a), checksum(&json!({"x": 2, "y": [1, "a"]})));
    }
}
