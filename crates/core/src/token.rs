//! The bundled registry of major ERC-20 tokens (`data/tokens/tokens.csv`, see its
//! PROVENANCE.md): metadata and peg by (chain, contract). A symbol alone identifies nothing —
//! anyone can deploy a token called USDT — so lookups are by contract only.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::{Address, Chain};

/// The asset one whole token is redeemable for, 1:1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Peg {
    /// US dollar stablecoins.
    Usd,
    /// Tokens worth one ether (wrapped and staked ether).
    Eth,
    /// Tokens worth one bitcoin (wrapped bitcoin).
    Btc,
}

impl Peg {
    fn parse(text: &str) -> Result<Option<Peg>, String> {
        match text {
            "usd" => Ok(Some(Peg::Usd)),
            "eth" => Ok(Some(Peg::Eth)),
            "btc" => Ok(Some(Peg::Btc)),
            "" => Ok(None),
            other => Err(format!("peg `{other}` is not usd, eth, btc or empty")),
        }
    }
}

/// A token of the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownToken {
    /// Ticker symbol.
    pub symbol: &'static str,
    /// Full name.
    pub name: &'static str,
    /// Decimal places.
    pub decimals: u8,
    /// What it is worth one of, if pegged.
    pub peg: Option<Peg>,
}

const REGISTRY: &str = include_str!("../../../data/tokens/tokens.csv");

type Registry = HashMap<(u64, [u8; 20]), KnownToken>;

/// One registry line: `chain_id,address,symbol,name,decimals,peg` (no field holds a comma).
fn parse_line(line: &'static str) -> Result<((u64, [u8; 20]), KnownToken), String> {
    let fields: Vec<&'static str> = line.split(',').collect();
    let [chain_id, address, symbol, name, decimals, peg] = fields[..] else {
        return Err(format!("{} fields, expected 6", fields.len()));
    };
    let chain_id: u64 = chain_id
        .parse()
        .map_err(|_| format!("chain id `{chain_id}`"))?;
    let Address::Evm(raw) =
        Address::parse(Chain::Evm(chain_id), address).map_err(|e| e.to_string())?
    else {
        return Err(format!("`{address}` is not an EVM address"));
    };
    let token = KnownToken {
        symbol,
        name,
        decimals: decimals
            .parse()
            .map_err(|_| format!("decimals `{decimals}`"))?,
        peg: Peg::parse(peg)?,
    };
    Ok(((chain_id, raw), token))
}

/// Every registry line after the header, parsed.
fn parse_registry() -> impl Iterator<Item = Result<((u64, [u8; 20]), KnownToken), String>> {
    REGISTRY
        .lines()
        .skip(1)
        .filter(|line| !line.is_empty())
        .map(parse_line)
}

fn registry() -> &'static Registry {
    static REGISTRY_MAP: OnceLock<Registry> = OnceLock::new();
    // The file is compiled in and a test parses every line, so nothing is dropped here.
    REGISTRY_MAP.get_or_init(|| parse_registry().filter_map(Result::ok).collect())
}

