//! The `ethereum-etl` import format: a directory of ethereum-etl tables (`blocks`,
//! `transactions`, `receipts`, `logs`, `token_transfers`, `traces`, `tokens`), each as CSV or as
//! JSON lines, either as `<table>.csv|json` or as files `<table>_*.csv|json` anywhere below the
//! directory (the partitioned layout of `ethereumetl export_all`), or `ethereumetl stream`
//! output (see [`crate::etl_files`]).
//!
//! The export is read block by block with bounded memory ([`chaintrail_ingest::ordered`]): each
//! block's rows of every table are gathered, turned into flows, appended and dropped; rows out of
//! block order (parallel exports) are merged back into order.
//!
//! Value flows come from the same code as RPC ingestion. `logs` are preferred to
//! `token_transfers` (they also carry WETH, swap and mixer events); `traces`, when present, give
//! internal transfers. The chain is Ethereum (chain id 1) unless the directory holds a file
//! `chain_id` with another EIP-155 id.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use alloy_primitives::{Address as EvmAddress, B256, Bytes, U256};
use alloy_sol_types::SolEvent;
use chaintrail_core::ethereum_etl::{
    blocks, logs, receipts, token_transfers, tokens, traces, transactions,
};
use chaintrail_core::{Address, Asset, Chain};
use chaintrail_ingest::ordered::{BlockOrder, RowReader, total_bytes};
use chaintrail_ingest::{ImportError, ImportOptions, ImportReport, Importer};
use chaintrail_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::etl_files::find_export;
use crate::events::{EVENTS_CURSOR, EventBatch, EventFiles, Transfer, events_dir};
use crate::flows::{FlowRules, block_flows};
use crate::head::ParentCheck;
use crate::model::{
    BlockBundle, EvmBlock, EvmLog, EvmReceipt, EvmTrace, EvmTransaction, TraceType, Withdrawal,
    propagate_trace_status,
};
use crate::rpcjson::{address_text, b256_text, bytes_text, u256_text};
use crate::tokens::{SourceMetadata, TokenNamer};

/// An ethereum-etl table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EtlTable {
    /// `blocks`.
    Blocks,
    /// `transactions`.
    Transactions,
    /// `receipts`.
    Receipts,
    /// `logs`.
    Logs,
    /// `token_transfers`.
    TokenTransfers,
    /// `traces`.
    Traces,
    /// `tokens`.
    Tokens,
}

impl EtlTable {
    pub(crate) const ALL: [EtlTable; 7] = [
        EtlTable::Blocks,
        EtlTable::Transactions,
        EtlTable::Receipts,
        EtlTable::Logs,
        EtlTable::TokenTransfers,
        EtlTable::Traces,
        EtlTable::Tokens,
    ];

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The column naming a row's block.
    pub(crate) fn block_column(self) -> &'static str {
        match self {
            EtlTable::Blocks => blocks::NUMBER,
            EtlTable::Transactions => transactions::BLOCK_NUMBER,
            EtlTable::Receipts => receipts::BLOCK_NUMBER,
            EtlTable::Logs => logs::BLOCK_NUMBER,
            EtlTable::TokenTransfers => token_transfers::BLOCK_NUMBER,
            EtlTable::Traces => traces::BLOCK_NUMBER,
            EtlTable::Tokens => tokens::BLOCK_NUMBER,
        }
    }

    /// The table of an `ethereumetl stream` item `type`.
    pub(crate) fn of_item(kind: &str) -> Option<EtlTable> {
        Some(match kind {
            "block" => EtlTable::Blocks,
            "transaction" => EtlTable::Transactions,
            "receipt" => EtlTable::Receipts,
            "log" => EtlTable::Logs,
            "token_transfer" => EtlTable::TokenTransfers,
            "trace" => EtlTable::Traces,
            "token" => EtlTable::Tokens,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            EtlTable::Blocks => blocks::TABLE,
            EtlTable::Transactions => transactions::TABLE,
            EtlTable::Receipts => receipts::TABLE,
            EtlTable::Logs => logs::TABLE,
            EtlTable::TokenTransfers => token_transfers::TABLE,
            EtlTable::Traces => traces::TABLE,
            EtlTable::Tokens => tokens::TABLE,
        }
    }

    /// The table a file holds, from its name (`blocks.csv`, `blocks_00000000_00099999.json`).
    pub(crate) fn of_file(path: &Path) -> Option<EtlTable> {
        let ext = path.extension()?.to_str()?;
        if ext != "csv" && ext != "json" {
            return None;
        }
        let stem = path.file_stem()?.to_str()?;
        EtlTable::ALL.into_iter().find(|t| {
            stem == t.name()
                || stem
                    .strip_prefix(t.name())
                    .and_then(|rest| rest.strip_prefix('_'))
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        })
    }
}

