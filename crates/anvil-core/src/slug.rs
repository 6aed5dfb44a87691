//! Slugs: lowercase ASCII letters, digits, `-`, `_` and `.`, starting with a letter or digit,
//! at most 64 characters (`welcome`, `error.not_found`).

pub const MAX_LEN: usize = 64;

/// Why a slug is not valid, in words an author can act on.
pub fn check(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("must not be empty".to_string());
    }
    if s.len() > MAX_LEN {
        return Err(format!("must be at most {MAX_LEN} characters"));
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
        return Err("must start with a lowercase letter or a digit".to_string());
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "may contain only lowercase letters, digits, '-', '_' and '.', not '{c}'"
        ));
    }
    Ok(())
}

pub fn is_valid(s: &str) -> bool {
    check(s).is_ok()
}

/// A slug from a name: common accented Latin letters transliterated, lowercased, runs of
/// other characters become `-`, trimmed to 64 characters. `None` when nothing usable remains.
pub fn from_name(name: &str) -> Option<String> {
    let mut out = String::new();
    let mut pending_dash = false;
    for c in name.chars() {
        let mapped = transliterate(c);
        for m in mapped.chars() {
            let m = m.to_ascii_lowercase();
            if m.is_ascii_alphanumeric() {
                if pending_dash && !out.is_empty() {
                    out.push('-');
                }
                pending_dash = false;
                out.push(m);
            } else {
                pending_dash = true;
            }
        }
    }
    out.truncate(MAX_LEN);
    let out = out.trim_end_matches('-').to_string();
    (!out.is_empty()).then_some(out)
}

fn transliterate(c: char) -> String {
    let s = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        'œ' | 'Œ' => "oe",
        'ł' | 'Ł' => "l",
        'đ' | 'Đ' | 'ð' => "d",
        'þ' | 'Þ' => "th",
        _ => return c.to_string(),
    };
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_and_invalid_slugs() {
        for ok in ["welcome", "error.not_found", "a", "0day", "x-y_z.1"] {
            assert!(is_valid(ok), "{ok}");
        }
        for bad in ["", "-x", "_x", ".x", "Welcome", "a b", "é", "a/b", "a@b"] {
            assert!(!is_valid(bad), "{bad}");
        }
        assert!(!is_valid(&"a".repeat(65)));
        assert!(is_valid(&"a".repeat(64)));
    }

    #[test]
    fn slugs_from_names() {
        assert_eq!(
            from_name("Crème Brûlée: Dessert!").as_deref(),
            Some("creme-brulee-dessert")
        );
        assert_eq!(
            from_name("  Hello, World  ").as_deref(),
            Some("hello-world")
        );
        assert_eq!(from_name("Straße").as_deref(), Some("strasse"));
        assert_eq!(from_name("!!!"), None);
        assert_eq!(from_name(&"ab ".repeat(40)).map(|s| s.len()), Some(64));
        for name in ["Crème Brûlée", "日本語 prompt", "x"] {
            if let Some(s) = from_name(name) {
                assert!(is_valid(&s), "{s}");
            }
        }
    }
}
