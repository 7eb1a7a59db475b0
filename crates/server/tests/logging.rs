//! Every request is logged through `tracing` (route, status, time); server errors at level ERROR.

mod common;

use std::sync::{Arc, Mutex, PoisonError};

use chaintrail_store::Store;
use common::{KEY, config, get, start};

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

#[test]
fn requests_are_logged_with_route_and_status() {
    let captured = Captured::default();
    let writer = captured.clone();
    // The server answers on its own threads: the subscriber must be the global one.
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .init();
    let dir = tempfile::tempdir().expect("tmp");
    Store::init(dir.path()).expect("store");
    let server = start(dir.path(), config());
    assert_eq!(get(&server, "/v1/health", None).status, 200);
    assert_eq!(get(&server, "/v1/nothing-here", Some(KEY)).status, 404);
    drop(server);
    let text = String::from_utf8_lossy(&captured.0.lock().unwrap_or_else(PoisonError::into_inner))
        .into_owned();
    let line = |needle: &str| {
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no log line with {needle} in:\n{text}"))
            .to_string()
    };
    let health = line("path=/v1/health");
    assert!(
        health.contains("INFO")
            && health.contains("route=/v1/health")
            && health.contains("status=200")
            && health.contains("micros="),
        "{health}"
    );
    let missing = line("path=/v1/nothing-here");
    assert!(missing.contains("status=404"), "{missing}");
}