/// One parsed row of an ethereum-etl table.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EtlRecord {
    /// A `blocks` row.
    Block(EvmBlock),
    /// A transaction, with its receipt when the table has ethereum-etl's `receipt_*` columns.
    Transaction(Box<EvmTransaction>, Option<Box<EvmReceipt>>),
    /// A `receipts` row.
    Receipt(EvmReceipt),
    /// A `logs` row.
    Log(EvmLog),
    /// A `token_transfers` row.
    TokenTransfer(crate::events::TokenTransfer),
    /// A `traces` row.
    Trace(EvmTrace),
    /// A `tokens` row.
    Token {
        /// The token contract.
        address: EvmAddress,
        /// Its symbol (empty when the export has none).
        symbol: String,
        /// Its decimals, when the export has them.
        decimals: Option<u8>,
    },
}

impl EtlRecord {
    /// The block the row belongs to (`tokens` rows belong to none).
    pub fn block_number(&self) -> Option<u64> {
        Some(match self {
            EtlRecord::Block(b) => b.number,
            EtlRecord::Transaction(tx, _) => tx.block_number,
            EtlRecord::Receipt(r) => r.block_number,
            EtlRecord::Log(l) => l.block_number,
            EtlRecord::TokenTransfer(t) => t.block_number,
            EtlRecord::Trace(t) => t.block_number,
            EtlRecord::Token { .. } => return None,
        })
    }
}

/// A row: column → text, `None` when empty or null.
pub(crate) trait Row {
    fn text(&self, column: &str) -> Option<Cow<'_, str>>;
    /// A list column: JSON array, or comma-separated text in CSV.
    fn list(&self, column: &str) -> Result<Vec<String>, String>;
}

pub(crate) struct CsvRow<'a> {
    pub(crate) columns: &'a HashMap<String, usize>,
    pub(crate) record: &'a csv::StringRecord,
}

impl Row for CsvRow<'_> {
    fn text(&self, column: &str) -> Option<Cow<'_, str>> {
        let value = self.record.get(*self.columns.get(column)?)?;
        (!value.is_empty()).then_some(Cow::Borrowed(value))
    }

    fn list(&self, column: &str) -> Result<Vec<String>, String> {
        Ok(match self.text(column) {
            None => Vec::new(),
            Some(text) => text.split(',').map(|s| s.trim().to_string()).collect(),
        })
    }
}

pub(crate) struct JsonRow<'a>(pub(crate) HashMap<String, &'a RawValue>);

impl Row for JsonRow<'_> {
    fn text(&self, column: &str) -> Option<Cow<'_, str>> {
        let raw = self.0.get(column)?.get();
        if raw == "null" {
            return None;
        }
        if raw.starts_with('"') {
            let text: String = serde_json::from_str(raw).ok()?;
            return (!text.is_empty()).then_some(Cow::Owned(text));
        }
        Some(Cow::Borrowed(raw))
    }

    fn list(&self, column: &str) -> Result<Vec<String>, String> {
        let Some(raw) = self.0.get(column) else {
            return Ok(Vec::new());
        };
        let values: Option<Vec<serde_json::Value>> = serde_json::from_str(raw.get())
            .map_err(|e| format!("column `{column}`: expected a list: {e}"))?;
        Ok(values
            .unwrap_or_default()
            .into_iter()
            .map(|v| match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            })
            .collect())
    }
}

fn req<'a>(row: &'a dyn Row, column: &str) -> Result<Cow<'a, str>, String> {
    row.text(column)
        .ok_or_else(|| format!("column `{column}` is missing or empty"))
}

fn ctx<T>(column: &str, result: Result<T, String>) -> Result<T, String> {
    result.map_err(|e| format!("column `{column}`: {e}"))
}

