//! Benchmark of RPC ingestion from a real node: starts anvil (installed into `.tools/` by
//! `crates/evm/tests/setup-anvil.sh`), mines `blocks` blocks of `per_block` ether transfers
//! between the dev accounts, then ingests them and prints blocks/s and transfers/s.
//!
//! `cargo run --release -p chaintrail-evm --example bench_anvil -- [blocks] [per_block]`
//! (default 1,000 blocks × 5 transfers).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chaintrail_evm::{Call, RpcAuth, RpcOptions};
use chaintrail_evm::{RpcClient, RpcConfig, ingest_rpc_with};
use chaintrail_ingest::ImportOptions;
use chaintrail_store::Store;
use serde_json::{Value, json};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let blocks: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1000);
    let per_block: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(5);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/setup-anvil.sh");
    let out = Command::new("sh").arg(script).output()?;
    if !out.status.success() {
        return Err(format!("setup-anvil.sh: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let bin = String::from_utf8(out.stdout)?.trim().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut anvil = Command::new(bin)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--steps-tracing",
            "--silent",
            "--no-mining",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let url = format!("http://127.0.0.1:{port}");
    let result = run(&url, blocks, per_block);
    let _ = anvil.kill();
    let _ = anvil.wait();
    result
}

fn run(url: &str, blocks: u64, per_block: usize) -> Result<(), Box<dyn std::error::Error>> {
    let client = RpcClient::new(
        url,
        RpcAuth::None,
        RpcOptions {
            retries: 0,
            ..RpcOptions::default()
        },
    )?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.call("eth_chainId", json!([])).is_err() {
        if Instant::now() > deadline {
            return Err("anvil did not start".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let accounts: Vec<Value> = client
        .call("eth_accounts", json!([]))?
        .as_array()
        .cloned()
        .unwrap_or_default();
    let started = Instant::now();
    for block in 0..blocks {
        let calls: Vec<Call> = (0..per_block)
            .map(|i| {
                let from = &accounts[(block as usize + i) % accounts.len()];
                let to = &accounts[(block as usize + i + 1) % accounts.len()];
                Call::new(
                    "eth_sendTransaction",
                    json!([{"from": from, "to": to, "value": format!("{:#x}", 1_000_000_000u64 * (i as u64 + 1)), "gas": "0x5208"}]),
                )
            })
            .collect();
        for answer in client.batch(&calls)? {
            answer.map_err(|e| format!("eth_sendTransaction: {e}"))?;
        }
        client.call("evm_mine", json!([]))?;
    }
    println!(
        "mined {blocks} blocks × {per_block} transfers in {:.1?}",
        started.elapsed()
    );
    let dir = tempfile::tempdir()?;
    let store = Store::init(dir.path())?;
    let started = Instant::now();
    let report = ingest_rpc_with(
        &store,
        url,
        1,
        blocks,
        &RpcConfig::default(),
        &ImportOptions::default(),
    )?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "ingested {} blocks, {} txs, {} transfers ({}) in {seconds:.2} s: {:.0} blocks/s, {:.0} transfers/s",
        report.blocks,
        report.import.totals.txs,
        report.import.totals.transfers,
        report.import.format,
        report.blocks as f64 / seconds,
        report.import.totals.transfers as f64 / seconds
    );
    Ok(())
}
