//! The `cryo` import format: a directory of [cryo](https://github.com/paradigmxyz/cryo) Parquet
//! files — `blocks`, `transactions`, `logs`, `traces` or `native_transfers`, `erc20_transfers` —
//! named as cryo names them (`<network>__<dataset>__<start>_to_<end>.parquet`, several files per
//! dataset) or `<dataset>.parquet`, anywhere below the directory.
//!
//! Rows are read with `parquet`'s row API (no arrow) and turned into the same per-block records
//! as an ethereum-etl export ([`crate::etl`]), so the value flows come from the same code
//! ([`crate::flows`]). Any subset of the datasets is accepted; what a missing dataset makes
//! underivable (fees, internal transfers, outcomes, WETH/swap/mixer events) is named in
//! [`ImportReport::format`] and logged.
//!
//! cryo's column types: addresses and hashes are binary (20 / 32 bytes; `--hex` exports give
//! `0x` text, also accepted), block numbers and indexes UInt32 or UInt64, U256 amounts split over
//! `<name>_binary` (32-byte big-endian), `<name>_string` (decimal) and `<name>_f64` (lossy:
//! refused), `gas_price` and `base_fee_per_gas` UInt64, traces' `action_value` decimal text,
//! `trace_address` `_`-joined positions.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use alloy_primitives::{Address as EvmAddress, B256, Bytes, U256, keccak256};
use chaintrail_core::{Asset, Chain};
use chaintrail_ingest::{ImportError, ImportOptions, ImportReport, Importer};
use chaintrail_store::Store;
use parquet::basic::{ConvertedType, LogicalType, Type as PhysicalType};
use parquet::record::Field;
use parquet::schema::types::ColumnDescriptor;

use chaintrail_ingest::ordered::{BlockOrder, RowFile, RowReader, total_bytes};

use crate::cryo_files::{CryoFile, Survey};
use crate::etl::{BlockSink, Parts, assemble, chain_id_file};
use crate::events::TokenTransfer;
use crate::flows::{FlowRules, block_flows};
use crate::model::{EvmBlock, EvmLog, EvmReceipt, EvmTrace, EvmTransaction, TraceType};
use crate::rpcjson::u256_text;
use crate::tokens::SourceMetadata;

/// A cryo dataset chaintrail reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CryoDataset {
    Blocks,
    Transactions,
    Logs,
    Traces,
    NativeTransfers,
    Erc20Transfers,
    Erc20Metadata,
}

impl CryoDataset {
    const ALL: [CryoDataset; 7] = [
        CryoDataset::Blocks,
        CryoDataset::Transactions,
        CryoDataset::Logs,
        CryoDataset::Traces,
        CryoDataset::NativeTransfers,
        CryoDataset::Erc20Transfers,
        CryoDataset::Erc20Metadata,
    ];

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            CryoDataset::Blocks => "blocks",
            CryoDataset::Transactions => "transactions",
            CryoDataset::Logs => "logs",
            CryoDataset::Traces => "traces",
            CryoDataset::NativeTransfers => "native_transfers",
            CryoDataset::Erc20Transfers => "erc20_transfers",
            CryoDataset::Erc20Metadata => "erc20_metadata",
        }
    }

    /// The dataset a file holds, from its name: `ethereum__logs__00000000_to_00000999.parquet`
    /// (cryo's `<prefix>__<dataset>__<chunk>`) or `logs.parquet`.
    pub fn of_file(path: &Path) -> Option<CryoDataset> {
        if path.extension()?.to_str()? != "parquet" {
            return None;
        }
        let stem = path.file_stem()?.to_str()?;
        let parts: Vec<&str> = stem.split("__").collect();
        let name = match parts.as_slice() {
            [single] => *single,
            [_, dataset, ..] => *dataset,
            [] => return None,
        };
        CryoDataset::ALL.into_iter().find(|d| d.name() == name)
    }
}

/// How a column's values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Int,
    Address,
    Hash,
    Data,
    Text,
    Bool,
    /// A U256 amount: binary big-endian, decimal (or `0x`) text, or an integer column.
    Amount,
}

impl Class {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Class::Int => "an integer column",
            Class::Address => "a binary column of 20-byte addresses",
            Class::Hash => "a binary column of 32-byte hashes",
            Class::Data => "a binary column",
            Class::Text => "a string column",
            Class::Bool => "a boolean column",
            Class::Amount => "a binary, string or integer amount column",
        }
    }

    pub(crate) fn accepts(self, kind: Kind) -> bool {
        match self {
            Class::Int => kind == Kind::Int,
            Class::Address | Class::Hash | Class::Data => matches!(kind, Kind::Binary | Kind::Text),
            Class::Text => matches!(kind, Kind::Text | Kind::Binary),
            Class::Bool => matches!(kind, Kind::Bool | Kind::Int),
            Class::Amount => matches!(kind, Kind::Binary | Kind::Text | Kind::Int),
        }
    }
}

/// The physical shape of a Parquet column (only shapes the row API converts without panicking).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    Binary,
    Text,
    Bool,
    Float,
}