fn u64_of(row: &dyn Row, column: &str) -> Result<u64, String> {
    let wide = ctx(column, u256_text(&req(row, column)?))?;
    ctx(
        column,
        u64::try_from(wide).map_err(|_| format!("{wide} does not fit in 64 bits")),
    )
}

fn opt_u64(row: &dyn Row, column: &str) -> Result<Option<u64>, String> {
    match row.text(column) {
        None => Ok(None),
        Some(_) => u64_of(row, column).map(Some),
    }
}

fn u256_of(row: &dyn Row, column: &str) -> Result<U256, String> {
    ctx(column, u256_text(&req(row, column)?))
}

fn opt_u256(row: &dyn Row, column: &str) -> Result<Option<U256>, String> {
    row.text(column)
        .map(|t| ctx(column, u256_text(&t)))
        .transpose()
}

fn address_of(row: &dyn Row, column: &str) -> Result<EvmAddress, String> {
    ctx(column, address_text(&req(row, column)?))
}

fn opt_address(row: &dyn Row, column: &str) -> Result<Option<EvmAddress>, String> {
    row.text(column)
        .map(|t| ctx(column, address_text(&t)))
        .transpose()
}

fn b256_of(row: &dyn Row, column: &str) -> Result<B256, String> {
    ctx(column, b256_text(&req(row, column)?))
}

fn opt_b256(row: &dyn Row, column: &str) -> Result<Option<B256>, String> {
    row.text(column)
        .map(|t| ctx(column, b256_text(&t)))
        .transpose()
}

fn bytes_of(row: &dyn Row, column: &str) -> Result<Bytes, String> {
    row.text(column)
        .map(|t| ctx(column, bytes_text(&t)))
        .transpose()
        .map(Option::unwrap_or_default)
}

/// ethereum-etl writes withdrawals as a JSON list (JSON export) or as the list's items joined
/// by commas (CSV export).
fn withdrawals_of(row: &dyn Row) -> Result<Vec<Withdrawal>, String> {
    #[derive(Deserialize)]
    struct W {
        index: serde_json::Value,
        validator_index: serde_json::Value,
        address: String,
        amount: serde_json::Value,
    }
    let Some(text) = row.text(blocks::WITHDRAWALS) else {
        return Ok(Vec::new());
    };
    let text = text.trim();
    let list = if text.starts_with('[') {
        text.to_string()
    } else {
        format!("[{text}]")
    };
    let items: Vec<W> = serde_json::from_str(&list)
        .map_err(|e| format!("column `withdrawals`: not a list of withdrawals: {e}"))?;
    let number = |v: &serde_json::Value| -> Result<u64, String> {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let wide = u256_text(&text)?;
        u64::try_from(wide).map_err(|_| format!("{wide} does not fit in 64 bits"))
    };
    items
        .iter()
        .map(|w| {
            Ok(Withdrawal {
                index: number(&w.index)?,
                validator_index: number(&w.validator_index)?,
                address: address_text(&w.address)?,
                amount_gwei: number(&w.amount)?,
            })
        })
        .collect::<Result<_, String>>()
        .map_err(|e| format!("column `withdrawals`: {e}"))
}

