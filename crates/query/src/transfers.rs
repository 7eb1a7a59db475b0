//! Reading an account chain's transfers in batches: all of them, or those of one address, within
//! a time range. A scan keeps only its position between batches, so a caller (the Python
//! package's Arrow stream) can hold it across calls without borrowing the reader.

use chaintrail_core::{Address, BlockRef, Chain, ChainModel, TransferKind};
use chaintrail_store::ChainReader;
use serde::Serialize;

use crate::{AssetAmount, asset_amount, name};

/// One transfer with its transaction and block resolved.
#[derive(Debug, Clone, Serialize)]
pub struct TransferRecord {
    /// The chain.
    pub chain: Chain,
    /// The block that confirmed it (header time).
    pub block: BlockRef,
    /// The transaction hash, 0x-prefixed as account chains write it.
    pub tx: String,
    /// Its position among the transaction's transfers.
    pub position: u32,
    /// The sender (`None` for value created).
    pub from: Option<String>,
    /// The receiver (`None` for value destroyed).
    pub to: Option<String>,
    /// What kind of movement.
    pub kind: TransferKind,
    /// What moved, exact.
    pub value: AssetAmount,
    /// Whether it took effect (a reverted call's transfers are stored but moved nothing).
    pub success: bool,
}

/// The rows a scan visits.
#[derive(Debug, Clone)]
enum Rows {
    /// Every row below the count, in store order.
    All(u64),
    /// These rows (one address's, ascending).
    Listed(Vec<u64>),
}

/// A position in one chain's transfers; [`TransferScan::next_batch`] reads on from it.
#[derive(Debug, Clone)]
pub struct TransferScan {
    chain: Chain,
    rows: Rows,
    next: usize,
    since: Option<u64>,
    until: Option<u64>,
}

impl TransferScan {
    /// A scan of `reader`'s transfers, only those sent or received by `address` when given, only
    /// those in blocks with a header time in `since..=until` (Unix seconds) when given. UTXO
    /// chains have no transfers: their scan is empty.
    pub fn new(
        reader: &ChainReader,
        address: Option<&Address>,
        since: Option<u64>,
        until: Option<u64>,
    ) -> TransferScan {
        let rows = match (reader.model(), address) {
            (ChainModel::Utxo, _) => Rows::Listed(Vec::new()),
            (ChainModel::Account, None) => Rows::All(reader.transfer_count()),
            (ChainModel::Account, Some(address)) => {
                let mut rows: Vec<u64> = match reader.address_id(address) {
                    Some(id) => reader.outgoing(id).chain(reader.incoming(id)).collect(),
                    None => Vec::new(),
                };
                // A transfer to oneself is in both lists.
                rows.sort_unstable();
                rows.dedup();
                Rows::Listed(rows)
            }
        };
        TransferScan {
            chain: reader.chain(),
            rows,
            next: 0,
            since,
            until,
        }
    }

    /// The chain this scan reads.
    pub fn chain(&self) -> Chain {
        self.chain
    }

    /// Up to `max` more transfers (at least one when `max` > 0); empty when the scan is done.
    pub fn next_batch(&mut self, reader: &ChainReader, max: usize) -> Vec<TransferRecord> {
        let mut batch = Vec::new();
        while batch.len() < max {
            let row = match &self.rows {
                Rows::All(count) => match u64::try_from(self.next) {
                    Ok(row) if row < *count => row,
                    _ => break,
                },
                Rows::Listed(rows) => match rows.get(self.next) {
                    Some(&row) => row,
                    None => break,
                },
            };
            self.next += 1;
            let Some(t) = reader.transfer(row) else {
                continue;
            };
            let time = t.block.timestamp;
            if self.since.is_some_and(|since| time < since)
                || self.until.is_some_and(|until| time > until)
            {
                continue;
            }
            batch.push(TransferRecord {
                chain: self.chain,
                block: t.block,
                tx: reader.tx_hash(t.tx).to_hex_prefixed(),
                position: t.position,
                from: name(reader, t.from),
                to: name(reader, t.to),
                kind: t.kind,
                value: asset_amount(reader, t.asset, t.amount),
                success: t.success,
            });
        }
        batch
    }
}
