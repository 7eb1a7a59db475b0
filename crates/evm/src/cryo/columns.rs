//! What chaintrail reads of each cryo dataset: the datasets, and per dataset the columns with
//! the names cryo gives them (the first name a file has wins) and how their values are read.

use std::path::Path;

use super::fields::Kind;

/// A cryo dataset chaintrail reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum CryoDataset {
    /// `blocks`: headers, fee recipients, base fees.
    Blocks,
    /// `transactions`: senders, values, gas, outcomes.
    Transactions,
    /// `logs`: token transfers and protocol events.
    Logs,
    /// `traces`: internal transfers.
    Traces,
    /// `native_transfers`: internal transfers without outcomes (when there are no traces).
    NativeTransfers,
    /// `erc20_transfers`: token transfers (when there are no logs).
    Erc20Transfers,
    /// `erc20_metadata`: token symbols and decimals.
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

    /// The dataset's name in cryo's file names.
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