pub(crate) fn parse_row(table: EtlTable, row: &dyn Row) -> Result<EtlRecord, String> {
    Ok(match table {
        EtlTable::Blocks => EtlRecord::Block(EvmBlock {
            number: u64_of(row, blocks::NUMBER)?,
            hash: Some(b256_of(row, blocks::HASH)?),
            parent_hash: opt_b256(row, blocks::PARENT_HASH)?,
            timestamp: u64_of(row, blocks::TIMESTAMP)?,
            miner: address_of(row, blocks::MINER)?,
            base_fee_per_gas: opt_u256(row, blocks::BASE_FEE_PER_GAS)?,
            transactions: Vec::new(),
            withdrawals: withdrawals_of(row)?,
        }),
        EtlTable::Transactions => {
            let tx = EvmTransaction {
                hash: b256_of(row, transactions::HASH)?,
                nonce: u64_of(row, transactions::NONCE)?,
                block_number: u64_of(row, transactions::BLOCK_NUMBER)?,
                transaction_index: u64_of(row, transactions::TRANSACTION_INDEX)?,
                from: address_of(row, transactions::FROM_ADDRESS)?,
                to: opt_address(row, transactions::TO_ADDRESS)?,
                value: u256_of(row, transactions::VALUE)?,
                gas: u64_of(row, transactions::GAS)?,
                gas_price: opt_u256(row, transactions::GAS_PRICE)?,
                input: bytes_of(row, transactions::INPUT)?,
                max_fee_per_gas: opt_u256(row, transactions::MAX_FEE_PER_GAS)?,
                max_priority_fee_per_gas: opt_u256(row, transactions::MAX_PRIORITY_FEE_PER_GAS)?,
                transaction_type: opt_u64(row, transactions::TRANSACTION_TYPE)?,
            };
            let receipt = match opt_u64(row, transactions::RECEIPT_GAS_USED)? {
                None => None,
                Some(gas_used) => Some(EvmReceipt {
                    transaction_hash: tx.hash,
                    transaction_index: tx.transaction_index,
                    block_number: tx.block_number,
                    cumulative_gas_used: opt_u64(row, transactions::RECEIPT_CUMULATIVE_GAS_USED)?
                        .unwrap_or(0),
                    gas_used,
                    contract_address: opt_address(row, transactions::RECEIPT_CONTRACT_ADDRESS)?,
                    root: opt_b256(row, transactions::RECEIPT_ROOT)?,
                    status: opt_u64(row, transactions::RECEIPT_STATUS)?,
                    effective_gas_price: opt_u256(row, transactions::RECEIPT_EFFECTIVE_GAS_PRICE)?,
                    blob_gas_used: opt_u64(row, transactions::RECEIPT_BLOB_GAS_USED)?,
                    blob_gas_price: opt_u256(row, transactions::RECEIPT_BLOB_GAS_PRICE)?,
                    logs: Vec::new(),
                }),
            };
            EtlRecord::Transaction(Box::new(tx), receipt.map(Box::new))
        }
        EtlTable::Receipts => EtlRecord::Receipt(EvmReceipt {
            transaction_hash: b256_of(row, receipts::TRANSACTION_HASH)?,
            transaction_index: u64_of(row, receipts::TRANSACTION_INDEX)?,
            block_number: u64_of(row, receipts::BLOCK_NUMBER)?,
            cumulative_gas_used: opt_u64(row, receipts::CUMULATIVE_GAS_USED)?.unwrap_or(0),
            gas_used: u64_of(row, receipts::GAS_USED)?,
            contract_address: opt_address(row, receipts::CONTRACT_ADDRESS)?,
            root: opt_b256(row, receipts::ROOT)?,
            status: opt_u64(row, receipts::STATUS)?,
            effective_gas_price: opt_u256(row, receipts::EFFECTIVE_GAS_PRICE)?,
            blob_gas_used: opt_u64(row, receipts::BLOB_GAS_USED)?,
            blob_gas_price: opt_u256(row, receipts::BLOB_GAS_PRICE)?,
            logs: Vec::new(),
        }),
        EtlTable::Logs => EtlRecord::Log(EvmLog {
            log_index: u64_of(row, logs::LOG_INDEX)?,
            transaction_hash: b256_of(row, logs::TRANSACTION_HASH)?,
            transaction_index: u64_of(row, logs::TRANSACTION_INDEX)?,
            block_number: u64_of(row, logs::BLOCK_NUMBER)?,
            address: address_of(row, logs::ADDRESS)?,
            data: bytes_of(row, logs::DATA)?,
            topics: row
                .list(logs::TOPICS)?
                .iter()
                .filter(|t| !t.is_empty())
                .map(|t| ctx(logs::TOPICS, b256_text(t)))
                .collect::<Result<_, _>>()?,
        }),
        EtlTable::TokenTransfers => EtlRecord::TokenTransfer(crate::events::TokenTransfer {
            token_address: address_of(row, token_transfers::TOKEN_ADDRESS)?,
            from: address_of(row, token_transfers::FROM_ADDRESS)?,
            to: address_of(row, token_transfers::TO_ADDRESS)?,
            value: u256_of(row, token_transfers::VALUE)?,
            transaction_hash: b256_of(row, token_transfers::TRANSACTION_HASH)?,
            log_index: u64_of(row, token_transfers::LOG_INDEX)?,
            block_number: u64_of(row, token_transfers::BLOCK_NUMBER)?,
        }),
        EtlTable::Traces => {
            let kind = req(row, traces::TRACE_TYPE)?;
            let trace_type = TraceType::parse(&kind).ok_or_else(|| {
                format!(
                    "column `{}`: unknown trace type `{kind}`",
                    traces::TRACE_TYPE
                )
            })?;
            EtlRecord::Trace(EvmTrace {
                block_number: u64_of(row, traces::BLOCK_NUMBER)?,
                transaction_hash: opt_b256(row, traces::TRANSACTION_HASH)?,
                transaction_index: opt_u64(row, traces::TRANSACTION_INDEX)?,
                from: opt_address(row, traces::FROM_ADDRESS)?,
                to: opt_address(row, traces::TO_ADDRESS)?,
                value: opt_u256(row, traces::VALUE)?.unwrap_or(U256::ZERO),
                trace_type,
                call_type: row.text(traces::CALL_TYPE).map(Cow::into_owned),
                reward_type: row.text(traces::REWARD_TYPE).map(Cow::into_owned),
                subtraces: opt_u64(row, traces::SUBTRACES)?.unwrap_or(0),
                trace_address: row
                    .list(traces::TRACE_ADDRESS)?
                    .iter()
                    .filter(|t| !t.is_empty())
                    .map(|t| {
                        t.parse::<u64>().map_err(|_| {
                            format!(
                                "column `{}`: `{t}` is not a position",
                                traces::TRACE_ADDRESS
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?,
                error: row.text(traces::ERROR).map(Cow::into_owned),
                status: true,
            })
        }
        EtlTable::Tokens => EtlRecord::Token {
            address: address_of(row, tokens::ADDRESS)?,
            symbol: row
                .text(tokens::SYMBOL)
                .map(Cow::into_owned)
                .unwrap_or_default(),
            decimals: opt_u64(row, tokens::DECIMALS)?.and_then(|d| u8::try_from(d).ok()),
        },
    })
}

/// A row of an ethereum-etl table that does not parse: its 1-based line and what was wrong
/// (naming the column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct BadRow {
    /// The 1-based line of the row.
    pub line: u64,
    /// What was wrong, naming the column.
    pub message: String,
}

impl BadRow {
    fn new(line: u64, message: String) -> BadRow {
        BadRow { line, message }
    }
}

/// Parse an ethereum-etl CSV table. Errors carry the 1-based line number.
pub fn parse_etl_csv(table: EtlTable, data: &[u8]) -> Result<Vec<EtlRecord>, BadRow> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(data);
    let headers = reader
        .headers()
        .map_err(|e| BadRow::new(1, format!("not a CSV header: {e}")))?;
    let columns: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.to_string(), i))
        .collect();
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(BadRow::new(line, format!("not a CSV row: {e}"))),
        }
        let row = CsvRow {
            columns: &columns,
            record: &record,
        };
        out.push(parse_row(table, &row).map_err(|e| BadRow::new(line, e))?);
    }
    Ok(out)
}

