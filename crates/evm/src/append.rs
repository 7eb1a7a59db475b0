//! Appending fetched blocks to an EVM chain's store: the one path from "blocks a..b fetched
//! from a node" to "stored", shared by the range importer (`ingest_rpc`) and the live follower
//! (`chaintrail-follow`'s `EvmSource`).
//!
//! Per batch of consecutive blocks: the parent-hash check against the stored head, value flows,
//! the symbol and decimals of tokens first seen, the transactions, and the protocol events
//! (fsynced before the store commit). The events' lengths and the new head are *staged* as
//! cursors: the caller's commit makes them durable with its own resume cursor, in one checkpoint.

use alloy_primitives::Address as EvmAddress;
use chaintrail_core::{Asset, Chain};
use chaintrail_store::{ChainWriter, Store};

use crate::EvmError;
use crate::events::{EVENTS_CURSOR, EventBatch, EventFiles, events_dir};
use crate::flows::{FlowRules, block_flows};
use crate::head::{ForkedBlock, ParentCheck};
use crate::model::BlockBundle;
use crate::rpc::Fetcher;
use crate::tokens::{TokenNamer, TokenNaming, fetch_metadata};

/// How many protocol events were stored.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct EventCounts {
    pub(crate) swaps: u64,
    pub(crate) mixers: u64,
    pub(crate) contracts: u64,
    pub(crate) kept_logs: u64,
}

impl EventCounts {
    fn count(&mut self, batch: &EventBatch) {
        self.swaps += batch.swaps.len() as u64;
        self.mixers += batch.mixers.len() as u64;
        self.contracts += batch.contracts.len() as u64;
        self.kept_logs += batch.logs.len() as u64;
    }
}

/// Appends blocks fetched with a [`Fetcher`] to one EVM chain of a store (see the module docs).
pub struct BlockAppender {
    rules: FlowRules,
    parents: ParentCheck,
    events: EventFiles,
    tokens: TokenNamer,
    counts: EventCounts,
    txs_read: u64,
}

impl BlockAppender {
    /// An appender for chain `chain_id` as `writer` holds it: its stored head and committed
    /// events (events written after the last commit are cut off). `wrapped_native`: wrapped-native
    /// contracts besides the chain's known WETH.
    pub fn open(
        store: &Store,
        writer: &mut ChainWriter,
        chain_id: u64,
        wrapped_native: &[EvmAddress],
    ) -> Result<BlockAppender, EvmError> {
        let chain = Chain::Evm(chain_id);
        if writer.chain() != chain {
            return Err(EvmError::Input(format!(
                "the node serves {chain}, but the writer is for {}",
                writer.chain()
            )));
        }
        writer.register_asset(&Asset::native(chain))?;
        Ok(BlockAppender {
            rules: FlowRules::new(chain_id, wrapped_native),
            parents: ParentCheck::load(writer),
            events: EventFiles::open(events_dir(store, chain), writer.cursor(EVENTS_CURSOR))?,
            tokens: TokenNamer::default(),
            counts: EventCounts::default(),
            txs_read: 0,
        })
    }

    /// Append `bundles` (consecutive blocks, in order) up to the first that is not on the
    /// stored chain, which is returned and not stored. Stages the events' lengths and the new
    /// head; the caller commits.
    pub fn append(
        &mut self,
        writer: &mut ChainWriter,
        fetcher: &Fetcher,
        bundles: &[BlockBundle],
    ) -> Result<Option<ForkedBlock>, EvmError> {
        let mut fork = None;
        let mut flows = Vec::with_capacity(bundles.len());
        for bundle in bundles {
            if let Err(forked) = self.parents.accept(&bundle.block) {
                fork = Some(forked);
                break;
            }
            let number = bundle.block.number;
            flows.push(
                block_flows(&self.rules, bundle).map_err(|message| EvmError::Decode {
                    method: format!(
                        "eth_getBlockByNumber + receipts + {}",
                        fetcher.traces.method()
                    ),
                    block: Some(number),
                    message: message.to_string(),
                })?,
            );
        }
        // Tokens first seen here: their own symbol() and decimals(), else the registry.
        let fresh = self
            .tokens
            .first_seen(writer, flows.iter().flat_map(|f| &f.txs));
        let answers = fetch_metadata(fetcher.client(), &fresh);
        for (contract, metadata) in fresh.iter().zip(answers) {
            self.tokens.name(writer, contract, metadata)?;
        }
        let mut batch = EventBatch::default();
        for block in flows {
            for (tx, tx_events) in block.txs.iter().zip(block.events) {
                // A transaction the store holds already (read again after a crash) keeps its
                // events from the first time.
                if writer.append_account_tx(tx)? {
                    self.txs_read += 1;
                    batch.append(tx_events);
                }
            }
        }
        self.counts.count(&batch);
        let committed = self.events.append(&batch)?;
        writer.stage_cursor(EVENTS_CURSOR, committed);
        self.parents.stage(writer);
        Ok(fork)
    }

    /// Transactions stored by this appender (not those the store already held).
    pub fn txs_read(&self) -> u64 {
        self.txs_read
    }

    /// How the tokens first seen got their symbol and decimals.
    pub fn token_naming(&self) -> TokenNaming {
        self.tokens.naming
    }

    pub(crate) fn counts(&self) -> EventCounts {
        self.counts
    }

    /// Log which blocks were checked against their stored parent and why the others were not.
    pub fn log_parent_checks(&self, source: &str) {
        self.parents.log(source);
    }
}