pub(crate) fn kind_of(column: &ColumnDescriptor) -> Option<Kind> {
    use ConvertedType as C;
    use PhysicalType as P;
    if column.max_rep_level() > 0 || column.path().parts().len() != 1 {
        return None;
    }
    match (column.physical_type(), column.converted_type()) {
        (P::BOOLEAN, C::NONE) => Some(Kind::Bool),
        (
            P::INT32,
            C::NONE | C::INT_8 | C::INT_16 | C::INT_32 | C::UINT_8 | C::UINT_16 | C::UINT_32,
        ) => Some(Kind::Int),
        (P::INT64, C::NONE | C::INT_64 | C::UINT_64) => Some(Kind::Int),
        (P::BYTE_ARRAY, C::UTF8) => Some(Kind::Text),
        (P::BYTE_ARRAY, C::NONE | C::BSON) => Some(Kind::Binary),
        (P::FIXED_LEN_BYTE_ARRAY, C::NONE)
            if column.logical_type_ref() != Some(&LogicalType::Float16) =>
        {
            Some(Kind::Binary)
        }
        (P::FLOAT | P::DOUBLE, C::NONE) => Some(Kind::Float),
        _ => None,
    }
}

pub(crate) fn describe_column(column: &ColumnDescriptor) -> String {
    if column.max_rep_level() > 0 || column.path().parts().len() != 1 {
        return "a nested or repeated column".to_string();
    }
    match column.converted_type() {
        ConvertedType::NONE => format!("{}", column.physical_type()),
        converted => format!("{} ({converted})", column.physical_type()),
    }
}

/// One column chaintrail reads: the first of `names` the file has.
pub(crate) struct Spec {
    pub(crate) key: &'static str,
    pub(crate) names: &'static [&'static str],
    pub(crate) class: Class,
    pub(crate) required: bool,
}

const fn col(
    key: &'static str,
    names: &'static [&'static str],
    class: Class,
    required: bool,
) -> Spec {
    Spec {
        key,
        names,
        class,
        required,
    }
}

const BLOCKS: &[Spec] = &[
    col("number", &["block_number", "number"], Class::Int, true),
    col("hash", &["block_hash", "hash"], Class::Hash, false),
    col("parent_hash", &["parent_hash"], Class::Hash, false),
    col("timestamp", &["timestamp"], Class::Int, false),
    col("miner", &["author", "miner"], Class::Address, false),
    col(
        "base_fee",
        &[
            "base_fee_per_gas",
            "base_fee_per_gas_binary",
            "base_fee_per_gas_string",
        ],
        Class::Amount,
        false,
    ),
    col("chain_id", &["chain_id"], Class::Int, false),
];

const TRANSACTIONS: &[Spec] = &[
    col("block", &["block_number"], Class::Int, true),
    col("index", &["transaction_index"], Class::Int, true),
    col("hash", &["transaction_hash", "hash"], Class::Hash, true),
    col("nonce", &["nonce"], Class::Int, false),
    col("from", &["from_address"], Class::Address, true),
    col("to", &["to_address"], Class::Address, false),
    col(
        "value",
        &[
            "value_binary",
            "value_string",
            "value",
            "value_u64",
            "value_u32",
        ],
        Class::Amount,
        true,
    ),
    col("gas_limit", &["gas_limit"], Class::Int, false),
    col("gas_used", &["gas_used"], Class::Int, false),
    col(
        "gas_price",
        &["gas_price", "gas_price_binary", "gas_price_string"],
        Class::Amount,
        false,
    ),
    col("type", &["transaction_type"], Class::Int, false),
    col(
        "max_priority",
        &["max_priority_fee_per_gas"],
        Class::Amount,
        false,
    ),
    col("max_fee", &["max_fee_per_gas"], Class::Amount, false),
    col("success", &["success"], Class::Bool, false),
    col("timestamp", &["timestamp"], Class::Int, false),
    col("chain_id", &["chain_id"], Class::Int, false),
];

const LOGS: &[Spec] = &[
    col("block", &["block_number"], Class::Int, true),
    col("tx_index", &["transaction_index"], Class::Int, true),
    col("log_index", &["log_index"], Class::Int, true),
    col("tx_hash", &["transaction_hash"], Class::Hash, true),
    col("address", &["address"], Class::Address, true),
    col("topic0", &["topic0"], Class::Hash, true),
    col("topic1", &["topic1"], Class::Hash, true),
    col("topic2", &["topic2"], Class::Hash, true),
    col("topic3", &["topic3"], Class::Hash, true),
    col("data", &["data"], Class::Data, true),
    col("chain_id", &["chain_id"], Class::Int, false),
];

const TRACES: &[Spec] = &[
    col("block", &["block_number"], Class::Int, true),
    col("tx_index", &["transaction_index"], Class::Int, false),
    col("tx_hash", &["transaction_hash"], Class::Hash, false),
    col("from", &["action_from"], Class::Address, true),
    col("to", &["action_to"], Class::Address, true),
    col(
        "value",
        &[
            "action_value",
            "action_value_binary",
            "action_value_string",
            "action_value_u64",
        ],
        Class::Amount,
        true,
    ),
    col("type", &["action_type"], Class::Text, true),
    col("call_type", &["action_call_type"], Class::Text, false),
    col("reward_type", &["action_reward_type"], Class::Text, false),
    col("result_address", &["result_address"], Class::Address, false),
    col("trace_address", &["trace_address"], Class::Text, true),
    col("subtraces", &["subtraces"], Class::Int, false),
    col("error", &["error"], Class::Text, false),
    col("chain_id", &["chain_id"], Class::Int, false),
];