/// The registry's entry for a token contract on an EVM chain.
pub fn known_token(chain: Chain, contract: &Address) -> Option<&'static KnownToken> {
    match (chain, contract) {
        (Chain::Evm(id), Address::Evm(raw)) => registry().get(&(id, *raw)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evm(text: &str) -> Address {
        Address::parse(Chain::ETHEREUM, text).expect("address")
    }

    #[test]
    fn every_line_parses_and_contracts_are_unique_per_chain() {
        let parsed: Vec<_> = parse_registry()
            .enumerate()
            .map(|(i, line)| line.unwrap_or_else(|e| panic!("tokens.csv line {}: {e}", i + 2)))
            .collect();
        assert_eq!(parsed.len(), 69);
        assert_eq!(registry().len(), parsed.len(), "no contract listed twice");
    }

    #[test]
    fn lookups_are_by_contract_and_chain() {
        let usdc = evm("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48");
        assert_eq!(
            known_token(Chain::ETHEREUM, &usdc),
            Some(&KnownToken {
                symbol: "USDC",
                name: "USD Coin",
                decimals: 6,
                peg: Some(Peg::Usd),
            })
        );
        // The same address on another chain is another contract.
        assert_eq!(known_token(Chain::Evm(10), &usdc), None);
        let btc_b = evm("0x152b9d0FdC40C096757F570A51E494bd4b943E50");
        let avalanche = known_token(Chain::Evm(43114), &btc_b).expect("BTC.b");
        assert_eq!(
            (avalanche.symbol, avalanche.decimals, avalanche.peg),
            ("BTC.b", 8, Some(Peg::Btc))
        );
        let weth = evm("0x4200000000000000000000000000000000000006");
        for chain in [10, 8453] {
            let token = known_token(Chain::Evm(chain), &weth).expect("WETH");
            assert_eq!((token.symbol, token.peg), ("WETH", Some(Peg::Eth)));
        }
        let bsc_usdt = evm("0x55d398326f99059fF775485246999027B3197955");
        assert_eq!(
            known_token(Chain::Evm(56), &bsc_usdt).map(|t| t.decimals),
            Some(18)
        );
        let wsteth = evm("0x7f39C581F595B53c5cb19bD0b3f8dA6c935E2Ca0");
        assert_eq!(
            known_token(Chain::ETHEREUM, &wsteth).map(|t| t.peg),
            Some(None),
            "an exchange-rate token has no peg"
        );
    }

    #[test]
    fn the_required_majors_are_listed() {
        let ethereum = [
            "USDC", "USDT", "DAI", "WETH", "WBTC", "stETH", "wstETH", "cbETH", "rETH", "mETH",
            "TUSD", "USDP", "BUSD", "FRAX", "PYUSD", "USDe", "renBTC", "LINK", "UNI",
        ];
        let symbols_on = |chain: u64| -> Vec<&'static str> {
            parse_registry()
                .filter_map(Result::ok)
                .filter(|((id, _), _)| *id == chain)
                .map(|(_, token)| token.symbol)
                .collect()
        };
        let on_ethereum = symbols_on(1);
        for symbol in ethereum {
            assert!(on_ethereum.contains(&symbol), "{symbol} on Ethereum");
        }
        for (chain, wanted) in [
            (42161, ["USDC", "USDT", "WETH", "WBTC"]),
            (10, ["USDC", "USDT", "WETH", "WBTC"]),
            (137, ["USDC", "USDT", "WETH", "WBTC"]),
            (56, ["USDC", "USDT", "ETH", "BTCB"]),
            (8453, ["USDC", "USDT", "WETH", "WBTC"]),
            (43114, ["USDC", "USDt", "WETH.e", "WBTC.e"]),
        ] {
            let listed = symbols_on(chain);
            for symbol in wanted {
                assert!(listed.contains(&symbol), "{symbol} on chain {chain}");
            }
        }
    }

    /// The explorers' token label clouds (2023 scrapes) name each listed contract; its name
    /// must carry the registry's symbol (bridged `.e` variants may be labelled without it).
    #[test]
    fn registry_symbols_agree_with_explorer_labels() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/evm_labels/etherscan_labels");
        let files = [
            (1, "etherscan"),
            (10, "optimism"),
            (56, "bscscan"),
            (137, "polygonscan"),
            (42161, "arbiscan"),
            (43114, "avalanche"),
        ];
        let mut compared = 0;
        for (chain, file) in files {
            let text = std::fs::read_to_string(dir.join(format!("{file}_token_labels.json")))
                .expect("label file");
            let labels: HashMap<String, serde_json::Value> =
                serde_json::from_str(&text).expect("label json");
            let labels: HashMap<String, String> = labels
                .into_iter()
                .map(|(address, label)| {
                    let name = label["name"].as_str().unwrap_or_default().to_lowercase();
                    (address.to_lowercase(), name)
                })
                .collect();
            for ((id, raw), token) in parse_registry().filter_map(Result::ok) {
                if id != chain {
                    continue;
                }
                let Some(name) = labels.get(&format!("0x{}", hex::encode(raw))) else {
                    continue;
                };
                compared += 1;
                if (chain, token.symbol) == (56, "USDT") {
                    assert_eq!(name, "binance-peg bsc-usd (bsc-usd)");
                    continue;
                }
                let symbol = token.symbol.to_lowercase();
                let base = symbol.trim_end_matches(".e");
                assert!(
                    name.contains(&symbol)
                        || name.contains(base)
                        || name.contains(&token.name.to_lowercase()),
                    "chain {chain} {}: registry {} / label {name}",
                    hex::encode(raw),
                    token.symbol
                );
            }
        }
        assert!(compared >= 40, "{compared} rows compared");
    }
}
