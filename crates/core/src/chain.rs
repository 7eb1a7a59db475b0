use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Peg;

/// How a chain holds value: in unspent transaction outputs or in account balances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChainModel {
    /// Unspent transaction outputs (Bitcoin).
    Utxo,
    /// Account balances (EVM chains).
    Account,
}

/// The Bitcoin networks chaintrail reads. Signet shares testnet's address encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BitcoinNetwork {
    /// Bitcoin mainnet.
    Mainnet,
    /// Bitcoin testnet.
    Testnet,
    /// A local regtest network.
    Regtest,
}

/// A ledger. EVM chains are identified by their EIP-155 chain id; well-known ids have names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Chain {
    /// Bitcoin on one network.
    Bitcoin(BitcoinNetwork),
    /// An EVM chain by its EIP-155 chain id.
    Evm(u64),
}

/// Why a text names no chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// A name chaintrail does not know.
    #[error(
        "unknown chain `{0}`: use bitcoin, bitcoin-testnet, bitcoin-regtest, ethereum, bsc, polygon, \
         arbitrum, optimism, avalanche, base, sepolia, anvil, or evm:<chain id>"
    )]
    Unknown(String),
    /// An `evm:<id>` whose id is not a number.
    #[error("invalid EVM chain id in `{0}`: expected evm:<decimal chain id>, e.g. evm:1")]
    BadChainId(String),
}

/// Named EVM chains: (chain id, canonical name, native symbol).
const EVM_NAMES: &[(u64, &str, &str)] = &[
    (1, "ethereum", "ETH"),
    (10, "optimism", "ETH"),
    (56, "bsc", "BNB"),
    (137, "polygon", "POL"),
    (8453, "base", "ETH"),
    (31337, "anvil", "ETH"),
    (42161, "arbitrum", "ETH"),
    (43114, "avalanche", "AVAX"),
    (11155111, "sepolia", "ETH"),
];

impl Chain {
    /// Bitcoin mainnet.
    pub const BITCOIN: Chain = Chain::Bitcoin(BitcoinNetwork::Mainnet);
    /// Ethereum mainnet.
    pub const ETHEREUM: Chain = Chain::Evm(1);

    /// How the chain records value: UTXO or account.
    pub fn model(self) -> ChainModel {
        match self {
            Chain::Bitcoin(_) => ChainModel::Utxo,
            Chain::Evm(_) => ChainModel::Account,
        }
    }

    /// Symbol of the chain's native asset (BTC, ETH, BNB, …).
    pub fn native_symbol(self) -> &'static str {
        match self {
            Chain::Bitcoin(_) => "BTC",
            Chain::Evm(id) => EVM_NAMES
                .iter()
                .find(|(known, _, _)| *known == id)
                .map_or("ETH", |(_, _, symbol)| symbol),
        }
    }

    /// What the native coin is worth 1:1: BTC on Bitcoin, ETH on EVM chains known to use ether
    /// (Ethereum, its rollups, anvil, Sepolia); `None` for other coins (BNB, POL, AVAX) and for
    /// chain ids chaintrail does not know.
    pub fn native_peg(self) -> Option<Peg> {
        match self {
            Chain::Bitcoin(_) => Some(Peg::Btc),
            Chain::Evm(id) => EVM_NAMES
                .iter()
                .any(|&(known, _, symbol)| known == id && symbol == "ETH")
                .then_some(Peg::Eth),
        }
    }

    /// Decimals of the native asset: 8 for satoshi, 18 for wei.
    pub fn native_decimals(self) -> u8 {
        match self {
            Chain::Bitcoin(_) => 8,
            Chain::Evm(_) => 18,
        }
    }

    /// A name safe to use as a directory name; it parses back to the same chain.
    pub fn name(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Chain::Bitcoin(BitcoinNetwork::Mainnet) => f.write_str("bitcoin"),
            Chain::Bitcoin(BitcoinNetwork::Testnet) => f.write_str("bitcoin-testnet"),
            Chain::Bitcoin(BitcoinNetwork::Regtest) => f.write_str("bitcoin-regtest"),
            Chain::Evm(id) => match EVM_NAMES.iter().find(|(known, _, _)| known == id) {
                Some((_, name, _)) => f.write_str(name),
                None => write!(f, "evm:{id}"),
            },
        }
    }
}

impl FromStr for Chain {
    type Err = ChainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let chain = match lower.as_str() {
            "bitcoin" | "btc" | "bitcoin-mainnet" => Chain::Bitcoin(BitcoinNetwork::Mainnet),
            "bitcoin-testnet" | "testnet" | "bitcoin-signet" | "signet" => {
                Chain::Bitcoin(BitcoinNetwork::Testnet)
            }
            "bitcoin-regtest" | "regtest" => Chain::Bitcoin(BitcoinNetwork::Regtest),
            "eth" | "mainnet" => Chain::Evm(1),
            "avalanche-c" | "avax" => Chain::Evm(43114),
            "bnb" | "binance-smart-chain" => Chain::Evm(56),
            "matic" => Chain::Evm(137),
            other => {
                if let Some(id) = other.strip_prefix("evm:") {
                    let id = id
                        .parse::<u64>()
                        .map_err(|_| ChainError::BadChainId(s.to_string()))?;
                    Chain::Evm(id)
                } else if let Some((id, _, _)) =
                    EVM_NAMES.iter().find(|(_, name, _)| *name == other)
                {
                    Chain::Evm(*id)
                } else {
                    return Err(ChainError::Unknown(s.to_string()));
                }
            }
        };
        Ok(chain)
    }
}

impl Serialize for Chain {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Chain {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for text in [
            "bitcoin",
            "bitcoin-testnet",
            "bitcoin-regtest",
            "ethereum",
            "bsc",
            "polygon",
            "arbitrum",
            "optimism",
            "avalanche",
            "anvil",
            "evm:999",
        ] {
            let chain: Chain = text.parse().unwrap();
            assert_eq!(chain.to_string(), text);
        }
        assert_eq!("evm:1".parse::<Chain>().unwrap(), Chain::ETHEREUM);
        assert_eq!(Chain::Evm(43114).native_symbol(), "AVAX");
        assert_eq!(Chain::BITCOIN.model(), ChainModel::Utxo);
    }

    #[test]
    fn unknown_chain_names_the_input() {
        let err = "dogecoin".parse::<Chain>().unwrap_err();
        assert!(err.to_string().contains("unknown chain `dogecoin`"));
        let err = "evm:x1".parse::<Chain>().unwrap_err();
        assert!(err.to_string().contains("evm:x1"));
    }
}