const NATIVE_TRANSFERS: &[Spec] = &[
    col("block", &["block_number"], Class::Int, true),
    col("tx_index", &["transaction_index"], Class::Int, false),
    col("transfer_index", &["transfer_index"], Class::Int, true),
    col("tx_hash", &["transaction_hash"], Class::Hash, false),
    col("from", &["from_address"], Class::Address, true),
    col("to", &["to_address"], Class::Address, true),
    col(
        "value",
        &[
            "value_binary",
            "value_string",
            "value",
            "value_u64",
            "value_u32",
        ],
        Class::Amount,
        true,
    ),
    col("chain_id", &["chain_id"], Class::Int, false),
];

const ERC20_TRANSFERS: &[Spec] = &[
    col("block", &["block_number"], Class::Int, true),
    col("tx_index", &["transaction_index"], Class::Int, true),
    col("log_index", &["log_index"], Class::Int, true),
    col("tx_hash", &["transaction_hash"], Class::Hash, true),
    col("token", &["erc20"], Class::Address, true),
    col("from", &["from_address"], Class::Address, true),
    col("to", &["to_address"], Class::Address, true),
    col(
        "value",
        &[
            "value_binary",
            "value_string",
            "value",
            "value_u64",
            "value_u32",
        ],
        Class::Amount,
        true,
    ),
    col("chain_id", &["chain_id"], Class::Int, false),
];

const ERC20_METADATA: &[Spec] = &[
    col("token", &["erc20"], Class::Address, true),
    col("symbol", &["symbol"], Class::Text, false),
    col("decimals", &["decimals"], Class::Int, false),
    col("chain_id", &["chain_id"], Class::Int, false),
];

pub(crate) fn specs(dataset: CryoDataset) -> &'static [Spec] {
    match dataset {
        CryoDataset::Blocks => BLOCKS,
        CryoDataset::Transactions => TRANSACTIONS,
        CryoDataset::Logs => LOGS,
        CryoDataset::Traces => TRACES,
        CryoDataset::NativeTransfers => NATIVE_TRANSFERS,
        CryoDataset::Erc20Transfers => ERC20_TRANSFERS,
        CryoDataset::Erc20Metadata => ERC20_METADATA,
    }
}

/// One row, with its values found by spec key.
pub(crate) struct RowView<'a> {
    pub(crate) fields: &'a [(String, Field)],
    /// spec key → (position in `fields`, column name)
    pub(crate) index: &'a HashMap<&'static str, (usize, String)>,
}

impl RowView<'_> {
    pub(crate) fn field(&self, key: &str) -> Option<(&Field, &str)> {
        let (i, name) = self.index.get(key)?;
        let (_, field) = self.fields.get(*i)?;
        Some((field, name.as_str()))
    }

    pub(crate) fn get<T>(
        &self,
        key: &str,
        read: fn(&Field) -> Result<Option<T>, String>,
    ) -> Result<Option<T>, String> {
        match self.field(key) {
            None => Ok(None),
            Some((field, name)) => read(field).map_err(|e| format!("column `{name}`: {e}")),
        }
    }

    pub(crate) fn need<T>(
        &self,
        key: &str,
        read: fn(&Field) -> Result<Option<T>, String>,
    ) -> Result<T, String> {
        let name = self.index.get(key).map(|(_, n)| n.as_str()).unwrap_or(key);
        self.get(key, read)?
            .ok_or_else(|| format!("column `{name}` is null"))
    }

    pub(crate) fn int(&self, key: &str) -> Result<Option<u64>, String> {
        self.get(key, int_of)
    }
    fn amount(&self, key: &str) -> Result<Option<U256>, String> {
        self.get(key, amount_of)
    }
    fn address(&self, key: &str) -> Result<Option<EvmAddress>, String> {
        self.get(key, address_of)
    }
    fn hash(&self, key: &str) -> Result<Option<B256>, String> {
        self.get(key, hash_of)
    }
    fn text(&self, key: &str) -> Result<Option<String>, String> {
        self.get(key, text_of)
    }
}

pub(crate) fn int_of(field: &Field) -> Result<Option<u64>, String> {
    let signed = |v: i64| {
        u64::try_from(v).map_err(|_| format!("{v} is negative, expected a non-negative integer"))
    };
    Ok(Some(match field {
        Field::Null => return Ok(None),
        Field::Byte(v) => signed(i64::from(*v))?,
        Field::Short(v) => signed(i64::from(*v))?,
        Field::Int(v) => signed(i64::from(*v))?,
        Field::Long(v) => signed(*v)?,
        Field::UByte(v) => u64::from(*v),
        Field::UShort(v) => u64::from(*v),
        Field::UInt(v) => u64::from(*v),
        Field::ULong(v) => *v,
        other => return Err(format!("expected an integer, found {other}")),
    }))
}

fn bytes_of(field: &Field) -> Result<Option<Vec<u8>>, String> {
    Ok(Some(match field {
        Field::Null => return Ok(None),
        Field::Bytes(b) => b.data().to_vec(),
        Field::Str(text) => {
            let hex_text = text.strip_prefix("0x").unwrap_or(text);
            hex::decode(hex_text).map_err(|_| format!("`{text}` is not hex data"))?
        }
        other => return Err(format!("expected binary data, found {other}")),
    }))
}

