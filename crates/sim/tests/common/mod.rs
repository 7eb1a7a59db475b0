//! A sink that keeps a small world in memory, shared by the integration tests.
// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::collections::HashMap;

use chaintrail_core::{AccountTx, TxHash};
use chaintrail_sim::*;

/// An EVM transaction as the tests look at it: its sender and recipient, its block and the
/// block's base fee, its fee fields, and its logs with their block-wide indexes
/// (ethereum-etl's `log_index`).
pub struct EvmTxView {
    pub from: [u8; 20],
    pub to: [u8; 20],
    pub block: u64,
    pub base_fee: u64,
    pub max_fee_per_gas: u64,
    pub max_priority_fee_per_gas: u64,
    pub effective_gas_price: u64,
    pub logs: Vec<(u64, EvmLog)>,
}

#[derive(Default)]
pub struct Collect {
    pub evm: Vec<AccountTx>,
    pub btc: Vec<BtcTx>,
    pub evm_heights: Vec<u64>,
    pub btc_heights: Vec<u64>,
    pub evm_txs: HashMap<TxHash, EvmTxView>,
}

impl WorldSink for Collect {
    fn evm_block(&mut self, block: &EvmBlock) -> Result<(), SimError> {
        self.evm_heights.push(block.number);
        self.evm.extend(block.account_txs().cloned());
        let mut index = 0u64;
        for tx in &block.txs {
            let logs = tx
                .logs
                .iter()
                .map(|log| {
                    index += 1;
                    (index - 1, log.clone())
                })
                .collect();
            self.evm_txs.insert(
                tx.flow.hash,
                EvmTxView {
                    from: tx.from,
                    to: tx.to,
                    block: block.number,
                    base_fee: block.base_fee_per_gas,
                    max_fee_per_gas: tx.max_fee_per_gas,
                    max_priority_fee_per_gas: tx.max_priority_fee_per_gas,
                    effective_gas_price: tx.effective_gas_price,
                    logs,
                },
            );
        }
        Ok(())
    }
    fn btc_block(&mut self, block: &BtcBlock) -> Result<(), SimError> {
        self.btc_heights.push(block.height);
        self.btc.extend(block.txs.iter().cloned());
        Ok(())
    }
}

/// The tests' world: two days at scale 30,000.
pub fn small() -> SimConfig {
    SimConfig {
        seed: 7,
        scale: 30_000,
        days: 2,
    }
}

pub fn run(cfg: &SimConfig) -> (Collect, GroundTruth) {
    let mut c = Collect::default();
    let truth = simulate(cfg, &mut c).expect("simulation runs");
    (c, truth)
}
