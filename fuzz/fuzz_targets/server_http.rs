//! The HTTP API in-process: arbitrary requests (method, path, query, headers, body) through the
//! full axum Router with its guards, over a small simulated world with OFAC labels, TagPacks
//! and incidents. Every answer must come without a panic; every 4xx/5xx must be the API's JSON
//! error; the only 5xx allowed is the documented 503 `timeout` (docs/api.md).
//!
//! Input: a request as text: `METHOD TARGET` on the first line, `Name: value` header lines, an
//! empty line, the body. Without an `X-API-Key`, `Token` or `Authorization` header the valid
//! key is sent.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chaintrail_labels::{IncidentLedger, LabelStore};
use chaintrail_screen::Screener;
use chaintrail_server::{AppState, Config, router};
use chaintrail_sim::SimConfig;
use chaintrail_store::Store;
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

const KEY: &str = "fuzz-key";
const SHARED_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

struct App {
    runtime: tokio::runtime::Runtime,
    router: Router,
}

/// A store with a simulated world (both chains, TagPacks, derived links), the OFAC address list
/// and the DPRK incident list.
fn build_world() -> std::path::PathBuf {
    let dir = chaintrail_fuzz::fresh_dir("server-world");
    let store = Store::init(&dir).expect("init");
    let side = dir.join("sim");
    chaintrail_sim::write_dir(&SimConfig::new(7, 1_000), &side).expect("simulate");
    chaintrail_eval::import_world(&store, &side).expect("import the world");
    let mut labels = LabelStore::open(&dir).expect("labels");
    labels
        .import_tagpacks(&side.join("tagpacks"))
        .expect("tagpacks");
    let ofac = format!("{SHARED_DATA}/ofac_sdn/sdn_digital_currency_addresses_2025-03-04.csv");
    labels.import_ofac(ofac.as_ref(), None).expect("ofac");
    labels.save().expect("save labels");
    chaintrail_links::refresh(&store).expect("links");
    let mut incidents = IncidentLedger::open(&dir).expect("incidents");
    let dprk = format!("{SHARED_DATA}/incidents/dprk_attributed_incidents.csv");
    incidents.import(dprk.as_ref()).expect("incidents");
    incidents.save().expect("save incidents");
    dir
}

fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| {
        let dir = build_world();
        let screener = Screener::open(&dir).expect("screener");
        let incidents = IncidentLedger::open(&dir).expect("incidents");
        let config = Config {
            keys: vec![KEY.to_string()],
            rate_limit: 0,
            timeout: Duration::from_secs(5),
            ..Config::default()
        };
        let state = AppState::new(screener, incidents, config).expect("state");
        App {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("runtime"),
            router: router(Arc::new(state)).expect("router"),
        }
    })
}

/// The request the input spells, or `None` when it is not one HTTP could carry.
fn request(data: &[u8]) -> Option<Request<Body>> {
    let split = data.windows(2).position(|w| w == b"\n\n");
    let (head, body) = match split {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.lines();
    let (method, target) = lines.next()?.split_once(' ')?;
    let mut builder = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).ok()?)
        .uri(target);
    let mut has_key = false;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        has_key |= ["x-api-key", "token", "authorization"]
            .iter()
            .any(|h| name.trim().eq_ignore_ascii_case(h));
        builder = builder.header(name.trim(), value.trim());
    }
    if !has_key {
        builder = builder.header("x-api-key", KEY);
    }
    builder.body(Body::from(body.to_vec())).ok()
}

fuzz_target!(init: { app(); }, |data: &[u8]| {
    let Some(request) = request(data) else {
        return;
    };
    let app = app();
    let (status, body) = app.runtime.block_on(async {
        let response = app
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("the answer's body")
            .to_bytes();
        (status, body)
    });
    if status.is_client_error() || status.is_server_error() {
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!("{status} answer is not JSON ({e}): {}", String::from_utf8_lossy(&body))
        });
        let code = json["error"]["code"].as_str().unwrap_or_else(|| {
            panic!("{status} answer is not the API's error: {json}");
        });
        assert!(
            !status.is_server_error() || (status == StatusCode::SERVICE_UNAVAILABLE && code == "timeout"),
            "undocumented {status} `{code}`: {json}"
        );
    }
});