fn address_of(field: &Field) -> Result<Option<EvmAddress>, String> {
    let Some(bytes) = bytes_of(field)? else {
        return Ok(None);
    };
    match bytes.len() {
        20 => Ok(Some(EvmAddress::from_slice(&bytes))),
        // An address as a 32-byte word (cryo writes 32 zero bytes for a failed create's
        // address in `native_transfers`).
        32 if bytes[..12].iter().all(|b| *b == 0) => Ok(Some(EvmAddress::from_slice(&bytes[12..]))),
        n => Err(format!(
            "0x{} is {n} bytes, not a 20-byte address",
            hex::encode(&bytes)
        )),
    }
}

fn hash_of(field: &Field) -> Result<Option<B256>, String> {
    let Some(bytes) = bytes_of(field)? else {
        return Ok(None);
    };
    if bytes.len() != 32 {
        return Err(format!(
            "0x{} is {} bytes, not a 32-byte hash",
            hex::encode(&bytes),
            bytes.len()
        ));
    }
    Ok(Some(B256::from_slice(&bytes)))
}

fn data_of(field: &Field) -> Result<Option<Bytes>, String> {
    Ok(bytes_of(field)?.map(Bytes::from))
}

fn text_of(field: &Field) -> Result<Option<String>, String> {
    Ok(Some(match field {
        Field::Null => return Ok(None),
        Field::Str(s) => s.clone(),
        Field::Bytes(b) => String::from_utf8(b.data().to_vec())
            .map_err(|_| "expected UTF-8 text, found binary data".to_string())?,
        other => return Err(format!("expected text, found {other}")),
    }))
}

pub(crate) fn bool_of(field: &Field) -> Result<Option<bool>, String> {
    Ok(Some(match field {
        Field::Null => return Ok(None),
        Field::Bool(b) => *b,
        other => match int_of(other)? {
            Some(0) => false,
            Some(1) => true,
            _ => return Err(format!("expected a boolean, found {other}")),
        },
    }))
}

fn amount_of(field: &Field) -> Result<Option<U256>, String> {
    Ok(Some(match field {
        Field::Null => return Ok(None),
        Field::Bytes(b) => {
            let data = b.data();
            U256::try_from_be_slice(data)
                .ok_or_else(|| format!("{} bytes do not fit a 256-bit amount", data.len()))?
        }
        Field::Str(text) => u256_text(text)?,
        other => match int_of(other)? {
            Some(v) => U256::from(v),
            None => return Ok(None),
        },
    }))
}

/// One parsed cryo row (what the rows carry as a whole is surveyed by the scan:
/// [`crate::cryo_files::Survey`]).
pub(crate) enum CryoRecord {
    Block(EvmBlock),
    Transaction(Box<CryoTx>),
    Log(EvmLog),
    Trace(EvmTrace),
    Native(NativeTransfer),
    Erc20(TokenTransfer, u64),
    Erc20Metadata(EvmAddress, SourceMetadata),
}

impl CryoRecord {
    /// The block of the row (`erc20_metadata` rows belong to none: 0).
    pub(crate) fn block_number(&self) -> u64 {
        match self {
            CryoRecord::Block(b) => b.number,
            CryoRecord::Transaction(t) => t.tx.block_number,
            CryoRecord::Log(l) => l.block_number,
            CryoRecord::Trace(t) => t.block_number,
            CryoRecord::Native(n) => n.block,
            CryoRecord::Erc20(t, _) => t.block_number,
            CryoRecord::Erc20Metadata(..) => 0,
        }
    }
}

pub(crate) struct CryoTx {
    tx: EvmTransaction,
    gas_used: Option<u64>,
    success: Option<bool>,
    timestamp: Option<u64>,
}

pub(crate) struct NativeTransfer {
    block: u64,
    tx_index: Option<u64>,
    transfer_index: u64,
    tx_hash: Option<B256>,
    from: EvmAddress,
    to: Option<EvmAddress>,
    value: U256,
}