/// Parse an ethereum-etl JSON-lines table (one object per line).
pub fn parse_etl_json(table: EtlTable, data: &[u8]) -> Result<Vec<EtlRecord>, BadRow> {
    let mut out = Vec::new();
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        let line_no = i as u64 + 1;
        let text = std::str::from_utf8(line)
            .map_err(|e| BadRow::new(line_no, format!("not UTF-8: {e}")))?;
        if text.trim().is_empty() {
            continue;
        }
        let fields: HashMap<String, &RawValue> = serde_json::from_str(text)
            .map_err(|e| BadRow::new(line_no, format!("not a JSON object: {e}")))?;
        out.push(parse_row(table, &JsonRow(fields)).map_err(|e| BadRow::new(line_no, e))?);
    }
    Ok(out)
}

/// Rows of one block gathered from all tables.
#[derive(Default)]
pub(crate) struct Parts {
    pub(crate) block: Option<EvmBlock>,
    pub(crate) txs: Vec<(EvmTransaction, Option<EvmReceipt>)>,
    pub(crate) receipts: HashMap<B256, EvmReceipt>,
    pub(crate) logs: Vec<EvmLog>,
    pub(crate) transfers: Vec<crate::events::TokenTransfer>,
    pub(crate) traces: Vec<EvmTrace>,
}

