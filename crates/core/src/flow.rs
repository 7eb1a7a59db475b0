//! The one value-flow model. A *holder* is where value sits and mixes: a UTXO transaction
//! (ordered inputs → ordered outputs, one instant) or an (account, asset) balance (time-ordered
//! inflows and outflows). Everything downstream — store, tracing, screening — speaks these
//! records and never a chain-specific format.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Address, Amount, AssetKind, TxHash};

/// Where and when a transaction was confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BlockRef {
    /// The block's height.
    pub height: u64,
    /// Seconds since the Unix epoch, as the block header says.
    pub timestamp: u64,
}

/// A reference to one output of an earlier transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OutPoint {
    /// The transaction holding the output.
    pub tx: TxHash,
    /// The output's index in that transaction.
    pub vout: u32,
}

/// One input of a UTXO transaction. `prevout` is `None` for a coinbase input.
///
/// `value` and `address` are what the source said the spent output held, when it says (Core's
/// `getblock` verbosity 3, bitcoin-etl). They let a store that lacks the spent output (a partial
/// import) still account for the input; when the spent output is in the store it is authoritative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UtxoInput {
    /// The output spent; `None` for a coinbase input.
    pub prevout: Option<OutPoint>,
    /// The spent output's value in satoshi, when the source says.
    pub value: Option<u64>,
    /// The spent output's address, when the source says.
    pub address: Option<Address>,
}

/// One output of a UTXO transaction: value in satoshi locked to an address (or a typed script
/// identity for outputs without an address).
///
/// `data` is what an OP_RETURN (null-data) output carries — bridge memos (THORChain `OUT:`),
/// protocol markers — and is `None` for every other output: its push payloads concatenated in
/// order, or, when the script after `OP_RETURN` is not a clean sequence of data pushes, the raw
/// bytes after the `0x6a` opcode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UtxoOutput {
    /// Value in satoshi.
    pub value: u64,
    /// The holder: an address or a typed script identity.
    pub address: Address,
    /// What an OP_RETURN output carries; `None` for every other output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Vec<u8>>,
}

/// A UTXO transaction: ordered inputs spending outpoints, ordered outputs. The fee is derived by
/// the store as Σ inputs − Σ outputs once inputs are linked to the outputs they spend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UtxoTx {
    /// The transaction id (display order).
    pub hash: TxHash,
    /// The block that confirmed it.
    pub block: BlockRef,
    /// Inputs in transaction order.
    pub inputs: Vec<UtxoInput>,
    /// Outputs in transaction order.
    pub outputs: Vec<UtxoOutput>,
    /// What the transaction says about the wallet software that built it, when the source
    /// says (every Bitcoin importer does; JSON lines written before it existed do not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<TxFingerprint>,
}

/// The fields of a Bitcoin transaction that wallet software sets each in its own way, and that
/// therefore fingerprint it (methods.md §2.2, *Wallet fingerprinting*): nVersion, nLockTime and
/// whether any input signals replace-by-fee (BIP 125: nSequence below 0xfffffffe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TxFingerprint {
    /// nVersion (1 or 2 for almost every wallet; 3 for TRUC transactions).
    pub version: i32,
    /// nLockTime: 0, a block height (below 500,000,000) or a Unix time.
    pub lock_time: u32,
    /// Some input's nSequence is below 0xfffffffe: the transaction may be replaced (BIP 125).
    pub rbf: bool,
}

/// nSequence values from this one up do not signal replace-by-fee (BIP 125).
pub const SEQUENCE_NO_RBF: u32 = 0xffff_fffe;
/// nLockTime values from this one up are Unix times, below it block heights.
pub const LOCK_TIME_THRESHOLD: u32 = 500_000_000;

impl TxFingerprint {
    /// The fingerprint of a transaction with this nVersion, nLockTime and input nSequences.
    pub fn new(version: i32, lock_time: u32, sequences: impl IntoIterator<Item = u32>) -> Self {
        TxFingerprint {
            version,
            lock_time,
            rbf: sequences.into_iter().any(|s| s < SEQUENCE_NO_RBF),
        }
    }

    /// The nSequence a wallet with this fingerprint gives its inputs: 0xfffffffd to signal
    /// replace-by-fee, 0xfffffffe to keep a non-zero nLockTime enforced without it (as Bitcoin
    /// Core does), 0xffffffff otherwise.
    pub fn sequence(&self) -> u32 {
        if self.rbf {
            SEQUENCE_NO_RBF - 1
        } else if self.lock_time != 0 {
            SEQUENCE_NO_RBF
        } else {
            u32::MAX
        }
    }
}

impl UtxoTx {
    /// Whether the transaction is its block's coinbase (its input spends nothing).
    pub fn is_coinbase(&self) -> bool {
        self.inputs.len() == 1 && self.inputs[0].prevout.is_none()
    }
}

/// Why value moved between two accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
#[non_exhaustive]
pub enum TransferKind {
    /// The transaction's own value transfer.
    Native = 0,
    /// Native value moved by a contract call inside a transaction (from traces).
    Internal = 1,
    /// A token transfer (ERC-20 `Transfer` event and equivalents).
    Token = 2,
    /// Gas paid: to the block's fee recipient (priority fee) or burnt (base fee, `to` empty).
    Fee = 3,
    /// Value destroyed: sent to no one.
    Burn = 4,
    /// Value created: block rewards, beacon withdrawals, token mints.
    Mint = 5,
}

impl TransferKind {
    /// Every kind, in code order (the code is the index).
    pub const ALL: [TransferKind; 6] = [
        TransferKind::Native,
        TransferKind::Internal,
        TransferKind::Token,
        TransferKind::Fee,
        TransferKind::Burn,
        TransferKind::Mint,
    ];

    /// The kind's name (`native`, `fee`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            TransferKind::Native => "native",
            TransferKind::Internal => "internal",
            TransferKind::Token => "token",
            TransferKind::Fee => "fee",
            TransferKind::Burn => "burn",
            TransferKind::Mint => "mint",
        }
    }

    /// The kind of a stored code.
    pub fn from_code(code: u8) -> Option<TransferKind> {
        TransferKind::ALL.get(usize::from(code)).copied()
    }
}

impl fmt::Display for TransferKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text that names no transfer kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown transfer kind `{0}`: expected native, internal, token, fee, burn or mint")]
pub struct UnknownTransferKind(pub String);

impl FromStr for TransferKind {
    type Err = UnknownTransferKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TransferKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| UnknownTransferKind(s.to_string()))
    }
}

impl Serialize for TransferKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TransferKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// One movement of value on an account chain. Its position within its transaction is its index
/// in [`AccountTx::transfers`]. `from` is `None` for value created (mints, rewards), `to` is `None`
/// for value destroyed (burnt base fee). A transfer with `success == false` moved nothing: it is
/// kept so that investigators see the attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountTransfer {
    /// The sender; `None` for value created.
    pub from: Option<Address>,
    /// The receiver; `None` for value destroyed.
    pub to: Option<Address>,
    /// What moved.
    pub asset: AssetKind,
    /// How much, in base units.
    pub amount: Amount,
    /// What kind of movement.
    pub kind: TransferKind,
    /// Whether it took effect (false: the call reverted).
    pub success: bool,
}

/// An account-chain transaction and the transfers it made, in execution order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountTx {
    /// The transaction hash.
    pub hash: TxHash,
    /// The block that confirmed it.
    pub block: BlockRef,
    /// Its transfers, in execution order.
    pub transfers: Vec<AccountTransfer>,
}
