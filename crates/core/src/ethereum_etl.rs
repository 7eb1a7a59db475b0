//! The tables and column names of [ethereum-etl](https://github.com/blockchain-etl/ethereum-etl)
//! exports, as ethereum-etl writes them (columns in its order): the one definition that the
//! importer (`chaintrail-evm`), the simulator's writer and the Parquet export name columns by.
//!
//! Each table is a module: `TABLE` is its name (its files are `<TABLE>.csv|json`), one constant
//! per column, `ALL` every column ethereum-etl writes for it, in order. Columns that only some
//! exports carry (`stream` output's `receipt_*` columns on transactions, blob gas on receipts)
//! have constants but are not in `ALL`.

/// One module per table: its name, a constant per column, `ALL` in ethereum-etl's order, then
/// the columns only some exports carry.
macro_rules! table {
    (
        $(#[$doc:meta])*
        $module:ident = $name:literal {
            $($column:ident = $text:literal),* $(,)?
        }
        $(also { $($extra:ident = $extra_text:literal),* $(,)? })?
    ) => {
        $(#[$doc])*
        pub mod $module {
            /// The table's name.
            pub const TABLE: &str = $name;
            $(
                #[doc = concat!("Column `", $text, "`.")]
                pub const $column: &str = $text;
            )*
            /// Every column ethereum-etl writes, in its order.
            pub const ALL: [&str; [$($text),*].len()] = [$($column),*];
            $($(
                #[doc = concat!("Column `", $extra_text, "` (only some exports carry it).")]
                pub const $extra: &str = $extra_text;
            )*)?
        }
    };
}

table! {
    /// `blocks`: one row per block.
    blocks = "blocks" {
        NUMBER = "number",
        HASH = "hash",
        PARENT_HASH = "parent_hash",
        NONCE = "nonce",
        SHA3_UNCLES = "sha3_uncles",
        LOGS_BLOOM = "logs_bloom",
        TRANSACTIONS_ROOT = "transactions_root",
        STATE_ROOT = "state_root",
        RECEIPTS_ROOT = "receipts_root",
        MINER = "miner",
        DIFFICULTY = "difficulty",
        TOTAL_DIFFICULTY = "total_difficulty",
        SIZE = "size",
        EXTRA_DATA = "extra_data",
        GAS_LIMIT = "gas_limit",
        GAS_USED = "gas_used",
        TIMESTAMP = "timestamp",
        TRANSACTION_COUNT = "transaction_count",
        BASE_FEE_PER_GAS = "base_fee_per_gas",
        WITHDRAWALS_ROOT = "withdrawals_root",
        WITHDRAWALS = "withdrawals",
    }
}

table! {
    /// `transactions`: one row per transaction.
    transactions = "transactions" {
        HASH = "hash",
        NONCE = "nonce",
        BLOCK_HASH = "block_hash",
        BLOCK_NUMBER = "block_number",
        TRANSACTION_INDEX = "transaction_index",
        FROM_ADDRESS = "from_address",
        TO_ADDRESS = "to_address",
        VALUE = "value",
        GAS = "gas",
        GAS_PRICE = "gas_price",
        INPUT = "input",
        BLOCK_TIMESTAMP = "block_timestamp",
        MAX_FEE_PER_GAS = "max_fee_per_gas",
        MAX_PRIORITY_FEE_PER_GAS = "max_priority_fee_per_gas",
        TRANSACTION_TYPE = "transaction_type",
    }
    also {
        RECEIPT_CUMULATIVE_GAS_USED = "receipt_cumulative_gas_used",
        RECEIPT_GAS_USED = "receipt_gas_used",
        RECEIPT_CONTRACT_ADDRESS = "receipt_contract_address",
        RECEIPT_ROOT = "receipt_root",
        RECEIPT_STATUS = "receipt_status",
        RECEIPT_EFFECTIVE_GAS_PRICE = "receipt_effective_gas_price",
        RECEIPT_BLOB_GAS_USED = "receipt_blob_gas_used",
        RECEIPT_BLOB_GAS_PRICE = "receipt_blob_gas_price",
    }
}

table! {
    /// `receipts`: one row per transaction.
    receipts = "receipts" {
        TRANSACTION_HASH = "transaction_hash",
        TRANSACTION_INDEX = "transaction_index",
        BLOCK_HASH = "block_hash",
        BLOCK_NUMBER = "block_number",
        CUMULATIVE_GAS_USED = "cumulative_gas_used",
        GAS_USED = "gas_used",
        CONTRACT_ADDRESS = "contract_address",
        ROOT = "root",
        STATUS = "status",
        EFFECTIVE_GAS_PRICE = "effective_gas_price",
        L1_FEE = "l1_fee",
        L1_GAS_USED = "l1_gas_used",
        L1_GAS_PRICE = "l1_gas_price",
        L1_FEE_SCALAR = "l1_fee_scalar",
    }
    also {
        BLOB_GAS_USED = "blob_gas_used",
        BLOB_GAS_PRICE = "blob_gas_price",
    }
}

table! {
    /// `logs`: one row per event log.
    logs = "logs" {
        LOG_INDEX = "log_index",
        TRANSACTION_HASH = "transaction_hash",
        TRANSACTION_INDEX = "transaction_index",
        BLOCK_HASH = "block_hash",
        BLOCK_NUMBER = "block_number",
        ADDRESS = "address",
        DATA = "data",
        TOPICS = "topics",
    }
}

table! {
    /// `token_transfers`: one row per ERC-20/721 `Transfer` log.
    token_transfers = "token_transfers" {
        TOKEN_ADDRESS = "token_address",
        FROM_ADDRESS = "from_address",
        TO_ADDRESS = "to_address",
        VALUE = "value",
        TRANSACTION_HASH = "transaction_hash",
        LOG_INDEX = "log_index",
        BLOCK_NUMBER = "block_number",
    }
}

table! {
    /// `traces`: one row per Parity-style trace.
    traces = "traces" {
        BLOCK_NUMBER = "block_number",
        TRANSACTION_HASH = "transaction_hash",
        TRANSACTION_INDEX = "transaction_index",
        FROM_ADDRESS = "from_address",
        TO_ADDRESS = "to_address",
        VALUE = "value",
        INPUT = "input",
        OUTPUT = "output",
        TRACE_TYPE = "trace_type",
        CALL_TYPE = "call_type",
        REWARD_TYPE = "reward_type",
        GAS = "gas",
        GAS_USED = "gas_used",
        SUBTRACES = "subtraces",
        TRACE_ADDRESS = "trace_address",
        ERROR = "error",
        STATUS = "status",
        TRACE_ID = "trace_id",
    }
}

table! {
    /// `tokens`: one row per token contract.
    tokens = "tokens" {
        ADDRESS = "address",
        SYMBOL = "symbol",
        NAME = "name",
        DECIMALS = "decimals",
        TOTAL_SUPPLY = "total_supply",
        BLOCK_NUMBER = "block_number",
    }
}
