//! Live updates: `GET /api/v1/events?project=` as Server-Sent Events. Every `version.*` or
//! `channel.*` event of the project makes the project's cached specs invalid and refreshes
//! them at once (in `accepting` mode), so the next render shows a channel move without any
//! polling. The connection reconnects with exponential backoff and jitter, sending
//! `Last-Event-ID`, so the forge replays what was missed; after a reconnect every spec of the
//! project is revalidated too (cheap: unchanged sets answer `304`).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::StreamExt;
use rand::Rng;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::{Client, Error, State};

/// Events a subscriber has not read yet, beyond which newer ones are dropped (the cache is
/// still invalidated by them).
const BUFFER: usize = 256;
/// A line or event longer than this ends the connection (the forge's are far smaller).
const MAX_EVENT_BYTES: usize = 1 << 20;
/// Without a byte for this long (heartbeats come every 15 s) the connection is presumed dead.
const IDLE: Duration = Duration::from_secs(60);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// One event of the forge (`domain.md` lists the types and their payloads).
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
pub struct Event {
    pub id: i64,
    /// `version.created`, `channel.moved`, ...
    #[serde(rename = "type")]
    pub kind: String,
    pub organisation_id: String,
    pub project_id: Option<String>,
    /// RFC 3339.
    pub occurred_at: String,
    /// The fields of its type (`{"channel": "production", "from": "1.0.0", "to": "1.1.0", ...}`).
    pub payload: Value,
}

/// The events of one project, as a [`futures_util::Stream`] (or with [`Subscription::next`]).
/// Dropping it closes the connection.
pub struct Subscription {
    rx: mpsc::Receiver<Event>,
    task: tokio::task::JoinHandle<()>,
}

impl Subscription {
    /// The next event; `None` once the forge refused the credential (revoked, say).
    pub async fn next(&mut self) -> Option<Event> {
        self.rx.recv().await
    }
}

impl futures_util::Stream for Subscription {
    type Item = Event;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A Server-Sent Events parser (the WHATWG rules the forge's stream needs: `id`, `event`,
/// `data` fields, comments, CR/LF/CRLF line ends), fed bytes as they arrive.
#[derive(Debug, Default)]
pub(crate) struct SseParser {
    line: Vec<u8>,
    data: String,
    id: Option<String>,
    /// The previous byte was a CR, so an LF right after it ends nothing more.
    after_cr: bool,
    /// The stream's last event id, as EventSource keeps it: set when a message ends, also by
    /// a message with an `id:` and no data (the forge starts a fresh stream with one).
    last_id: Option<String>,
}

/// One dispatched event: its `id:` and `data:`.
#[derive(Debug, PartialEq)]
pub(crate) struct RawEvent {
    pub id: Option<String>,
    pub data: String,
}

impl SseParser {
    /// Feeds bytes; returns the events they complete, or an error when a line or an event
    /// grows past the limit.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<RawEvent>, String> {
        let mut out = Vec::new();
        for &b in bytes {
            if b == b'\n' && self.after_cr {
                self.after_cr = false;
                continue;
            }
            self.after_cr = b == b'\r';
            if b == b'\n' || b == b'\r' {
                let line = std::mem::take(&mut self.line);
                self.line_done(&String::from_utf8_lossy(&line), &mut out);
            } else {
                self.line.push(b);
                if self.line.len() + self.data.len() > MAX_EVENT_BYTES {
                    return Err(format!("an event is longer than {MAX_EVENT_BYTES} bytes"));
                }
            }
        }
        Ok(out)
    }

    /// The last event id seen.
    pub fn last_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    fn line_done(&mut self, line: &str, out: &mut Vec<RawEvent>) {
        if line.is_empty() {
            if self.id.is_some() {
                self.last_id = self.id.clone();
            }
            if !self.data.is_empty() {
                let mut data = std::mem::take(&mut self.data);
                if data.ends_with('\n') {
                    data.pop();
                }
                out.push(RawEvent {
                    id: self.id.clone(),
                    data,
                });
            }
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => self.id = Some(value.to_string()),
            _ => {}
        }
    }
}

fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(250)
        .saturating_mul(1 << attempt.min(8))
        .min(MAX_BACKOFF);
    base.mul_f64(rand::rng().random_range(0.5..1.0))
}

impl Client {
    /// Subscribes to the events of `project` (its slug). Returns once the stream is open, so
    /// nothing that happens after this call is missed. In `accepting` mode the cache follows
    /// the events on its own: a new version or a channel move makes the next render of an
    /// affected spec show it. The subscription reconnects by itself (with backoff, resuming
    /// from the last event id) when the connection drops; it ends when the forge refuses the
    /// credential.
    pub async fn subscribe(&self, project: &str) -> Result<Subscription, Error> {
        if project.is_empty() || project.contains(['/', '@', '?', '&', '#', ' ']) {
            return Err(Error::InvalidAddress {
                address: project.to_string(),
                message: "a project is named by its slug (support)".into(),
            });
        }
        let first = self.open_events(project, None).await?;
        let (tx, rx) = mpsc::channel(BUFFER);
        let client = self.clone();
        let project = project.to_string();
        let task = tokio::spawn(async move { client.follow(project, first, tx).await });
        Ok(Subscription { rx, task })
    }