pub(crate) fn parse_row(dataset: CryoDataset, row: &RowView) -> Result<CryoRecord, String> {
    Ok(match dataset {
        CryoDataset::Blocks => CryoRecord::Block(EvmBlock {
            number: row.need("number", int_of)?,
            hash: row.hash("hash")?,
            parent_hash: row.hash("parent_hash")?,
            timestamp: row.int("timestamp")?.unwrap_or(0),
            miner: row.address("miner")?.unwrap_or_default(),
            base_fee_per_gas: row.amount("base_fee")?,
            transactions: Vec::new(),
            withdrawals: Vec::new(),
        }),
        CryoDataset::Transactions => CryoRecord::Transaction(Box::new(CryoTx {
            tx: EvmTransaction {
                hash: row.need("hash", hash_of)?,
                nonce: row.int("nonce")?.unwrap_or(0),
                block_number: row.need("block", int_of)?,
                transaction_index: row.need("index", int_of)?,
                from: row.need("from", address_of)?,
                to: row.address("to")?,
                value: row.need("value", amount_of)?,
                gas: row.int("gas_limit")?.unwrap_or(0),
                gas_price: row.amount("gas_price")?,
                input: Bytes::new(),
                max_fee_per_gas: row.amount("max_fee")?,
                max_priority_fee_per_gas: row.amount("max_priority")?,
                transaction_type: row.int("type")?,
            },
            gas_used: row.int("gas_used")?,
            success: row.get("success", bool_of)?,
            timestamp: row.int("timestamp")?,
        })),
        CryoDataset::Logs => {
            let mut topics = Vec::new();
            for key in ["topic0", "topic1", "topic2", "topic3"] {
                match row.hash(key)? {
                    Some(topic) => topics.push(topic),
                    None => break,
                }
            }
            CryoRecord::Log(EvmLog {
                log_index: row.need("log_index", int_of)?,
                transaction_hash: row.need("tx_hash", hash_of)?,
                transaction_index: row.need("tx_index", int_of)?,
                block_number: row.need("block", int_of)?,
                address: row.need("address", address_of)?,
                data: row.get("data", data_of)?.unwrap_or_default(),
                topics,
            })
        }
        CryoDataset::Traces => CryoRecord::Trace(trace_of(row)?),
        CryoDataset::NativeTransfers => CryoRecord::Native(NativeTransfer {
            block: row.need("block", int_of)?,
            tx_index: row.int("tx_index")?,
            transfer_index: row.need("transfer_index", int_of)?,
            tx_hash: row.hash("tx_hash")?,
            from: row.need("from", address_of)?,
            to: row.address("to")?.filter(|a| !a.is_zero()),
            value: row.need("value", amount_of)?,
        }),
        CryoDataset::Erc20Transfers => {
            let tx_index = row.need("tx_index", int_of)?;
            CryoRecord::Erc20(
                TokenTransfer {
                    token_address: row.need("token", address_of)?,
                    from: row.need("from", address_of)?,
                    to: row.need("to", address_of)?,
                    value: row.need("value", amount_of)?,
                    transaction_hash: row.need("tx_hash", hash_of)?,
                    log_index: row.need("log_index", int_of)?,
                    block_number: row.need("block", int_of)?,
                },
                tx_index,
            )
        }
        CryoDataset::Erc20Metadata => {
            let decimals = match row.int("decimals")? {
                Some(d) => Some(u8::try_from(d).map_err(|_| format!("decimals {d} exceed 255"))?),
                None => None,
            };
            CryoRecord::Erc20Metadata(
                row.need("token", address_of)?,
                SourceMetadata {
                    symbol: row.text("symbol")?,
                    decimals,
                },
            )
        }
    })
}

/// A cryo `traces` row (Parity `trace_block` flattened) as an ethereum-etl-shaped trace.
fn trace_of(row: &RowView) -> Result<EvmTrace, String> {
    let kind = row.text("type")?.unwrap_or_default();
    let from = row.address("from")?;
    let to = row.address("to")?;
    let (trace_type, from, to) = match kind.as_str() {
        "call" => (TraceType::Call, from, to),
        // The created address is the result's; `action_to` is empty.
        "create" => (TraceType::Create, from, row.address("result_address")?),
        "suicide" | "selfdestruct" => (TraceType::Suicide, from, to),
        // cryo puts the rewarded author in `action_from`.
        "reward" => (TraceType::Reward, None, from.or(to)),
        other => {
            return Err(format!(
                "column `action_type`: unknown trace type `{other}`"
            ));
        }
    };
    let call_type = row.text("call_type")?.and_then(|t| match t.as_str() {
        "call" => Some("call".to_string()),
        "delegate_call" | "delegatecall" => Some("delegatecall".to_string()),
        "static_call" | "staticcall" => Some("staticcall".to_string()),
        "call_code" | "callcode" => Some("callcode".to_string()),
        "none" | "" => None,
        other => Some(other.to_string()),
    });
    let trace_address = row
        .text("trace_address")?
        .unwrap_or_default()
        .split(['_', ','])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<u64>()
                .map_err(|_| format!("column `trace_address`: `{p}` is not a position"))
        })
        .collect::<Result<Vec<u64>, String>>()?;
    Ok(EvmTrace {
        block_number: row.need("block", int_of)?,
        transaction_hash: row.hash("tx_hash")?,
        transaction_index: row.int("tx_index")?,
        from,
        to,
        value: row.amount("value")?.unwrap_or(U256::ZERO),
        trace_type,
        call_type: if trace_type == TraceType::Call {
            call_type
        } else {
            None
        },
        reward_type: row.text("reward_type")?,
        subtraces: row.int("subtraces")?.unwrap_or(0),
        trace_address,
        error: row.text("error")?.filter(|e| !e.is_empty()),
        status: true,
    })
}

/// The address a contract created by `sender` with `nonce` gets (keccak256(rlp([sender,
/// nonce]))[12..]): cryo's transactions have no receipt `contractAddress`.
fn create_address(sender: EvmAddress, nonce: u64) -> EvmAddress {
    let mut nonce_rlp = Vec::with_capacity(9);
    match nonce {
        0 => nonce_rlp.push(0x80),
        1..=0x7f => nonce_rlp.push(nonce as u8),
        _ => {
            let bytes = nonce.to_be_bytes();
            let skip = bytes.iter().take_while(|b| **b == 0).count();
            nonce_rlp.push(0x80 + (8 - skip) as u8);
            nonce_rlp.extend_from_slice(&bytes[skip..]);
        }
    }
    let mut rlp = Vec::with_capacity(31);
    rlp.push(0xc0 + (21 + nonce_rlp.len()) as u8);
    rlp.push(0x94);
    rlp.extend_from_slice(sender.as_slice());
    rlp.extend_from_slice(&nonce_rlp);
    EvmAddress::from_slice(&keccak256(&rlp)[12..])
}

