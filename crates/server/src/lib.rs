//! HTTP API of chaintrail: thin axum handlers over the library crates.
//!
//! This crate owns
//! - the vendor-compatible screening shapes: Chainalysis' free sanctions API
//!   (`GET /api/v1/address/{address}`), Chainalysis' entity-risk API
//!   (`GET /api/risk/v2/entities/{address}`) and TRM's wallet screening
//!   (`POST /public/v2/screening/addresses`), all answered by `chaintrail-screen`;
//! - the native API under `/v1/` (screening with paths, address and tx views, trace, cases with
//!   their reports and freeze packs, labels, incidents, rules, health, metrics) and its OpenAPI 3 document ([`openapi::document`], served
//!   at `/openapi.json` and kept in the repository as docs/openapi.json);
//! - the guards: API keys (`X-API-Key`, `Token`, `Authorization: Basic|Bearer`; compared in
//!   constant time; open mode only when asked for), per-key token-bucket rate limits, body size,
//!   batch size and time limits (a request that runs out of time cancels its work), JSON errors
//!   for every failure (including panics and the framework's own rejections), CORS off unless
//!   origins are given;
//! - the investigation web UI under `/ui/` ([`ui`]): static files compiled into the binary,
//!   served without a key, calling the guarded API with the key the user types (docs/ui.md);
//! - logs through `tracing`: one line per request (info; 5xx at error) and every panic (error).
//!
//! No forensics logic lives here. docs/api.md describes the API for users.

// The OpenAPI document is one `json!` literal, deeper than the default macro recursion allows.
#![recursion_limit = "256"]

mod api;
mod cases;
pub mod error;
mod metrics;
pub mod openapi;
mod sankey;
mod ui;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chaintrail_labels::IncidentLedger;
use chaintrail_screen::Screener;
use subtle::ConstantTimeEq;

pub use error::ApiError;

/// How the server guards itself.
#[derive(Debug, Clone)]
pub struct Config {
    /// Accepted API keys. Empty only together with `open`.
    pub keys: Vec<String>,
    /// Serve without keys (explicit opt-in).
    pub open: bool,
    /// Requests per second per key (token bucket with a one-second burst); 0 = unlimited.
    pub rate_limit: u32,
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// Most addresses in one TRM batch.
    pub max_batch: usize,
    /// Longest time to answer one request.
    pub timeout: Duration,
    /// Origins allowed by CORS; empty = CORS off (no CORS headers at all).
    pub cors_origins: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            keys: Vec::new(),
            open: false,
            rate_limit: 100,
            max_body: 1 << 20,
            max_batch: 1000,
            timeout: Duration::from_secs(30),
            cors_origins: Vec::new(),
        }
    }
}

/// The accepted API keys: those `given` and those in `file` (one per line, `#` comments), trimmed,
/// empty ones dropped.
pub fn api_keys(given: &[String], file: Option<&Path>) -> Result<Vec<String>, ServerError> {
    let mut keys: Vec<String> = given.iter().map(|k| k.trim().to_string()).collect();
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|source| ServerError::KeyFile {
            path: path.to_path_buf(),
            source,
        })?;
        keys.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.starts_with('#'))
                .map(ToString::to_string),
        );
    }
    keys.retain(|k| !k.is_empty());
    Ok(keys)
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot read the API key file {}: {source}", path.display())]
    KeyFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "no API key configured: give --api-key, --api-key-file or CHAINTRAIL_API_KEYS, or serve \
         without keys with --open"
    )]
    NoKeys,
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("server failed: {0}")]
    Serve(std::io::Error),
    #[error("bad CORS origin `{0}`")]
    Cors(String),
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// What every handler can reach.
pub struct AppState {
    pub screener: Screener,
    pub incidents: IncidentLedger,
    pub config: Config,
    keys: HashSet<String>,
    buckets: Mutex<HashMap<String, Bucket>>,
    metrics: metrics::Metrics,
    /// Held while a request edits the watchlist file.
    watch_edits: tokio::sync::Mutex<()>,
}

