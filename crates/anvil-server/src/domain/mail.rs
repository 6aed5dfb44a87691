//! Outgoing mail: through SMTP (lettre) when `smtp_url` is configured, otherwise into the
//! outbox directory in the data directory, one `.eml` file per message (development mode
//! also lists them at `/dev/mailbox`).

use std::path::{Path, PathBuf};

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{Error, Result, ids};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Message {
    pub to: String,
    pub subject: String,
    pub body: String,
}

pub enum Mailer {
    Outbox {
        dir: PathBuf,
        from: String,
    },
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Outbox { dir, .. } => write!(f, "Mailer::Outbox({})", dir.display()),
            Mailer::Smtp { from, .. } => write!(f, "Mailer::Smtp(from {from})"),
        }
    }
}

/// The directory outbox messages are written to.
pub fn outbox_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("outbox")
}

impl Mailer {
    /// SMTP when `smtp_url` is set (`smtp://user:pass@host:587?tls=required`,
    /// `smtps://...`), else the outbox in `data_dir`.
    pub fn new(
        smtp_url: Option<&str>,
        from: &str,
        data_dir: &Path,
    ) -> std::result::Result<Mailer, String> {
        match smtp_url {
            None => Ok(Mailer::Outbox {
                dir: outbox_dir(data_dir),
                from: from.to_string(),
            }),
            Some(url) => {
                let from: Mailbox = from
                    .parse()
                    .map_err(|e| format!("mail_from '{from}' is not a valid address: {e}"))?;
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("smtp_url is not valid: {e}"))?
                    .build();
                Ok(Mailer::Smtp { transport, from })
            }
        }
    }

    pub async fn send(&self, msg: &Message) -> Result<()> {
        match self {
            Mailer::Outbox { dir, from } => write_outbox(dir, from, msg).await.map(|_| ()),
            Mailer::Smtp { transport, from } => {
                let to: Mailbox = msg
                    .to
                    .parse()
                    .map_err(|e| Error::Internal(format!("mail recipient {}: {e}", msg.to)))?;
                let email = lettre::Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(msg.subject.clone())
                    .header(ContentType::TEXT_PLAIN)
                    .body(msg.body.clone())
                    .map_err(|e| Error::Internal(format!("building mail: {e}")))?;
                transport
                    .send(email)
                    .await
                    .map_err(|e| Error::Internal(format!("SMTP: {e}")))?;
                Ok(())
            }
        }
    }
}

async fn write_outbox(dir: &Path, from: &str, msg: &Message) -> Result<PathBuf> {
    tokio::fs::create_dir_all(dir)
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
