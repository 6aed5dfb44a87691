//! `subscriptions/listen` (2026-07-28): a Server-Sent Events answer that acknowledges the
//! subscription, then sends `notifications/prompts/list_changed` whenever an event the
//! credential can see may change what `prompts/list` shows: a version cut, yanked or
//! unyanked, a channel moved or deleted, a set or project changed, archived or restored.
//! The events come from the feed every stream of this instance shares (and, on PostgreSQL,
//! every instance's through LISTEN/NOTIFY).
//!
//! Notifications are hints, not data, so they carry no SSE `id:` (a client would try to
//! resume with it) and a burst of events makes one notification. A subscriber too slow for
//! the broadcast is told the list changed rather than dropped. The stream ends with the
//! listen request's result on shutdown, and without one when its credential is revoked.

use std::convert::Infallible;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use super::{META_SUBSCRIPTION, Request, RpcError};
use crate::domain::delivery::Reader;
use crate::domain::event_stream::{Audience, TypeFilter};
use crate::http::AppState;
use crate::http::delivery::{DeliveryAuth, reader};

/// Event types after which the listing may differ.
const LISTING_EVENTS: &str = "version.*,channel.*,prompt_set.*,project.*";

fn message(value: Value) -> Result<Event, Infallible> {
    Ok(Event::default().data(value.to_string()))
}

pub async fn open(
    state: &AppState,
    auth: &DeliveryAuth,
    request: &Request,
) -> Result<Response, RpcError> {
    let wanted = request
        .params
        .get("notifications")
        .and_then(|n| n.get("promptsListChanged"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let audience = match reader(state, auth, None).await? {
        Reader::Member(ctx) => {
            ctx.require(crate::domain::access::Action::ReadOrganisation)?;
            Audience::member(&ctx)
        }
        Reader::Token(t) => Audience::token(&t),
    }
    .only(TypeFilter::parse_list(LISTING_EVENTS)?);
    // Subscribed before the acknowledgement goes out: a change right after it is not missed.
    let mut live = state.feed.subscribe();
    let mut stopping = state.stopping.subscribe();
    let id = request.id.clone();
    let stamp = json!({META_SUBSCRIPTION: id});
    // Only prompts are offered: the acknowledgement honours that part of the filter alone.
    let honoured = if wanted {
        json!({"promptsListChanged": true})
    } else {
        json!({})
    };
    let ack = message(json!({
        "jsonrpc": "2.0",
        "method": "notifications/subscriptions/acknowledged",
        "params": {"_meta": stamp, "notifications": honoured},
    }));
    let changed = json!({
        "jsonrpc": "2.0",
        "method": "notifications/prompts/list_changed",
        "params": {"_meta": stamp},
    });
    let done = json!({
        "jsonrpc": "2.0",
        "id": id,
        "result": {"resultType": "complete", "_meta": stamp},
    });
    let notifications = async_stream(move |tx| async move {
        loop {
            if *stopping.borrow() {
                let _ = tx.send(done.clone()).await;
                return;
            }
            let relevant = tokio::select! {
                stopped = stopping.changed() => match stopped {
                    Ok(()) => continue,
                    // The server is gone: nothing will be sent any more.
                    Err(_) => return,
                },
                received = live.recv() => match received {
                    Ok(e) if audience.ends_with(&e) => return,
                    Ok(e) => audience.sees(&e),
                    Err(RecvError::Lagged(_)) => true,
                    Err(RecvError::Closed) => return,
                },
            };
            if !relevant || !wanted {
                continue;
            }
            // One notification for what has already arrived, too.
            loop {
                match live.try_recv() {
                    Ok(e) if audience.ends_with(&e) => return,
                    Ok(_) | Err(TryRecvError::Lagged(_)) => continue,
                    Err(_) => break,
                }
            }
            if tx.send(changed.clone()).await.is_err() {
                return;
            }
        }
    });
    let heartbeat = Duration::from_secs(state.config.events_heartbeat_seconds);
    let stream = futures_util::stream::once(async move { ack }).chain(notifications.map(message));
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(heartbeat).text("keepalive"))
        .into_response())
}

/// A stream fed by a task-like future through a small channel; the future stops when the
/// client goes away (the receiver is dropped with the response body).
fn async_stream<F, Fut>(producer: F) -> impl futures_util::Stream<Item = Value>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Value>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let producer = producer(tx);
    let handle = tokio::spawn(producer);
    let abort = AbortOnDrop(handle);
    futures_util::stream::unfold((rx, abort), |(mut rx, abort)| async move {
        rx.recv().await.map(|v| (v, (rx, abort)))
    })
}

/// Ends the producer with the stream, so a closed connection leaves nothing running.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
