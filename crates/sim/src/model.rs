//! The records the simulator emits, one block at a time: value flows in chaintrail's model
//! ([`AccountTx`], [`UtxoTx`]) together with what the ETL exports need (logs, traces, gas,
//! OP_RETURN payloads).

use chaintrail_core::{AccountTx, UtxoTx};

use crate::SimError;

/// One EVM event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvmLog {
    pub address: [u8; 20],
    pub topics: Vec<[u8; 32]>,
    pub data: Vec<u8>,
}

/// One call frame (Parity `trace_block` style `call` trace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvmTrace {
    pub from: [u8; 20],
    pub to: [u8; 20],
    pub value: u128,
    pub input: Vec<u8>,
    pub call_type: &'static str,
    pub gas: u64,
    pub gas_used: u64,
    pub subtraces: u32,
    pub trace_address: Vec<u32>,
}

/// An EVM transaction with its receipt data and its value flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvmTx {
    pub from: [u8; 20],
    pub to: [u8; 20],
    pub nonce: u64,
    pub value: u128,
    pub input: Vec<u8>,
    pub gas_limit: u64,
    pub gas_used: u64,
    pub max_fee_per_gas: u64,
    pub max_priority_fee_per_gas: u64,
    pub effective_gas_price: u64,
    pub logs: Vec<EvmLog>,
    /// Call frames in depth-first order; the first is the transaction's top-level call.
    pub traces: Vec<EvmTrace>,
    /// The value flow: hash, block and transfers (value, internal, token, fee, burn, mint).
    pub flow: AccountTx,
}

/// An EVM block. `genesis` holds the genesis allocations of block 0 (a pseudo-transaction
/// whose transfers are all mints; it is not part of `txs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvmBlock {
    pub number: u64,
    pub timestamp: u64,
    pub hash: [u8; 32],
    pub parent_hash: [u8; 32],
    pub miner: [u8; 20],
    pub base_fee_per_gas: u64,
    pub gas_limit: u64,
    pub genesis: Option<AccountTx>,
    pub txs: Vec<EvmTx>,
}

impl EvmBlock {
    /// The value-flow records of this block in order (genesis allocations first).
    pub fn account_txs(&self) -> impl Iterator<Item = &AccountTx> {
        self.genesis
            .iter()
            .chain(self.txs.iter().map(|tx| &tx.flow))
    }

    pub fn gas_used(&self) -> u64 {
        self.txs.iter().map(|tx| tx.gas_used).sum()
    }
}

/// A Bitcoin transaction: its value flow (inputs carry the spent value and address; an OP_RETURN
/// output carries its payload in `data`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BtcTx {
    pub flow: UtxoTx,
}

/// A Bitcoin block; the first transaction is the coinbase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BtcBlock {
    pub height: u64,
    pub timestamp: u64,
    pub hash: [u8; 32],
    pub parent_hash: [u8; 32],
    pub txs: Vec<BtcTx>,
}

/// Receives the world as it is generated, block by block and in ascending height per chain.
/// Blocks of the two chains interleave in time order.
pub trait WorldSink {
    fn evm_block(&mut self, block: &EvmBlock) -> Result<(), SimError>;
    fn btc_block(&mut self, block: &BtcBlock) -> Result<(), SimError>;
}
