//! What the follow tests share: an observer that records what it is told, and a follow that
//! stops at a height.

// Each test binary uses a part of these.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chaintrail_core::Chain;
use chaintrail_follow::{BlockObserver, FollowConfig};
use chaintrail_store::Store;

/// Every event, as text: `applied FROM..=TO`, `rolled back to FORK`.
pub struct Recorder(pub Arc<Mutex<Vec<String>>>);

impl BlockObserver for Recorder {
    fn blocks_applied(&mut self, _: &Store, _: Chain, from: u64, to: u64) -> anyhow::Result<()> {
        self.0
            .lock()
            .expect("lock")
            .push(format!("applied {from}..={to}"));
        Ok(())
    }
    fn rolled_back(&mut self, _: &Store, _: Chain, fork_point: u64) -> anyhow::Result<()> {
        self.0
            .lock()
            .expect("lock")
            .push(format!("rolled back to {fork_point}"));
        Ok(())
    }
}

/// Follow until block `height` is applied, polling every 20 ms.
pub fn until(height: u64) -> FollowConfig {
    FollowConfig {
        until_block: Some(height),
        poll_interval: Duration::from_millis(20),
        ..FollowConfig::default()
    }
}

/// A regtest node in `dir` with 101 mined blocks, a payment of 7.5 coins, and `then` more blocks
/// (the payment is in block 102). `None` when no node is installed (the test then skips).
pub fn node_with_a_payment(
    dir: &std::path::Path,
    then: u64,
) -> Option<chaintrail_bitcoin::testing::RegtestNode> {
    let node = chaintrail_bitcoin::testing::RegtestNode::start(dir)?;
    let rpc = node.client();
    rpc.call("generate", serde_json::json!([101]))
        .expect("generate");
    let payee = rpc
        .call("getnewaddress", serde_json::json!([]))
        .expect("address");
    rpc.call("sendtoaddress", serde_json::json!([payee, 7.5]))
        .expect("send");
    rpc.call("generate", serde_json::json!([then]))
        .expect("generate");
    Some(node)
}