/// The `cryo` importer (see the module docs).
pub struct Cryo;

impl Importer for Cryo {
    fn name(&self) -> &'static str {
        "cryo"
    }

    fn describe(&self) -> &'static str {
        "a cryo Parquet export directory: blocks, transactions, logs, traces or \
         native_transfers, erc20_transfers (any subset; the report names what could not be \
         derived)"
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

fn find_files(dir: &Path, out: &mut Vec<(CryoDataset, PathBuf)>) -> Result<(), ImportError> {
    let read_err = |source| ImportError::Read {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        if path.is_dir() {
            find_files(&path, out)?;
        } else if let Some(dataset) = CryoDataset::of_file(&path) {
            out.push((dataset, path));
        }
    }
    Ok(())
}

/// Per block: the parts an ethereum-etl export would give, plus what cryo adds.
#[derive(Default)]
struct CryoBlock {
    block: Option<EvmBlock>,
    txs: Vec<CryoTx>,
    logs: Vec<EvmLog>,
    transfers: Vec<(TokenTransfer, u64)>,
    traces: Vec<EvmTrace>,
    natives: Vec<NativeTransfer>,
}

/// What the datasets present allow (decided once per import, reported).
struct Coverage {
    traces: bool,
    natives: bool,
    logs: bool,
    fees: bool,
    blocks: bool,
}

