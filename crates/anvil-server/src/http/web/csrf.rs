//! CSRF protection for the pages: every state-changing form carries a token bound to the
//! session (an HMAC of its id under the server's key, so nothing is stored), checked in
//! constant time, on top of the same-origin check the API makes for cookie requests. htmx
//! requests send it as a header ([`HEADER`]).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The header htmx requests carry the token in (set by `anvil.js` from the page's
/// `anvil-csrf` meta tag), for requests that have no form field to carry it.
pub const HEADER: &str = "x-csrf-token";

/// The token of a session.
pub fn token(secret_key: &[u8], session_id: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret_key) else {
        return String::new();
    };
    mac.update(b"csrf:");
    mac.update(session_id.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

/// Whether `given` is the session's token.
pub fn verify(secret_key: &[u8], session_id: &str, given: &str) -> bool {
    let expected = token(secret_key, session_id);
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_belongs_to_its_session_and_key() {
        let t = token(b"key", "s1");
        assert!(verify(b"key", "s1", &t));
        assert!(!verify(b"key", "s2", &t));
        assert!(!verify(b"other", "s1", &t));
        assert!(!verify(b"key", "s1", ""));
    }
}
