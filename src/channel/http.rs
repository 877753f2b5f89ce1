//! The HTTP side of `serve`: `/healthz`, `/readyz` and `/metrics` for operators, and the webhook through
//! which Telegram pushes updates (accepted only with the secret token header, stored before the 200; a
//! body that cannot be stored after its tries is parked, so Telegram's queue moves on). The operators'
//! endpoints and the webhook can be served on different addresses ([`operator_router`],
//! [`webhook_router`]) so that metrics need not face the internet.

use super::telegram::Telegram;
use crate::metrics::Metrics;
use crate::operators::backlog;
// Compared in constant time, so response times do not leak the secret.
use crate::web::store::same_secret;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The header in which Telegram repeats the webhook's secret token.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// How long taking updates may fail continuously before `/readyz` says not ready, unless set.
pub const DEFAULT_UNREADY_AFTER: Duration = Duration::from_secs(120);

/// What the endpoints read; the channel is set once the index is built and the scripts are loaded.
pub struct HttpState {
    pub metrics: Arc<Metrics>,
    pub telegram: OnceLock<Arc<Telegram>>,
    /// The webhook's path and secret, when Telegram pushes updates.
    pub webhook: Option<(String, String)>,
    /// `/readyz` turns 503 once polling or the webhook has failed continuously for longer than this.
    pub unready_after: Duration,
}

impl HttpState {
    pub fn new(metrics: Arc<Metrics>, webhook: Option<(String, String)>) -> Arc<Self> {
        Self::with_unready_after(metrics, webhook, DEFAULT_UNREADY_AFTER)
    }

    pub fn with_unready_after(
        metrics: Arc<Metrics>,
        webhook: Option<(String, String)>,
        unready_after: Duration,
    ) -> Arc<Self> {
        Arc::new(Self {
            metrics,
            telegram: OnceLock::new(),
            webhook,
            unready_after,
        })
    }
}

/// Every endpoint on one address.
pub fn router(state: Arc<HttpState>) -> Router {
    operator_router(state.clone()).merge(webhook_router(state))
}

/// `/healthz`, `/readyz` and `/metrics`.
pub fn operator_router(state: Arc<HttpState>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// The webhook, when Telegram pushes updates (otherwise no route at all).
pub fn webhook_router(state: Arc<HttpState>) -> Router {
    let mut app = Router::new();
    if let Some((path, _)) = &state.webhook {
        app = app.route(path, post(webhook));
    }
    app.with_state(state)
}

async fn readyz(State(state): State<Arc<HttpState>>) -> Response {
    let Some(telegram) = state.telegram.get() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: building the search index and loading the dialog scripts\n",
        )
            .into_response();
    };
    if let Some(failing) = state.metrics.intake.failing_for()
        && failing > state.unready_after
    {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "not ready: taking updates from Telegram has failed for {} s (see the log)\n",
                failing.as_secs()
            ),
        )
            .into_response();
    }
    let ping = tokio::time::timeout(
        Duration::from_secs(2),
        sqlx::query("SELECT 1").execute(telegram.pool()),
    )
    .await;
    match ping {
        Ok(Ok(_)) => (StatusCode::OK, "ready: database, dialogs, index\n").into_response(),
        Ok(Err(e)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: database unreachable ({e})\n"),
        )
            .into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: database did not answer within 2 s\n",
        )
            .into_response(),
    }
}

async fn metrics(State(state): State<Arc<HttpState>>) -> Response {
    let mut gauges = Vec::new();
    if let Some(telegram) = state.telegram.get() {
        let index = Some(telegram.runtime().matcher().stats());
        // The counters are worth serving even when the database does not answer.
        match backlog::gauges(telegram.pool(), index).await {
            Ok(g) => gauges = g,
            Err(e) => tracing::warn!(error = %e, "cannot read the backlog for /metrics"),
        }
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(&gauges),
    )
        .into_response()
}

async fn webhook(State(state): State<Arc<HttpState>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some((_, secret)) = &state.webhook else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !same_secret(given, secret.as_bytes()) {
        tracing::warn!("webhook call without the right secret token refused");
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Some(telegram) = state.telegram.get() else {
        // Telegram retries until we answer 200, so nothing is lost while we start.
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let update: teloxide::types::Update = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => return park_unreadable(telegram, &body, &e.to_string()).await,
    };
    match telegram.store_update(&update).await {
        Ok(_) => {
            state.metrics.intake.worked();
            StatusCode::OK.into_response()
        }
        Err(e) => {
            state.metrics.intake.failed();
            tracing::error!(update_id = update.id.0, error = %e, "cannot store a webhook update; Telegram will retry");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A body with the right secret that is not an update Telegram's types describe: retrying cannot help,
/// and refusing it would make Telegram hold back every later update, so it is parked (raw) and accepted.
async fn park_unreadable(telegram: &Telegram, body: &[u8], error: &str) -> Response {
    let update_id = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["update_id"].as_i64());
    let reason = format!("not a Telegram update: {error}");
    match telegram.park(update_id, body, &reason, 1).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot park an unreadable webhook body; Telegram will retry");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
        assert!(!same_secret(b"", b"abc"));
    }
}