/// A log equivalent to a `token_transfers` row, for exports without a `logs` table.
fn transfer_log(t: &crate::events::TokenTransfer, transaction_index: u64) -> EvmLog {
    EvmLog {
        log_index: t.log_index,
        transaction_hash: t.transaction_hash,
        transaction_index,
        block_number: t.block_number,
        address: t.token_address,
        data: Bytes::from(t.value.to_be_bytes::<32>().to_vec()),
        topics: vec![
            Transfer::SIGNATURE_HASH,
            t.from.into_word(),
            t.to.into_word(),
        ],
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct EtlCursor {
    next_block: u64,
    source_bytes: u64,
}

/// The `ethereum-etl` importer (see the module docs).
pub struct EthereumEtl;

impl Importer for EthereumEtl {
    fn name(&self) -> &'static str {
        "ethereum-etl"
    }

    fn describe(&self) -> &'static str {
        "an ethereum-etl export directory: blocks, transactions, receipts, logs, token_transfers, \
         traces (CSV or JSON lines); chain id 1 unless a file `chain_id` says otherwise"
    }

    fn import(
        &self,
        store: &Store,
        path: &Path,
        options: &ImportOptions<'_>,
    ) -> Result<ImportReport, ImportError> {
        import(store, path, options)
    }
}

/// The chain id in `dir/chain_id`, else Ethereum's.
pub(crate) fn chain_id_file(dir: &Path) -> Result<Option<u64>, ImportError> {
    let path = dir.join("chain_id");
    match std::fs::read_to_string(&path) {
        Ok(text) => text
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| ImportError::Parse {
                path,
                line: 1,
                message: format!("`{}` is not a chain id", text.trim()),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ImportError::Read { path, source }),
    }
}

fn import(
    store: &Store,
    path: &Path,
    options: &ImportOptions<'_>,
) -> Result<ImportReport, ImportError> {
    let (dir, mut files) = find_export(path)?;
    let chain_id = chain_id_file(&dir)?.unwrap_or(1);
    // `logs` carry every token transfer (and more): `token_transfers` are then not read.
    if files.iter().any(|f| f.table() == Some(EtlTable::Logs)) {
        files.retain(|f| f.table() != Some(EtlTable::TokenTransfers));
    }
    let source_bytes = total_bytes(&files)?;
    let mut order = BlockOrder::scan(files)?;
    let stats = order.tables();
    let has = |t: EtlTable| {
        stats.contains_key(&t.index()) || order.files().iter().any(|f| f.table() == Some(t))
    };
    for needed in [EtlTable::Blocks, EtlTable::Transactions] {
        if !has(needed) {
            return Err(ImportError::Source(format!(
                "{} has no `{}` table ({0}/{1}.csv or .json): export it with ethereumetl",
                path.display(),
                needed.name()
            )));
        }
    }
    let (with_logs, with_traces) = (has(EtlTable::Logs), has(EtlTable::Traces));
    let blocks_total = stats.get(&EtlTable::Blocks.index()).map_or(0, |s| s.rows);
    let rules = FlowRules::new(chain_id, &[]);
    let chain = Chain::Evm(chain_id);
    let mut writer = store.writer(chain)?;
    writer.register_asset(&Asset::native(chain))?;
    let canonical = path.canonicalize().map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let key = format!("ethereum-etl:{}", canonical.display());
    let mut sink = BlockSink::open(
        store,
        writer,
        path,
        key,
        source_bytes,
        blocks_total,
        options,
    )?;
    for file in order.files().iter().filter(|f| f.has_tokens()) {
        let mut tokens = file.tokens()?;
        while let Some((_, _, record)) = tokens.next_row()? {
            if let EtlRecord::Token {
                address,
                symbol,
                decimals,
            } = record
            {
                let metadata = SourceMetadata {
                    symbol: Some(symbol),
                    decimals,
                };
                sink.name_source_token(&crate::events::evm(address), metadata)?;
            }
        }
    }
    let mut blocks = order.read_from(sink.start());
    while let Some((number, rows)) = blocks.next_block()? {
        let mut parts = Parts::default();
        for placed in rows {
            match placed.row {
                EtlRecord::Block(b) => parts.block = Some(b),
                EtlRecord::Transaction(tx, receipt) => parts.txs.push((*tx, receipt.map(|r| *r))),
                EtlRecord::Receipt(r) => {
                    parts.receipts.insert(r.transaction_hash, r);
                }
                EtlRecord::Log(l) => parts.logs.push(l),
                EtlRecord::TokenTransfer(t) if !with_logs => parts.transfers.push(t),
                EtlRecord::Trace(t) => parts.traces.push(t),
                EtlRecord::TokenTransfer(_) | EtlRecord::Token { .. } => {}
            }
        }
        let bundle =
            assemble(parts, with_traces).map_err(|message| block_err(path, number, message))?;
        let flows =
            block_flows(&rules, &bundle).map_err(|e| block_err(path, number, e.to_string()))?;
        sink.append_block(&bundle.block, flows.txs.iter().zip(flows.events))?;
    }
    sink.finish("ethereum-etl".to_string())
}

