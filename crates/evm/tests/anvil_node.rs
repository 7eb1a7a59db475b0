//! anvil (Foundry 1.7.1, installed from npm into `.tools/` by setup-anvil.sh) on a free loopback
//! port: shared by the tests that need a real EVM node (this crate's and chaintrail-report's,
//! which includes this file by path).

#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chaintrail_evm::{RpcAuth, RpcClient, RpcOptions};
use serde_json::json;

/// anvil running on a free loopback port; killed on drop.
pub struct Anvil {
    child: Child,
    pub url: String,
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Install (if needed) and start anvil. `None` only when npm is missing.
pub fn start_anvil() -> Option<Anvil> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../evm/tests/setup-anvil.sh");
    let out = Command::new("sh")
        .arg(&script)
        .output()
        .expect("run setup-anvil.sh");
    if out.status.code() == Some(3) {
        eprintln!(
            "\n!!!!!!!! SKIPPING the anvil test: npm is not installed, so anvil cannot be \
             installed. CI must install npm. !!!!!!!!\n"
        );
        return None;
    }
    assert!(
        out.status.success(),
        "setup-anvil.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = String::from_utf8(out.stdout)
        .expect("utf8")
        .trim()
        .to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let child = Command::new(&bin)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--steps-tracing",
            "--silent",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start anvil");
    let anvil = Anvil {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let client = RpcClient::new(
        &anvil.url,
        RpcAuth::None,
        RpcOptions {
            retries: 0,
            ..RpcOptions::default()
        },
    )
    .expect("client");
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.call("eth_chainId", json!([])).is_err() {
        assert!(
            Instant::now() < deadline,
            "anvil did not start on {}",
            anvil.url
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(anvil)
}
