//! `GET /events`: the caller's organisation's committed events as Server-Sent Events. A
//! stream subscribes to the feed's broadcast first, then replays what the caller missed from
//! the events table (`Last-Event-ID` or `?since=`), then goes live; events it has already sent
//! (by id) are skipped, so there is no gap and no duplicate between the two.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use super::delivery::DeliveryAuth;
use super::error::ApiError;
use super::extract::Query;
use crate::domain::access::{self, Action};
use crate::domain::event_stream::{self, Audience, Envelope, REPLAY_BATCH, TypeFilter};
use crate::domain::feed::FeedEvent;
use crate::domain::{Error, projects};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Replay every event after this id first (`Last-Event-ID` takes precedence).
    #[param(value_type = Option<u64>)]
    since: Option<String>,
    /// Comma-separated event types or prefixes (`channel.*,version.created`).
    types: Option<String>,
    /// Only this project's events (id or slug).
    project: Option<String>,
    /// The organisation (id or slug) for a signed-in browser, which cannot send headers
    /// with `EventSource`.
    organisation: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "delivery",
    summary = "Stream events",
    description = "Server-Sent Events of the caller's organisation: `id:` is the event id, `event:` its type, `data:` the event envelope (an `Event`). Send `Last-Event-ID` (or `?since=`) to replay what was missed first; a stream opened without either starts with a message that carries only an `id:` (the newest event's), so a client that reconnects before any event arrived resumes from there. A heartbeat comment comes every 15 seconds (configurable). Members and API keys see content events, owners and admins also membership and credential events; a project access token sees its project's version and channel events. The stream ends when its credential is revoked, and on server shutdown.",
    params(EventsQuery),
    responses((status = 200, description = "The event stream", content_type = "text/event-stream", body = Envelope)),
)]
pub async fn stream(
    State(state): State<AppState>,
    auth: DeliveryAuth,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
) -> Result<Response, ApiError> {
    let since = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(q.since.clone())
        .map(|s| {
            s.trim()
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| Error::invalid("since", "must be an event id (a whole number)"))
        })
        .transpose()?;
    let types = match q.types.as_deref() {
        Some(t) => TypeFilter::parse_list(t)?,
        None => Vec::new(),
    };
    let audience = match &auth {
        DeliveryAuth::Token(reader, _) => {
            let other = match q.project.as_deref() {
                Some(p) => !reader.is_project(&state.db, p).await?,
                None => false,
            };
            if other {
                return Err(Error::NotFound("project not found".into()).into());
            }
            Audience::token(reader)
        }
        DeliveryAuth::Caller(caller) => {
            let selector = q.organisation.as_deref().or(caller.organisation.as_deref());
            let ctx = access::org_context(&state.db, &caller.actor, selector).await?;
            ctx.require(Action::ReadOrganisation)?;
            let project = match q.project.as_deref() {
                None => None,
                Some(p) => {
                    let found = match projects::get(&state.db, &ctx, p, false).await {
                        Err(Error::NotFound(_)) => projects::get(&state.db, &ctx, p, true).await,
                        other => other,
                    }?;
                    Some(found.id)
                }
            };
            Audience::member(&ctx).in_project(project)
        }
    }
    .only(types);
    // Subscribe before the replay reads the table: whatever commits in between arrives on
    // the broadcast, and ids already sent are skipped.
    let live = state.feed.subscribe();
    // Without `since`, the stream starts at the newest event: announced to the client as an
    // id-only message (which EventSource adopts as its last event id without dispatching), so
    // a reconnect before any event arrived still replays what it missed.
    let start = match since {
        Some(_) => None,
        None => Some(event_stream::head(&state.db).await?),
    };
    let heartbeat = Duration::from_secs(state.config.events_heartbeat_seconds);
    let events = Subscription {
        db: state.db.clone(),
        audience: Arc::new(audience),
        live,
        stopping: state.stopping.subscribe(),
        pending: VecDeque::new(),
        last: since.or(start).unwrap_or(0),
        replaying: since.is_some(),
        ended: false,
    };
    let announce = futures_util::stream::iter(
        start.map(|id| Ok::<_, Infallible>(Event::default().id(id.to_string()))),
    );
    Ok(Sse::new(announce.chain(events.into_stream()))
        .keep_alive(KeepAlive::new().interval(heartbeat).text("heartbeat"))
        .into_response())
}

/// One open stream.
struct Subscription {
    db: sea_orm::DatabaseConnection,
    audience: Arc<Audience>,
    live: tokio::sync::broadcast::Receiver<Arc<FeedEvent>>,
    stopping: tokio::sync::watch::Receiver<bool>,
    /// Replayed events not yet sent.
    pending: VecDeque<Arc<FeedEvent>>,
    /// The id of the last event sent or skipped.
    last: i64,
    replaying: bool,
    ended: bool,
}

enum Next {
    Send(Arc<FeedEvent>),
    End,
}

impl Subscription {
    fn into_stream(self) -> impl Stream<Item = Result<Event, Infallible>> {
        futures_util::stream::unfold(self, |mut s| async move {
            loop {
                if s.ended {
                    return None;
                }
                match s.next().await {
                    Next::End => return None,
                    Next::Send(e) => {
                        s.last = e.id;
                        if s.audience.ends_with(&e) {
                            s.ended = true;
                        }
                        if s.audience.sees(&e) {
                            return Some((Ok(message(&e)), s));
                        }
                    }
                }
            }
        })
    }

    async fn next(&mut self) -> Next {
        while self.replaying && self.pending.is_empty() {
            match event_stream::replay(&self.db, &self.audience, self.last).await {
                Ok(batch) => {
                    self.replaying = batch.len() as i64 == REPLAY_BATCH;
                    self.pending.extend(batch.into_iter().map(Arc::new));
                }
                Err(e) => {
                    // The client reconnects with its Last-Event-ID and loses nothing.
                    tracing::warn!(error = %e, "replaying events failed; ending the stream");
                    return Next::End;
                }
            }
        }
        if let Some(e) = self.pending.pop_front() {
            return Next::Send(e);
        }
        loop {
            if *self.stopping.borrow() {
                return Next::End;
            }
            tokio::select! {
                _ = self.stopping.changed() => return Next::End,
                received = self.live.recv() => match received {
                    Ok(e) if e.id <= self.last => continue,
                    Ok(e) => return Next::Send(e),
                    // Too slow for the broadcast: drop it rather than buffer without bound.
                    Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => return Next::End,
                },
            }
        }
    }
}

fn message(e: &FeedEvent) -> Event {
    let data = serde_json::to_string(&Envelope::from(e)).unwrap_or_default();
    Event::default()
        .id(e.id.to_string())
        .event(&e.event_type)
        .data(data)
}
