//! Random tokens, their hashes, password hashing and the instance secret key.

use std::path::Path;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{Error, Result};

/// A new high-entropy token (256 bits), hex-encoded.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// SHA-256 of a high-entropy token: what the database keeps instead of the token.
pub fn token_hash(token: &str) -> String {
    hex::encode(token_digest(token))
}

/// The SHA-256 of a token as bytes: what in-memory caches key on (no hex encoding on the
/// hot path); `token_hash` is its hex form, as stored.
pub fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Compares two secrets in constant time.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Argon2id hash of a password, computed on the blocking pool (it takes tens of milliseconds
/// of CPU by design and must not stall the async runtime).
pub async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("password hashing: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(format!("password hashing task: {e}")))?
}

/// An Argon2id hash of a random password, verified against when the account does not exist
/// so that sign-in takes as long for unknown emails as for wrong passwords.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn dummy_hash() -> String {
    DUMMY_HASH
        .get_or_init(|| {
            Argon2::default()
                .hash_password(new_token().as_bytes())
                .map(|h| h.to_string())
                .unwrap_or_default()
        })
        .clone()
}

/// Verifies a password against a stored hash (or a dummy when there is none), on the
/// blocking pool.
pub async fn verify_password(password: String, hash: Option<String>) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let exists = hash.is_some();
        let stored = hash.unwrap_or_else(dummy_hash);
        let ok = match PasswordHash::new(&stored) {
            Ok(parsed) => Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        };
        exists && ok
    })
    .await
    .map_err(|e| Error::Internal(format!("password check task: {e}")))
}

/// The instance secret key: the configured one, or one generated on first start and kept in
/// the data directory with mode 0600.
pub fn load_or_create_secret_key(
    configured: Option<&str>,
    data_dir: &Path,
) -> std::io::Result<Vec<u8>> {
    if let Some(k) = configured {
        return Ok(k.as_bytes().to_vec());
    }
    let path = data_dir.join("secret_key");
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(text.trim().as_bytes().to_vec()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir)?;
            let key = new_token();
            write_private(&path, &key)?;
            Ok(key.into_bytes())
        }
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_verify_and_unknown_accounts_never_do() {
        let h = hash_password("correct horse battery".into())
            .await
            .expect("hashes");
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify_password("correct horse battery".into(), Some(h.clone()))
                .await
                .expect("runs")
        );
        assert!(
            !verify_password("wrong".into(), Some(h))
                .await
                .expect("runs")
        );
        assert!(
            !verify_password("anything".into(), None)
                .await
                .expect("runs")
        );
    }

    #[test]
    fn generated_secret_key_is_private_and_stable() {
        let dir = std::env::temp_dir().join(format!("anvil-key-{}", super::super::ids::new_id()));
        let a = load_or_create_secret_key(None, &dir).expect("creates");
        let b = load_or_create_secret_key(None, &dir).expect("reads");
        assert_eq!(a, b);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("secret_key"))
                .expect("exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
