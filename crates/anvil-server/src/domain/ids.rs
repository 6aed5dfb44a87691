//! Identifiers and slugs.

use rand::Rng;

/// A new UUIDv7 (time-ordered) as text.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Lowercase letters and digits, for slug suffixes.
pub fn random_suffix(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A slug from a name: lowercase ASCII letters and digits, other runs become `-`, at most
/// 64 characters; empty names give `org`.
pub fn slugify(name: &str, max: usize) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
        if out.len() >= max {
            break;
        }
    }
    out.truncate(max);
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "org".to_string()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(
            slugify("Ada Lovelace's Personal", 64),
            "ada-lovelace-s-personal"
        );
        assert_eq!(slugify("  --  ", 64), "org");
        assert_eq!(slugify(&"x".repeat(100), 10).len(), 10);
    }
}
