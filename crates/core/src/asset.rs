use serde::{Deserialize, Serialize};

use crate::{Address, Chain};

/// What an asset is on its chain: the chain's native coin or a token contract.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AssetKind {
    /// The chain's own coin (ether, bitcoin).
    Native,
    /// A token, by its contract address.
    Token(Address),
}

/// An asset: native coin or token, with the decimals and symbol used to show its amounts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Asset {
    /// The chain the asset lives on.
    pub chain: Chain,
    /// Native coin or token contract.
    pub kind: AssetKind,
    /// Ticker symbol (`ETH`, `USDT`); empty when unknown.
    pub symbol: String,
    /// Decimal places of one unit (18 for ether, 8 for bitcoin).
    pub decimals: u8,
}

impl Serialize for AssetKind {
    /// `"native"` or the token contract's canonical address.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            AssetKind::Native => serializer.serialize_str("native"),
            AssetKind::Token(address) => serializer.collect_str(address),
        }
    }
}

impl<'de> Deserialize<'de> for AssetKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text == "native" {
            return Ok(AssetKind::Native);
        }
        Address::parse_any(&text)
            .map(|(_, address)| AssetKind::Token(address))
            .map_err(serde::de::Error::custom)
    }
}

impl Asset {
    /// The native coin of `chain`.
    pub fn native(chain: Chain) -> Asset {
        Asset {
            chain,
            kind: AssetKind::Native,
            symbol: chain.native_symbol().to_string(),
            decimals: chain.native_decimals(),
        }
    }

    /// The token at `contract` on `chain`.
    pub fn token(chain: Chain, contract: Address, symbol: &str, decimals: u8) -> Asset {
        Asset {
            chain,
            kind: AssetKind::Token(contract),
            symbol: symbol.to_string(),
            decimals,
        }
    }

    /// The token contract, `None` for the native coin.
    pub fn contract(&self) -> Option<&Address> {
        match &self.kind {
            AssetKind::Native => None,
            AssetKind::Token(address) => Some(address),
        }
    }
}

/// Assets are stored as `{chain, contract|null, symbol, decimals}`.
#[derive(Serialize, Deserialize)]
struct AssetRecord {
    chain: Chain,
    contract: Option<String>,
    symbol: String,
    decimals: u8,
}

impl Serialize for Asset {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        AssetRecord {
            chain: self.chain,
            contract: self.contract().map(ToString::to_string),
            symbol: self.symbol.clone(),
            decimals: self.decimals,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Asset {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let record = AssetRecord::deserialize(deserializer)?;
        let kind = match record.contract {
            None => AssetKind::Native,
            Some(text) => AssetKind::Token(
                Address::parse(record.chain, &text).map_err(serde::de::Error::custom)?,
            ),
        };
        Ok(Asset {
            chain: record.chain,
            kind,
            symbol: record.symbol,
            decimals: record.decimals,
        })
    }
}
