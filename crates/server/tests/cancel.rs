//! A request that runs out of time is answered 503 and its work stops: the trace engine checks
//! the request's cancellation flag, so the CPU is free again right after the answer.

mod common;

use std::time::{Duration, Instant};

use chaintrail_core::{Address, Chain};
use chaintrail_store::Store;
use common::{KEY, config, post, start};

/// The synthetic generator's busiest hub: a poison trace from it reaches most of the store.
fn hub() -> Address {
    let mut raw = [0u8; 20];
    raw[8..12].copy_from_slice(b"synt");
    Address::Evm(raw)
}

/// (work running, work cancelled) from /v1/metrics.
fn work(base: &str) -> (u64, u64) {
    let text = minreq::get(format!("{base}/v1/metrics"))
        .with_header("X-API-Key", KEY)
        .with_timeout(10)
        .send()
        .expect("metrics")
        .as_str()
        .expect("text")
        .to_string();
    let value = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in\n{text}"))
    };
    (
        value("chaintrail_work_running"),
        value("chaintrail_work_cancelled_total"),
    )
}

#[test]
fn a_timed_out_trace_stops_working() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    let mut writer = store.writer(Chain::Evm(31337)).expect("writer");
    // 200,000 transfers: the poison trace below takes about a second in a debug build and
    // 0.1 s in a release build, against a limit of 50 ms.
    for tx in chaintrail_ingest::synthetic::account_txs(7, 200_000) {
        writer.append_account_tx(&tx).expect("append");
    }
    writer
        .finish("test", serde_json::json!(null))
        .expect("finish");
    let server = start(
        dir.path(),
        chaintrail_server::Config {
            timeout: Duration::from_millis(50),
            ..config()
        },
    );
    assert_eq!(work(&server.base), (0, 0));
    let body = format!(r#"{{"seeds":["anvil:{}"],"policy":"poison"}}"#, hub());
    let reply = post(&server, "/v1/trace", &body, Some(KEY));
    let answered = Instant::now();
    assert_eq!(reply.status, 503, "{}", reply.json);
    assert_eq!(reply.json["error"]["code"], "timeout");
    // The worker notices the flag at its next event and gives up.
    let stopped = loop {
        let (running, cancelled) = work(&server.base);
        if running == 0 {
            assert_eq!(cancelled, 1, "the trace finished instead of stopping");
            break answered.elapsed();
        }
        assert!(
            answered.elapsed() < Duration::from_secs(5),
            "the worker is still running 5 s after the timeout"
        );
        std::thread::sleep(Duration::from_millis(2));
    };
    eprintln!("worker stopped {stopped:?} after the 503");
    assert!(stopped < Duration::from_millis(500), "{stopped:?}");
}
