//! Core types of chaintrail: the vocabulary every other crate speaks.
//!
//! This crate owns
//! - [`Chain`]: which ledger a value lives on, and its [`ChainModel`] (UTXO or account);
//! - [`Address`]: an address that parsed is valid and prints canonically for its chain
//!   (Base58Check / bech32 / bech32m for Bitcoin, EIP-55 for EVM chains);
//! - [`Amount`]: a non-negative amount in base units (satoshi, wei, token units) that never wraps;
//! - [`Asset`], [`TxHash`], [`BlockRef`];
//! - [`Date`]: the one calendar-day type (strict `YYYY-MM-DD`, the UTC day of a Unix time);
//! - the bundled registry of major ERC-20 tokens ([`known_token`]: symbol, name, decimals and
//!   [`Peg`] by chain and contract, from `data/tokens/tokens.csv`);
//! - [`ethereum_etl`]: the tables and column names of ethereum-etl exports, defined once for
//!   the importer, the simulator's writer and the Parquet export;
//! - the one value-flow model shared by both kinds of chain: [`UtxoTx`] (ordered inputs spending
//!   outpoints, ordered outputs; the fee follows) and [`AccountTx`] with its ordered
//!   [`AccountTransfer`]s (position, from, to, asset, amount, kind, success).
//!
//! It performs no I/O (it reads the system clock for [`Date::today`] only). Parsing errors name what was wrong so that callers can show them as is.

#![warn(missing_docs)]

mod address;
mod amount;
mod asset;
mod chain;
mod date;
pub mod ethereum_etl;
mod flow;
mod hash;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
mod token;

pub use address::{Address, AddressError, BitcoinAddress};
pub use amount::{Amount, AmountError};
pub use asset::{Asset, AssetKind};
pub use chain::{BitcoinNetwork, Chain, ChainError, ChainModel};
pub use date::{Date, DateError};
pub use flow::{
    AccountTransfer, AccountTx, BlockRef, LOCK_TIME_THRESHOLD, OutPoint, SEQUENCE_NO_RBF,
    TransferKind, TxFingerprint, UnknownTransferKind, UtxoInput, UtxoOutput, UtxoTx,
};
pub use hash::{HashError, TxHash};
pub use token::{KnownToken, Peg, known_token};