fn import(
    store: &Store,
    dir: &Path,
    options: &ImportOptions<'_>,
) -> Result<ImportReport, ImportError> {
    if !dir.is_dir() {
        return Err(ImportError::Source(format!(
            "{} is not a directory: point --format cryo at the directory cryo wrote",
            dir.display()
        )));
    }
    let mut files = Vec::new();
    find_files(dir, &mut files)?;
    files.sort();
    let present: HashSet<CryoDataset> = files.iter().map(|(dataset, _)| *dataset).collect();
    let has = |d: CryoDataset| present.contains(&d);
    if ![
        CryoDataset::Transactions,
        CryoDataset::Logs,
        CryoDataset::Traces,
        CryoDataset::NativeTransfers,
        CryoDataset::Erc20Transfers,
    ]
    .into_iter()
    .any(has)
    {
        return Err(ImportError::Source(format!(
            "{} has no cryo transactions, logs, traces, native_transfers or erc20_transfers \
             files (`<network>__<dataset>__<blocks>.parquet`): nothing to import",
            dir.display()
        )));
    }
    let mut coverage = Coverage {
        traces: has(CryoDataset::Traces),
        natives: !has(CryoDataset::Traces) && has(CryoDataset::NativeTransfers),
        logs: has(CryoDataset::Logs),
        fees: has(CryoDataset::Blocks) && has(CryoDataset::Transactions),
        blocks: has(CryoDataset::Blocks),
    };
    let mut notes: Vec<String> = Vec::new();

    let files: Vec<CryoFile> = files
        .into_iter()
        .filter(|(dataset, _)| match dataset {
            CryoDataset::NativeTransfers => !coverage.traces,
            CryoDataset::Erc20Transfers => !coverage.logs,
            _ => true,
        })
        .map(|(dataset, path)| CryoFile::new(path, dataset))
        .collect();
    let source_bytes = total_bytes(&files)?;
    let mut order = BlockOrder::scan(files)?;
    let mut survey = Survey::default();
    let mut chain_ids: BTreeMap<u64, PathBuf> = BTreeMap::new();
    for file in order.files() {
        survey.add(&file.survey);
        for id in &file.survey.chain_ids {
            chain_ids
                .entry(*id)
                .or_insert_with(|| file.path().to_path_buf());
        }
    }
    let (success_known, gas_known, miner_known) = (
        survey.txs_without_success == 0,
        survey.txs_without_gas == 0,
        survey.blocks_without_miner == 0,
    );
    let blob_txs = survey.blob_txs;
    let chain_id = match chain_ids.len() {
        0 => match chain_id_file(dir)? {
            Some(id) => id,
            None => {
                notes.push("chain id 1 assumed (no chain_id column or file)".to_string());
                1
            }
        },
        1 => chain_ids.keys().next().copied().unwrap_or(1),
        _ => {
            let listed: Vec<String> = chain_ids
                .iter()
                .map(|(id, path)| format!("{id} ({})", path.display()))
                .collect();
            return Err(ImportError::Source(format!(
                "{}: files of different chains: {}; import each chain's files separately",
                dir.display(),
                listed.join(", ")
            )));
        }
    };

    // What the datasets allow, said in the report.
    let native = if coverage.traces {
        "traces".to_string()
    } else if coverage.natives {
        notes.push(
            "native_transfers has no error or call-type columns: ether moved by reverted \
             internal calls counts as moved, delegatecall values are kept; export traces \
             for exact internal transfers"
                .to_string(),
        );
        "native_transfers".to_string()
    } else if has(CryoDataset::Transactions) {
        notes.push("no internal transfers (export traces or native_transfers)".to_string());
        "transactions".to_string()
    } else {
        notes.push("no ether transfers (export transactions and traces)".to_string());
        "none".to_string()
    };
    let tokens = if coverage.logs {
        "logs".to_string()
    } else if has(CryoDataset::Erc20Transfers) {
        notes.push("no WETH wraps, swaps or mixer events (they need logs)".to_string());
        "erc20_transfers".to_string()
    } else {
        notes.push("no token transfers (export logs or erc20_transfers)".to_string());
        "none".to_string()
    };
    if coverage.fees && !(gas_known && miner_known) {
        coverage.fees = false;
    }
    let fees = if coverage.fees {
        if blob_txs > 0 {
            notes.push(format!(
                "blob gas of {blob_txs} blob transactions not burnt (cryo has no blob gas \
                 columns)"
            ));
        }
        "transactions+blocks".to_string()
    } else {
        notes.push(
            "no gas fees (they need blocks with author and base_fee_per_gas, and \
             transactions with gas_used and gas_price)"
                .to_string(),
        );
        "none".to_string()
    };
    if has(CryoDataset::Transactions) && !success_known && !coverage.traces {
        notes.push(
            "transaction outcome unknown (no success column): all counted successful".to_string(),
        );
    }
    if !has(CryoDataset::Transactions) {
        notes.push(
            "no transactions: senders unknown, swap, mixer and bridge-log events skipped"
                .to_string(),
        );
    }
    if !coverage.blocks && survey.txs_with_timestamp == 0 {
        notes.push("no blocks: timestamps 0".to_string());
    }
    notes.push("no beacon withdrawals (not in cryo's datasets)".to_string());
    for note in &notes {
        tracing::warn!("cryo import of {}: {note}", dir.display());
    }
    let format = format!(
        "cryo (native: {native}; tokens: {tokens}; fees: {fees}; {})",
        notes.join("; ")
    );

    let rules = FlowRules::new(chain_id, &[]);
    let chain = Chain::Evm(chain_id);
    let mut writer = store.writer(chain)?;
    writer.register_asset(&Asset::native(chain))?;
    let canonical = dir.canonicalize().map_err(|source| ImportError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let key = format!("cryo:{}", canonical.display());
    let stats = order.tables();
    let total = match stats.get(&CryoDataset::Blocks.index()) {
        Some(blocks) => blocks.rows,
        None => stats
            .values()
            .map(|t| t.last_block - t.first_block + 1)
            .max()
            .unwrap_or(0),
    };
    let mut sink = BlockSink::open(store, writer, dir, key, source_bytes, total, options)?;
    // Several snapshots of one token (cryo's blocks dimension): the last row read wins.
    for file in order.files() {
        if file.dataset() != CryoDataset::Erc20Metadata {
            continue;
        }
        let mut rows = file.all_rows()?;
        while let Some((_, _, record)) = rows.next_row()? {
            if let CryoRecord::Erc20Metadata(token, metadata) = record {
                sink.name_source_token(&crate::events::evm(token), metadata)?;
            }
        }
    }
    let with_transactions = has(CryoDataset::Transactions);
    let mut blocks = order.read_from(sink.start());
    while let Some((number, rows)) = blocks.next_block()? {
        let block_err = |message: String| {
            ImportError::Source(format!("{}: block {number}: {message}", dir.display()))
        };
        let mut parts = CryoBlock::default();
        for placed in rows {
            match placed.row {
                CryoRecord::Block(b) => parts.block = Some(b),
                CryoRecord::Transaction(t) => parts.txs.push(*t),
                CryoRecord::Log(l) => parts.logs.push(l),
                CryoRecord::Trace(t) => parts.traces.push(t),
                CryoRecord::Native(n) => parts.natives.push(n),
                CryoRecord::Erc20(t, i) => parts.transfers.push((t, i)),
                CryoRecord::Erc20Metadata(..) => {}
            }
        }
        if coverage.blocks && parts.block.is_none() {
            return Err(block_err(
                "the blocks files lack this block, but other datasets have rows for it: \
                 export the same block range of every dataset"
                    .to_string(),
            ));
        }
        let (parts, unknown_senders) = to_parts(parts, number, &coverage);
        let bundle = assemble(parts, coverage.traces || coverage.natives).map_err(block_err)?;
        let flows = block_flows(&rules, &bundle).map_err(block_err)?;
        let txs = flows
            .txs
            .iter()
            .zip(flows.events)
            .map(|(tx, mut tx_events)| {
                if !with_transactions || unknown_senders.contains(&B256::from(tx.hash.0)) {
                    // Swap, mixer and kept-log records name the transaction's sender, which is
                    // unknown here.
                    tx_events.drop_sender_events();
                }
                (tx, tx_events)
            });
        sink.append_block(&bundle.block, txs)?;
    }
    sink.finish(format)
}

/// Turn one block's cryo rows into the parts [`assemble`] joins: transactions get receipts
/// from their `gas_used`/`gas_price`/`success` columns (zero gas when fees cannot be derived),
/// transactions only other datasets name are synthesised (sender unknown: returned), and
/// `native_transfers` rows become call traces (the first of a transaction is the top-level
/// call).
fn to_parts(cryo: CryoBlock, number: u64, coverage: &Coverage) -> (Parts, HashSet<B256>) {
    let CryoBlock {
        block,
        txs,
        logs,
        transfers,
        mut traces,
        mut natives,
    } = cryo;
    let timestamp = txs.iter().find_map(|t| t.timestamp).unwrap_or(0);
    let mut block = block.unwrap_or(EvmBlock {
        number,
        hash: None,
        parent_hash: None,
        timestamp,
        miner: EvmAddress::ZERO,
        base_fee_per_gas: None,
        transactions: Vec::new(),
        withdrawals: Vec::new(),
    });
    if !coverage.fees {
        block.base_fee_per_gas = None;
    }
    let base_fee = block.base_fee_per_gas;
    let mut parts = Parts {
        block: Some(block),
        ..Parts::default()
    };
    let mut known: HashMap<B256, u64> = HashMap::new();
    let mut creations: HashMap<B256, bool> = HashMap::new();
    for t in txs {
        let CryoTx {
            mut tx,
            gas_used,
            success,
            ..
        } = t;
        known.insert(tx.hash, tx.transaction_index);
        creations.insert(tx.hash, tx.to.is_none());
        let (gas_used, price) = if coverage.fees {
            // A node's gasPrice of a mined transaction is the effective price; without it,
            // EIP-1559's rule gives it from the fee caps and the base fee.
            let effective = tx.gas_price.or_else(|| {
                let (max_fee, tip) = (tx.max_fee_per_gas?, tx.max_priority_fee_per_gas?);
                Some(max_fee.min(base_fee.unwrap_or_default() + tip))
            });
            (gas_used.unwrap_or(0), effective)
        } else {
            tx.gas_price = Some(U256::ZERO);
            (0, Some(U256::ZERO))
        };
        let contract_address = tx.to.is_none().then(|| create_address(tx.from, tx.nonce));
        let receipt = EvmReceipt {
            transaction_hash: tx.hash,
            transaction_index: tx.transaction_index,
            block_number: tx.block_number,
            cumulative_gas_used: 0,
            gas_used,
            contract_address,
            root: None,
            status: success.map(u64::from),
            effective_gas_price: price,
            blob_gas_used: None,
            blob_gas_price: None,
            logs: Vec::new(),
        };
        parts.txs.push((tx, Some(receipt)));
    }
    // native_transfers → traces, in the block's trace order.
    natives.sort_by_key(|n| n.transfer_index);
    let mut seen_top: HashSet<(Option<B256>, Option<u64>)> = HashSet::new();
    let mut position: HashMap<(Option<B256>, Option<u64>), u64> = HashMap::new();
    for n in natives {
        let tx_key = (n.tx_hash, n.tx_index);
        let in_tx = n.tx_hash.is_some() || n.tx_index.is_some();
        let top = in_tx && seen_top.insert(tx_key);
        let trace_address = if top || !in_tx {
            Vec::new()
        } else {
            let next = position.entry(tx_key).or_insert(0);
            *next += 1;
            vec![*next - 1]
        };
        let is_create = top && n.tx_hash.and_then(|h| creations.get(&h).copied()) == Some(true);
        let (trace_type, from) = match (in_tx, is_create) {
            (false, _) => (TraceType::Reward, None),
            (true, true) => (TraceType::Create, Some(n.from)),
            (true, false) => (TraceType::Call, Some(n.from)),
        };
        traces.push(EvmTrace {
            block_number: n.block,
            transaction_hash: n.tx_hash,
            transaction_index: n.tx_index,
            from,
            to: n.to,
            value: n.value,
            trace_type,
            call_type: None,
            reward_type: None,
            subtraces: 0,
            trace_address,
            error: None,
            status: true,
        });
    }
    // Execution order within each transaction: depth-first by trace address.
    traces.sort_by(|a, b| {
        (
            a.transaction_index.is_none(),
            a.transaction_index,
            &a.trace_address,
        )
            .cmp(&(
                b.transaction_index.is_none(),
                b.transaction_index,
                &b.trace_address,
            ))
    });
    // Transactions named only by logs, transfers or traces.
    let mut unknown_senders = HashSet::new();
    let mut named: BTreeMap<u64, B256> = BTreeMap::new();
    for l in &logs {
        named.insert(l.transaction_index, l.transaction_hash);
    }
    for (t, index) in &transfers {
        named.insert(*index, t.transaction_hash);
    }
    for t in &traces {
        if let (Some(hash), Some(index)) = (t.transaction_hash, t.transaction_index) {
            named.insert(index, hash);
        }
    }
    for (index, hash) in named {
        if known.contains_key(&hash) {
            continue;
        }
        known.insert(hash, index);
        let top = traces
            .iter()
            .find(|t| t.transaction_hash == Some(hash) && t.trace_address.is_empty());
        let from = top.and_then(|t| t.from);
        if from.is_none() {
            unknown_senders.insert(hash);
        }
        let tx = EvmTransaction {
            hash,
            nonce: 0,
            block_number: number,
            transaction_index: index,
            from: from.unwrap_or_default(),
            to: top.and_then(|t| t.to),
            value: U256::ZERO,
            gas: 0,
            gas_price: Some(U256::ZERO),
            input: Bytes::new(),
            max_fee_per_gas: None,
            max_priority_fee_per_gas: None,
            transaction_type: None,
        };
        let receipt = EvmReceipt {
            transaction_hash: hash,
            transaction_index: index,
            block_number: number,
            cumulative_gas_used: 0,
            gas_used: 0,
            contract_address: None,
            root: None,
            status: None,
            effective_gas_price: Some(U256::ZERO),
            blob_gas_used: None,
            blob_gas_price: None,
            logs: Vec::new(),
        };
        parts.txs.push((tx, Some(receipt)));
    }
    parts.logs = logs;
    parts.transfers = transfers.into_iter().map(|(t, _)| t).collect();
    parts.traces = traces;
    (parts, unknown_senders)
}