/// Appends an export's blocks to a chain with their protocol events, checkpointing every
/// `checkpoint_every` transactions with a block cursor, and resuming from it: the part of the
/// file importers (ethereum-etl, cryo) that does not depend on the format.
pub(crate) struct BlockSink<'a> {
    writer: chaintrail_store::ChainWriter,
    source: PathBuf,
    parents: ParentCheck,
    tokens: TokenNamer,
    events: EventFiles,
    batch: EventBatch,
    key: String,
    source_bytes: u64,
    start: u64,
    next_block: u64,
    resumed: bool,
    total: u64,
    done: u64,
    since: u64,
    txs_read: u64,
    options: &'a ImportOptions<'a>,
}

impl<'a> BlockSink<'a> {
    /// `key` names the source in the resume cursor; a source whose size changed starts over
    /// (transactions already stored are skipped by hash). `total` is the number of blocks, for
    /// progress.
    pub(crate) fn open(
        store: &Store,
        writer: chaintrail_store::ChainWriter,
        source: &Path,
        key: String,
        source_bytes: u64,
        total: u64,
        options: &'a ImportOptions<'a>,
    ) -> Result<BlockSink<'a>, ImportError> {
        let chain = writer.chain();
        let parents = ParentCheck::load(&writer);
        let events = EventFiles::open(events_dir(store, chain), writer.cursor(EVENTS_CURSOR))
            .map_err(ImportError::from)?;
        let saved = writer
            .cursor(&key)
            .and_then(|v| serde_json::from_value::<EtlCursor>(v.clone()).ok())
            .filter(|c| c.source_bytes == source_bytes);
        let start = saved.map_or(0, |c| c.next_block);
        Ok(BlockSink {
            writer,
            source: source.to_path_buf(),
            parents,
            tokens: TokenNamer::default(),
            events,
            batch: EventBatch::default(),
            key,
            source_bytes,
            start,
            next_block: start,
            resumed: start > 0,
            total,
            done: 0,
            since: 0,
            txs_read: 0,
            options,
        })
    }

    /// The first block still to import.
    pub(crate) fn start(&self) -> u64 {
        self.start
    }

    /// Metadata the export carries for a token (its `tokens` table, cryo's `erc20_metadata`):
    /// registered before the blocks, it wins over the registry; a later row for the same token
    /// replaces an earlier one.
    pub(crate) fn name_source_token(
        &mut self,
        contract: &Address,
        metadata: SourceMetadata,
    ) -> Result<(), ImportError> {
        Ok(self.tokens.name(&mut self.writer, contract, metadata)?)
    }

    /// Append `block`'s transactions with their events, unless the block is not on the stored
    /// chain ([`ParentCheck`]): then what came before it is committed and the block refused.
    pub(crate) fn append_block<'t>(
        &mut self,
        block: &EvmBlock,
        txs: impl Iterator<Item = (&'t chaintrail_core::AccountTx, EventBatch)>,
    ) -> Result<(), ImportError> {
        if let Err(fork) = self.parents.accept(block) {
            self.checkpoint()?;
            return Err(ImportError::Source(format!(
                "{}: {fork}",
                self.source.display()
            )));
        }
        let number = block.number;
        let txs: Vec<_> = txs.collect();
        for contract in self
            .tokens
            .first_seen(&self.writer, txs.iter().map(|(tx, _)| *tx))
        {
            self.tokens
                .name(&mut self.writer, &contract, SourceMetadata::default())?;
        }
        for (tx, tx_events) in txs {
            if self.writer.append_account_tx(tx)? {
                self.txs_read += 1;
                self.since += 1;
                self.batch.append(tx_events);
            }
        }
        self.done += 1;
        self.next_block = number + 1;
        if self.since >= self.options.checkpoint_every {
            self.checkpoint()?;
            (self.options.on_progress)(self.done, self.total);
            self.since = 0;
        }
        Ok(())
    }

    /// Events first (fsynced), then one commit of the records with the events' lengths, the
    /// chain head and the block cursor: a crash before it re-imports blocks, whose events the
    /// event files cut back.
    fn checkpoint(&mut self) -> Result<(), ImportError> {
        let committed = self.events.append(&self.batch)?;
        self.batch = EventBatch::default();
        self.writer.stage_cursor(EVENTS_CURSOR, committed);
        self.parents.stage(&mut self.writer);
        self.writer
            .commit(&self.key, cursor_value(self.next_block, self.source_bytes))?;
        Ok(())
    }

    pub(crate) fn finish(mut self, format: String) -> Result<ImportReport, ImportError> {
        self.checkpoint()?;
        let chain = self.writer.chain();
        let naming = self.tokens.naming;
        let source = self.source.display().to_string();
        tracing::info!(
            from_export = naming.from_source,
            from_registry = naming.from_registry,
            unknown = naming.unknown,
            "token metadata of {source}",
        );
        self.parents.log(&source);
        let cursor = cursor_value(self.next_block, self.source_bytes);
        let totals = self.writer.finish(&self.key, cursor)?;
        (self.options.on_progress)(self.total, self.total);
        Ok(ImportReport {
            chain,
            format,
            source: self.source,
            txs_read: self.txs_read,
            resumed: self.resumed,
            totals,
        })
    }
}

