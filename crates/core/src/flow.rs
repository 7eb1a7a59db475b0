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
