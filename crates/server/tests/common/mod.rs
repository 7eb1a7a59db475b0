//! A server started in-process on 127.0.0.1:0, and a tiny HTTP client.
// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use chaintrail_labels::IncidentLedger;
use chaintrail_screen::Screener;
use chaintrail_server::{AppState, Config};

pub const KEY: &str = "test-key-1";

pub struct Server {
    pub base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub fn config() -> Config {
    Config {
        keys: vec![KEY.to_string()],
        rate_limit: 0,
        ..Config::default()
    }
}

pub fn start(dir: &Path, config: Config) -> Server {
    start_with(Screener::open(dir).expect("open the store"), dir, config)
}

/// Serve `screener` (opened on the store at `dir`, perhaps with other rules or links).
pub fn start_with(screener: Screener, dir: &Path, config: Config) -> Server {
    let incidents = IncidentLedger::open(dir).expect("open the incidents");
    let state = AppState::new(screener, incidents, config).expect("state");
    let (addr_tx, addr_rx) = std::sync::mpsc::channel::<SocketAddr>();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let (listener, addr) = chaintrail_server::bind("127.0.0.1:0").await.expect("bind");
            addr_tx.send(addr).expect("send addr");
            let shutdown = async move {
                let _ = stop_rx.await;
            };
            chaintrail_server::serve(listener, Arc::new(state), shutdown)
                .await
                .expect("serve");
        });
    });
    let addr = addr_rx.recv().expect("server address");
    Server {
        base: format!("http://{addr}"),
        stop: Some(stop_tx),
        thread: Some(thread),
    }
}

/// Percent-encode a path segment.
pub fn seg(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub struct Reply {
    pub status: i32,
    pub json: serde_json::Value,
}

pub fn get(server: &Server, path: &str, key: Option<&str>) -> Reply {
    let mut request = minreq::get(format!("{}{path}", server.base)).with_timeout(60);
    if let Some(key) = key {
        request = request.with_header("X-API-Key", key);
    }
    reply(request.send().expect("GET"))
}

pub fn post(server: &Server, path: &str, body: &str, key: Option<&str>) -> Reply {
    let mut request = minreq::post(format!("{}{path}", server.base))
        .with_timeout(60)
        .with_header("Content-Type", "application/json")
        .with_body(body.to_string());
    if let Some(key) = key {
        request = request.with_header("X-API-Key", key);
    }
    reply(request.send().expect("POST"))
}

pub fn patch(server: &Server, path: &str, body: &str, key: Option<&str>) -> Reply {
    let mut request = minreq::patch(format!("{}{path}", server.base))
        .with_timeout(60)
        .with_header("Content-Type", "application/json")
        .with_body(body.to_string());
    if let Some(key) = key {
        request = request.with_header("X-API-Key", key);
    }
    reply(request.send().expect("PATCH"))
}

fn reply(response: minreq::Response) -> Reply {
    let json = serde_json::from_slice(response.as_bytes()).unwrap_or_else(|e| {
        panic!(
            "status {}: body is not JSON ({e}): {}",
            response.status_code,
            String::from_utf8_lossy(response.as_bytes())
        )
    });
    Reply {
        status: response.status_code,
        json,
    }
}

pub fn delete(server: &Server, path: &str, key: Option<&str>) -> Reply {
    let mut request = minreq::delete(format!("{}{path}", server.base)).with_timeout(60);
    if let Some(key) = key {
        request = request.with_header("X-API-Key", key);
    }
    reply(request.send().expect("DELETE"))
}