fn block_err(dir: &Path, number: u64, message: String) -> ImportError {
    ImportError::Source(format!("{}: block {number}: {message}", dir.display()))
}

pub(crate) fn cursor_value(next_block: u64, source_bytes: u64) -> serde_json::Value {
    serde_json::to_value(EtlCursor {
        next_block,
        source_bytes,
    })
    .unwrap_or(serde_json::Value::Null)
}

/// Join one block's rows into a bundle.
pub(crate) fn assemble(parts: Parts, with_traces: bool) -> Result<BlockBundle, String> {
    let Parts {
        block,
        mut txs,
        mut receipts,
        logs,
        transfers,
        mut traces,
    } = parts;
    let mut block =
        block.ok_or("the blocks table lacks this block, but other tables have rows for it")?;
    txs.sort_by_key(|(tx, _)| tx.transaction_index);
    let index_of: HashMap<B256, u64> = txs
        .iter()
        .map(|(tx, _)| (tx.hash, tx.transaction_index))
        .collect();
    let hash_of: HashMap<u64, B256> = txs
        .iter()
        .map(|(tx, _)| (tx.transaction_index, tx.hash))
        .collect();
    let mut ordered = Vec::with_capacity(txs.len());
    let mut transactions = Vec::with_capacity(txs.len());
    for (tx, inline) in txs {
        let receipt = receipts.remove(&tx.hash).or(inline).ok_or_else(|| {
            format!(
                "no receipt for transaction {}: export `receipts` too (or transactions with \
                 receipt_* columns)",
                tx.hash
            )
        })?;
        ordered.push(receipt);
        transactions.push(tx);
    }
    let position: HashMap<B256, usize> = transactions
        .iter()
        .enumerate()
        .map(|(i, t)| (t.hash, i))
        .collect();
    let mut all_logs = logs;
    for t in &transfers {
        let index = index_of.get(&t.transaction_hash).copied().unwrap_or(0);
        all_logs.push(transfer_log(t, index));
    }
    all_logs.sort_by_key(|l| l.log_index);
    for log in all_logs {
        let i = position.get(&log.transaction_hash).ok_or_else(|| {
            format!(
                "log {} names transaction {}, which is not in this block",
                log.log_index, log.transaction_hash
            )
        })?;
        ordered[*i].logs.push(log);
    }
    for trace in &mut traces {
        if trace.transaction_hash.is_none()
            && matches!(
                trace.trace_type,
                TraceType::Call | TraceType::Create | TraceType::Suicide
            )
        {
            trace.transaction_hash = trace
                .transaction_index
                .and_then(|i| hash_of.get(&i).copied());
        }
    }
    propagate_trace_status(&mut traces);
    block.transactions = transactions;
    Ok(BlockBundle {
        block,
        receipts: ordered,
        traces: with_traces.then_some(traces),
    })
}