    async fn open_events(
        &self,
        project: &str,
        last_id: Option<&str>,
    ) -> Result<reqwest::Response, Error> {
        let f = &self.inner.fetcher;
        let url = format!("{}/api/v1/events", f.base_url);
        let mut req = self
            .inner
            .stream_http
            .get(&url)
            .query(&[("project", project)])
            .header("accept", "text/event-stream");
        if let Some(b) = &f.bearer {
            req = req.bearer_auth(b);
        }
        if let Some(id) = last_id {
            req = req.header("last-event-id", id);
        }
        let res = req.send().await.map_err(|e| Error::Unreachable {
            url: f.base_url.clone(),
            message: e.to_string(),
        })?;
        let status = res.status();
        if status.is_success() {
            return Ok(res);
        }
        let message = crate::fetch::error_message(res).await;
        let address = format!("events of {project}");
        Err(match status.as_u16() {
            404 => Error::NotFound { address, message },
            s if status.is_client_error() => {
                if s == 401 || s == 403 {
                    self.set_state(State::Error);
                }
                Error::Refused {
                    address,
                    status: s,
                    message,
                }
            }
            _ => Error::Unreachable {
                url: f.base_url.clone(),
                message: format!("HTTP {status}: {message}"),
            },
        })
    }

    /// Reads the stream, follows it in the cache, hands events on, and reconnects.
    async fn follow(self, project: String, first: reqwest::Response, tx: mpsc::Sender<Event>) {
        let mut res = Some(first);
        let mut last_id: Option<String> = None;
        let mut attempt = 0u32;
        loop {
            let current = match res.take() {
                Some(r) => r,
                None => {
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt = attempt.saturating_add(1);
                    match self.open_events(&project, last_id.as_deref()).await {
                        Ok(r) => {
                            // What changed while away arrives as replayed events, but a
                            // stream that lagged or a first connection that failed has
                            // nothing to replay from: revalidate the project either way.
                            self.invalidate(&project);
                            r
                        }
                        Err(Error::Unreachable { .. }) => {
                            self.set_state(State::Stale);
                            continue;
                        }
                        // Refused: the credential is gone; the stream ends.
                        Err(_) => return,
                    }
                }
            };
            let mut parser = SseParser::default();
            let mut body = current.bytes_stream();
            loop {
                let chunk = match tokio::time::timeout(IDLE, body.next()).await {
                    Ok(Some(Ok(c))) => c,
                    // Ended, broken or silent: reconnect.
                    _ => break,
                };
                attempt = 0;
                let Ok(events) = parser.feed(&chunk) else {
                    break;
                };
                if let Some(id) = parser.last_id() {
                    last_id = Some(id.to_string());
                }
                for raw in events {
                    let Ok(event) = serde_json::from_str::<Event>(&raw.data) else {
                        continue;
                    };
                    if event.kind.starts_with("version.") || event.kind.starts_with("channel.") {
                        self.invalidate(&project);
                    }
                    if tx.is_closed() {
                        return;
                    }
                    // A subscriber that does not read loses events, not the cache's updates.
                    let _ = tx.try_send(event);
                }
            }
        }
    }

    /// In `accepting` mode: the project's specs are invalid and refreshed now.
    fn invalidate(&self, project: &str) {
        if self.inner.mode == crate::Mode::Frozen {
            return;
        }
        for key in self.inner.cache.invalidate_project(project) {
            self.refresh_in_background(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_and_line_ends_are_parsed() {
        let mut p = SseParser::default();
        let mut got = p.feed(b": heartbeat\n\nid: 7\nevent: x\nda").unwrap();
        assert!(got.is_empty());
        got.extend(
            p.feed(b"ta: {\"a\":\r\ndata: 1}\r\n\r\nid:8\rdata:z\r\r")
                .unwrap(),
        );
        assert_eq!(p.last_id(), Some("8"));
        // An id-only message moves the last id without dispatching anything.
        assert!(p.feed(b"id: 12\n\n").unwrap().is_empty());
        assert_eq!(p.last_id(), Some("12"));
        assert_eq!(
            got,
            vec![
                RawEvent {
                    id: Some("7".into()),
                    data: "{\"a\":\n1}".into()
                },
                RawEvent {
                    id: Some("8".into()),
                    data: "z".into()
                },
            ]
        );
    }

    #[test]
    fn an_endless_line_is_refused() {
        let mut p = SseParser::default();
        let big = vec![b'a'; MAX_EVENT_BYTES + 1];
        assert!(p.feed(&big).is_err());
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(0) <= Duration::from_millis(250));
        assert!(backoff(20) <= MAX_BACKOFF);
        assert!(backoff(20) >= MAX_BACKOFF / 2);
    }
}
