//! What the datasets of a cryo export allow chaintrail to derive (internal transfers, token
//! transfers, fees, outcomes), decided once per import and said in the import report.

use std::collections::HashSet;
use std::path::Path;

use super::columns::CryoDataset;
use super::files::Survey;

/// What the datasets present allow.
pub(crate) struct Coverage {
    present: HashSet<CryoDataset>,
    /// Internal transfers from `traces`.
    pub(crate) traces: bool,
    /// Internal transfers from `native_transfers` (only without `traces`).
    pub(crate) natives: bool,
    /// Token transfers and protocol events from `logs`.
    pub(crate) logs: bool,
    /// Gas fees from `blocks` and `transactions` (with the columns they need).
    pub(crate) fees: bool,
    /// Every block is in the `blocks` files.
    pub(crate) blocks: bool,
    /// Senders from `transactions`.
    pub(crate) transactions: bool,
}

impl Coverage {
    /// What the datasets `present` allow, before the rows are surveyed.
    pub(crate) fn of(present: HashSet<CryoDataset>) -> Coverage {
        let has = |d| present.contains(&d);
        Coverage {
            traces: has(CryoDataset::Traces),
            natives: !has(CryoDataset::Traces) && has(CryoDataset::NativeTransfers),
            logs: has(CryoDataset::Logs),
            fees: has(CryoDataset::Blocks) && has(CryoDataset::Transactions),
            blocks: has(CryoDataset::Blocks),
            transactions: has(CryoDataset::Transactions),
            present,
        }
    }

    fn has(&self, dataset: CryoDataset) -> bool {
        self.present.contains(&dataset)
    }

    /// Whether a file of `dataset` is read: `native_transfers` and `erc20_transfers` only stand
    /// in for a missing `traces` and `logs`.
    pub(crate) fn reads(&self, dataset: CryoDataset) -> bool {
        match dataset {
            CryoDataset::NativeTransfers => !self.traces,
            CryoDataset::Erc20Transfers => !self.logs,
            _ => true,
        }
    }

    /// Settle what the rows allow (fees need every block's fee recipient and every
    /// transaction's gas), and describe it all: the import report's format, with `notes` (said
    /// before, e.g. about the chain id); each note is logged as a warning about `dir`.
    pub(crate) fn settle(&mut self, survey: &Survey, mut notes: Vec<String>, dir: &Path) -> String {
        let native = self.native_source(&mut notes);
        let tokens = self.token_source(&mut notes);
        if survey.txs_without_gas > 0 || survey.blocks_without_miner > 0 {
            self.fees = false;
        }
        let fees = self.fee_source(survey, &mut notes);
        if self.transactions && survey.txs_without_success > 0 && !self.traces {
            notes.push(
                "transaction outcome unknown (no success column): all counted successful"
                    .to_string(),
            );
        }
        if !self.transactions {
            notes.push(
                "no transactions: senders unknown, swap, mixer and bridge-log events skipped"
                    .to_string(),
            );
        }
        if !self.blocks && survey.txs_with_timestamp == 0 {
            notes.push("no blocks: timestamps 0".to_string());
        }
        notes.push("no beacon withdrawals (not in cryo's datasets)".to_string());
        for note in &notes {
            tracing::warn!("cryo import of {}: {note}", dir.display());
        }
        format!(
            "cryo (native: {native}; tokens: {tokens}; fees: {fees}; {})",
            notes.join("; ")
        )
    }

    fn native_source(&self, notes: &mut Vec<String>) -> &'static str {
        if self.traces {
            "traces"
        } else if self.natives {
            notes.push(
                "native_transfers has no error or call-type columns: ether moved by reverted \
                 internal calls counts as moved, delegatecall values are kept; export traces \
                 for exact internal transfers"
                    .to_string(),
            );
            "native_transfers"
        } else if self.transactions {
            notes.push("no internal transfers (export traces or native_transfers)".to_string());
            "transactions"
        } else {
            notes.push("no ether transfers (export transactions and traces)".to_string());
            "none"
        }
    }

    fn token_source(&self, notes: &mut Vec<String>) -> &'static str {
        if self.logs {
            "logs"
        } else if self.has(CryoDataset::Erc20Transfers) {
            notes.push("no WETH wraps, swaps or mixer events (they need logs)".to_string());
            "erc20_transfers"
        } else {
            notes.push("no token transfers (export logs or erc20_transfers)".to_string());
            "none"
        }
    }

    fn fee_source(&self, survey: &Survey, notes: &mut Vec<String>) -> &'static str {
        if !self.fees {
            notes.push(
                "no gas fees (they need blocks with author and base_fee_per_gas, and \
                 transactions with gas_used and gas_price)"
                    .to_string(),
            );
            return "none";
        }
        if survey.blob_txs > 0 {
            notes.push(format!(
                "blob gas of {} blob transactions not burnt (cryo has no blob gas columns)",
                survey.blob_txs
            ));
        }
        "transactions+blocks"
    }
}