impl AppState {
    pub fn new(
        screener: Screener,
        incidents: IncidentLedger,
        config: Config,
    ) -> Result<AppState, ServerError> {
        if config.keys.is_empty() && !config.open {
            return Err(ServerError::NoKeys);
        }
        Ok(AppState {
            screener,
            incidents,
            keys: config.keys.iter().cloned().collect(),
            config,
            buckets: Mutex::new(HashMap::new()),
            metrics: metrics::Metrics::default(),
            watch_edits: tokio::sync::Mutex::new(()),
        })
    }

    /// The API key a request carries, from any of the headers the vendors use.
    fn key_of(headers: &HeaderMap) -> Option<String> {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if let Some(key) = text("x-api-key").or_else(|| text("token")) {
            return Some(key.trim().to_string());
        }
        let auth = text("authorization")?.trim();
        if let Some(token) = auth.strip_prefix("Bearer ") {
            return Some(token.trim().to_string());
        }
        let basic = auth.strip_prefix("Basic ")?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        // TRM sends base64(key:key); curl -u key: sends base64(key:).
        Some(decoded.split(':').next().unwrap_or_default().to_string())
    }

    /// Is `key` one of the accepted keys? Each accepted key is compared in full and in constant
    /// time (`subtle`), and all of them always, so the time of the answer does not tell an
    /// attacker how many leading bytes of a guess were right (only lengths, which are not
    /// secret, end a comparison early).
    fn accepts(&self, key: &str) -> bool {
        self.keys
            .iter()
            .fold(subtle::Choice::from(0), |found, accepted| {
                found | accepted.as_bytes().ct_eq(key.as_bytes())
            })
            .into()
    }

    /// Take one token from `key`'s bucket; the seconds to wait when it is empty.
    fn take_token(&self, key: &str) -> Result<(), f64> {
        let rate = f64::from(self.config.rate_limit);
        if rate <= 0.0 {
            return Ok(());
        }
        // A thread that panicked while holding the lock left the buckets consistent (every
        // update below is a plain assignment): keep limiting with them rather than stop.
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: rate,
            last: now,
        });
        let elapsed = now.duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(rate);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err((1.0 - bucket.tokens) / rate)
        }
    }
}

/// Paths answered without a key.
fn is_public(path: &str) -> bool {
    matches!(path, "/v1/health" | "/openapi.json" | "/" | "/ui") || path.starts_with(ui::PREFIX)
}

async fn guard(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    if is_public(request.uri().path()) {
        return next.run(request).await;
    }
    let key = AppState::key_of(request.headers());
    let bucket = match (&key, state.config.open) {
        (Some(key), _) if state.accepts(key) => key.clone(),
        (_, true) => "open".to_string(),
        (None, false) => {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "missing_api_key",
                "no API key: send it as `X-API-Key: <key>` (or `Token:`, or `Authorization: \
                 Basic base64(<key>:)`)",
            )
            .into_response();
        }
        (Some(_), false) => {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_api_key",
                "the API key is not one this server accepts",
            )
            .into_response();
        }
    };
    if let Err(wait) = state.take_token(&bucket) {
        let mut response = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "rate limit of {} requests/s for this key exceeded; retry in {wait:.3} s",
                state.config.rate_limit
            ),
        )
        .into_response();
        let seconds = wait.ceil().max(1.0) as u64;
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    next.run(request).await
}

/// Outermost layer: time limit, metrics, the request log, and JSON bodies for every error the
/// framework produces itself (unknown route, wrong method, malformed path or query).
async fn outer(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let timeout = state.config.timeout;
    // On timeout the handler's future is dropped, and with it the guard that cancels its work.
    let response = match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!("the request took longer than the server's limit of {timeout:?}"),
        )
        .into_response(),
    };
    let response = jsonify(response).await;
    let status = response.status().as_u16();
    let micros = started.elapsed().as_micros() as u64;
    state.metrics.record(&route, status, micros);
    if response.status().is_server_error() {
        tracing::error!(%method, %path, %route, status, micros, "request failed");
    } else {
        tracing::info!(%method, %path, %route, status, micros, "request");
    }
    response
}

async fn jsonify(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = if text.trim().is_empty() {
        status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_string()
    } else {
        text
    };
    let mut out = ApiError::new(status, code, message).into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "a handler panicked");
    ApiError::internal("the server hit a bug answering this request; it has been logged")
        .into_response()
}

