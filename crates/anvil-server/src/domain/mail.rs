//! Outgoing mail. Without SMTP configured (not yet supported), each message is written to the
//! outbox directory in the data directory as an `.eml` file, which is how development and
//! tests read it.

use std::path::{Path, PathBuf};

use super::{Error, Result, ids};

#[derive(Debug, Clone)]
pub struct Message {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// The directory messages are written to.
pub fn outbox_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("outbox")
}

/// Writes `msg` as an RFC 5322 message into the outbox; returns its path.
pub async fn send(data_dir: &Path, from: &str, msg: &Message) -> Result<PathBuf> {
    let dir = outbox_dir(data_dir);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| Error::Internal(format!("mail outbox {}: {e}", dir.display())))?;
    let id = ids::new_id();
    let date = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc2822)
        .unwrap_or_default();
    // Header values come from our own code and validated emails; strip line breaks anyway so
    // nothing can inject headers.
    let clean = |s: &str| s.replace(['\r', '\n'], " ");
    let text = format!(
        "Message-ID: <{id}@anvil>\r\nDate: {date}\r\nFrom: {}\r\nTo: {}\r\nSubject: {}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
        clean(from),
        clean(&msg.to),
        clean(&msg.subject),
        msg.body.replace('\n', "\r\n")
    );
    let path = dir.join(format!("{id}.eml"));
    tokio::fs::write(&path, text)
        .await
        .map_err(|e| Error::Internal(format!("mail outbox write: {e}")))?;
    Ok(path)
}