/// The application: routes and layers.
pub fn router(state: Arc<AppState>) -> Result<Router, ServerError> {
    let mut app = api::routes()
        .merge(cases::routes())
        .merge(sankey::routes())
        .merge(ui::routes())
        .fallback(|| async { ApiError::not_found("no such endpoint; see /openapi.json") })
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard))
        .layer(axum::extract::DefaultBodyLimit::max(state.config.max_body))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), outer));
    if !state.config.cors_origins.is_empty() {
        let origins = state
            .config
            .cors_origins
            .iter()
            .map(|o| HeaderValue::from_str(o).map_err(|_| ServerError::Cors(o.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        app = app.layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
                .allow_headers([
                    header::CONTENT_TYPE,
                    header::AUTHORIZATION,
                    header::HeaderName::from_static("x-api-key"),
                    header::HeaderName::from_static("token"),
                ]),
        );
    }
    Ok(app.with_state(state))
}

/// Serve on an already bound listener until the future `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let app = router(state)?;
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ServerError::Serve)
}

/// Bind `addr`.
pub async fn bind(addr: &str) -> Result<(tokio::net::TcpListener, SocketAddr), ServerError> {
    let bind_err = |source| ServerError::Bind {
        addr: addr.to_string(),
        source,
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(bind_err)?;
    let local = listener.local_addr().map_err(bind_err)?;
    Ok((listener, local))
}

/// Bind `addr` and serve on a runtime of `workers` threads until Ctrl-C; `on_ready` is called
/// with the bound address once the server accepts connections. For callers without a runtime
/// (the CLI).
pub fn serve_blocking(
    addr: &str,
    state: AppState,
    workers: usize,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServerError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .enable_all()
        .build()
        .map_err(ServerError::Serve)?;
    runtime.block_on(async {
        let (listener, local) = bind(addr).await?;
        on_ready(local);
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        serve(listener, Arc::new(state), shutdown).await
    })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A tracing writer into a shared buffer.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner))
                .into_owned()
        }
    }

    fn state(config: Config) -> AppState {
        let dir = tempfile::tempdir().expect("tmp");
        chaintrail_store::Store::init(dir.path()).expect("store");
        let screener = Screener::open(dir.path()).expect("screener");
        let incidents = IncidentLedger::open(dir.path()).expect("incidents");
        AppState::new(screener, incidents, config).expect("state")
    }

    fn keyed(keys: &[&str]) -> Config {
        Config {
            keys: keys.iter().map(|k| k.to_string()).collect(),
            rate_limit: 1,
            ..Config::default()
        }
    }

    #[test]
    fn only_whole_keys_are_accepted() {
        let state = state(keyed(&["alpha-key", "beta"]));
        assert!(state.accepts("alpha-key") && state.accepts("beta"));
        for wrong in ["", "alpha", "alpha-key2", "alpha-kez", "bet", "BETA"] {
            assert!(!state.accepts(wrong), "{wrong}");
        }
    }

    #[test]
    fn a_poisoned_rate_limiter_keeps_limiting() {
        let state = state(keyed(&["k"]));
        assert_eq!(state.take_token("k"), Ok(()));
        // A thread panics while it holds the buckets' lock.
        std::thread::scope(|scope| {
            let panicked = scope
                .spawn(|| {
                    let _held = state.buckets.lock();
                    panic!("panic while rate limiting");
                })
                .join();
            assert!(panicked.is_err());
        });
        assert!(state.buckets.is_poisoned());
        // The bucket is empty (1 request/s): the next request waits, as before the panic.
        let wait = state.take_token("k").expect_err("still limited");
        assert!(wait > 0.0 && wait <= 1.0, "{wait}");
    }

    #[test]
    fn a_panic_is_logged_with_its_message() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let response = tracing::subscriber::with_default(subscriber, || {
            panic_response(Box::new("index out of bounds: the len is 3"))
        });
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let text = captured.text();
        assert!(
            text.contains("ERROR")
                && text.contains("a handler panicked")
                && text.contains("index out of bounds: the len is 3"),
            "{text}"
        );
    }
}
