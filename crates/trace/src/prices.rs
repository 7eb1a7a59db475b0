//! Daily USD prices, to show traced amounts in dollars at the day they moved.
//!
//! An asset is priced by what it is, never by what it calls itself: anyone can deploy a token
//! named USDT. The native coin is priced by its chain (ETH on chains whose coin is ether, BTC on
//! Bitcoin); a token by its peg — one registered with [`Prices::peg`] (simulated tokens), else the
//! bundled registry's ([`chaintrail_core::known_token`]). USD-pegged tokens are worth 1, ETH- and
//! BTC-pegged ones the bundled daily close (data/prices, with their provenance). Anything else is
//! unpriced: reports leave its USD empty rather than guess.
//!
//! Registered pegs can be kept with a store in [`PEGS_FILE`] (JSON lines `{chain, contract,
//! peg}`): `chaintrail demo` writes the simulator's tokens there, and the CLI, the screener and
//! the server load it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chaintrail_core::{Address, Asset, AssetKind, Chain, Date, Peg, known_token};
use serde::{Deserialize, Serialize};

/// The pegs registered for a store, next to its `links.jsonl`.
pub const PEGS_FILE: &str = "pegs.jsonl";

/// One line of [`PEGS_FILE`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PegLine {
    chain: Chain,
    contract: Address,
    peg: Peg,
}

const BTC_DAILY: &str = include_str!("../../../data/prices/btc_usd_daily.csv");
const ETH_DAILY: &str = include_str!("../../../data/prices/eth_usd_daily.csv");

/// USD prices of the pegged assets by day: bundled daily closes, and pegs per token.
#[derive(Debug, Clone, Default)]
pub struct Prices {
    /// Peg → day → close in USD.
    daily: HashMap<Peg, BTreeMap<Date, f64>>,
    /// Pegs registered for contracts the registry does not list.
    pegs: HashMap<(Chain, Address), Peg>,
}

/// `date,close_usd,…` rows; rows that do not parse are skipped (the bundled files are checked by
/// a test).
fn daily_closes(text: &str) -> BTreeMap<Date, f64> {
    let mut series = BTreeMap::new();
    for line in text.lines().skip(1) {
        let mut fields = line.split(',');
        let (Some(date), Some(close)) = (fields.next(), fields.next()) else {
            continue;
        };
        if let (Ok(day), Ok(close)) = (date.parse::<Date>(), close.parse::<f64>()) {
            series.insert(day, close);
        }
    }
    series
}

/// A [`PEGS_FILE`] that cannot be read or holds a line that is not a peg.
#[derive(Debug, thiserror::Error)]
pub enum PegsError {
    /// The file exists but cannot be read.
    #[error("cannot read pegs file {}: {source}", path.display())]
    Read {
        /// The pegs file.
        path: PathBuf,
        /// Why it cannot be read.
        source: std::io::Error,
    },
    /// A line is not `{"chain", "contract", "peg"}`.
    #[error(
        "{}:{line}: not a peg ({{\"chain\", \"contract\", \"peg\": usd|eth|btc}}): {source}",
        path.display()
    )]
    Line {
        /// The pegs file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong with it.
        source: serde_json::Error,
    },
}

impl Prices {
    /// The bundled BTC and ETH daily closes.
    pub fn bundled() -> Prices {
        let mut prices = Prices::default();
        prices.daily.insert(Peg::Btc, daily_closes(BTC_DAILY));
        prices.daily.insert(Peg::Eth, daily_closes(ETH_DAILY));
        prices
    }

    /// The bundled prices with the pegs kept in the store at `dir` ([`PEGS_FILE`], if any).
    pub fn for_store(dir: &Path) -> Result<Prices, PegsError> {
        let mut prices = Prices::bundled();
        prices.load_pegs(&dir.join(PEGS_FILE))?;
        Ok(prices)
    }

    /// Price the token at `contract` on `chain` as `peg` (a simulated stablecoin, a token the
    /// registry does not list). It takes precedence over the registry.
    pub fn peg(&mut self, chain: Chain, contract: Address, peg: Peg) {
        self.pegs.insert((chain, contract), peg);
    }

    /// The registered pegs, in a stable order.
    pub fn pegs(&self) -> Vec<(Chain, Address, Peg)> {
        let mut pegs: Vec<(Chain, Address, Peg)> = self
            .pegs
            .iter()
            .map(|((chain, contract), peg)| (*chain, contract.clone(), *peg))
            .collect();
        pegs.sort_by_key(|(chain, contract, _)| (*chain, contract.to_string()));
        pegs
    }

    /// Register the pegs of a [`PEGS_FILE`]; a missing file registers nothing.
    pub fn load_pegs(&mut self, path: &Path) -> Result<(), PegsError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => {
                return Err(PegsError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let entry: PegLine = serde_json::from_str(line).map_err(|source| PegsError::Line {
                path: path.to_path_buf(),
                line: i + 1,
                source,
            })?;
            self.peg(entry.chain, entry.contract, entry.peg);
        }
        Ok(())
    }

    /// Write the registered pegs as a [`PEGS_FILE`], atomically.
    pub fn save_pegs(&self, path: &Path) -> std::io::Result<()> {
        let mut text = String::new();
        for (chain, contract, peg) in self.pegs() {
            let line = PegLine {
                chain,
                contract,
                peg,
            };
            text.push_str(&serde_json::to_string(&line).map_err(std::io::Error::other)?);
            text.push('\n');
        }
        let tmp = path.with_extension("jsonl.tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, path)
    }

    /// What the asset is worth 1:1, if anything: the chain's coin for the native asset, the
    /// registered or registry peg for a token.
    pub fn peg_of(&self, asset: &Asset) -> Option<Peg> {
        match &asset.kind {
            AssetKind::Native => asset.chain.native_peg(),
            AssetKind::Token(contract) => self
                .pegs
                .get(&(asset.chain, contract.clone()))
                .copied()
                .or_else(|| known_token(asset.chain, contract).and_then(|t| t.peg)),
        }
    }

    /// USD value of `units` whole units of `asset` at `time` (seconds since the epoch): the
    /// close of that day, or of the nearest earlier day; `None` when unpriced.
    pub fn usd(&self, asset: &Asset, units: f64, time: u64) -> Option<f64> {
        let peg = self.peg_of(asset)?;
        if peg == Peg::Usd {
            return Some(units);
        }
        let series = self.daily.get(&peg)?;
        // A time past 9999 has no day: the latest close.
        let close = match Date::from_unix_seconds(time) {
            Some(day) => series
                .range(..=day)
                .next_back()
                .or_else(|| series.range(day..).next()),
            None => series.iter().next_back(),
        }
        .map(|(_, close)| *close)?;
        Some(units * close)
    }
}

#[cfg(test)]
mod tests {
    use chaintrail_core::BitcoinNetwork;

    use super::*;

    /// The first second of a day.
    fn unix(date: &str) -> u64 {
        let day: Date = date.parse().expect("a date");
        u64::try_from(day.start_unix_seconds()).expect("after 1970")
    }

    fn token(chain: Chain, contract: &str, symbol: &str, decimals: u8) -> Asset {
        let contract = Address::parse(chain, contract).expect("address");
        Asset::token(chain, contract, symbol, decimals)
    }

    #[test]
    fn bundled_prices_match_the_files() {
        let prices = Prices::bundled();
        // 2022-04-01 close 46,296.34 (PROVENANCE spot check).
        let t = unix("2022-04-01") + 3_600;
        assert_eq!(
            prices.usd(&Asset::native(Chain::BITCOIN), 1.0, t),
            Some(46_296.34)
        );
        let regtest = Asset::native(Chain::Bitcoin(BitcoinNetwork::Regtest));
        assert_eq!(prices.usd(&regtest, 2.0, t), Some(2.0 * 46_296.34));
        assert!(prices.usd(&Asset::native(Chain::ETHEREUM), 2.0, t).unwrap() > 1_000.0);
        assert_eq!(daily_closes(BTC_DAILY).len(), 5_152);
    }

    #[test]
    fn assets_are_priced_by_identity_not_by_symbol() {
        let prices = Prices::bundled();
        let t = unix("2022-04-01");
        let eth_close = prices.usd(&Asset::native(Chain::ETHEREUM), 1.0, t).unwrap();
        let usdc = token(
            Chain::ETHEREUM,
            "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
            "USDC",
            6,
        );
        assert_eq!(prices.usd(&usdc, 12.5, t), Some(12.5));
        let weth = token(
            Chain::ETHEREUM,
            "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
            "WETH",
            18,
        );
        assert_eq!(prices.usd(&weth, 1.0, t), Some(eth_close));
        // A scam token calling itself USDT, and a DAI at a contract nobody lists: unpriced.
        let fake_usdt = token(
            Chain::ETHEREUM,
            "0x1111111111111111111111111111111111111111",
            "USDT",
            6,
        );
        assert_eq!(prices.usd(&fake_usdt, 1_000_000.0, t), None);
        let fake_dai = token(
            Chain::ETHEREUM,
            "0x2222222222222222222222222222222222222222",
            "DAI",
            18,
        );
        assert_eq!(prices.usd(&fake_dai, 5.0, t), None);
        // The real USDC's address on another chain is another contract.
        let elsewhere = token(
            Chain::Evm(10),
            "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
            "USDC",
            6,
        );
        assert_eq!(prices.usd(&elsewhere, 1.0, t), None);
        // Native coins that are not ether or bitcoin, and unknown chains: unpriced.
        assert_eq!(prices.usd(&Asset::native(Chain::Evm(56)), 1.0, t), None);
        assert_eq!(
            prices.usd(&Asset::native(Chain::Evm(424_242)), 1.0, t),
            None
        );
        // An exchange-rate token (wstETH) has no peg.
        let wsteth = token(
            Chain::ETHEREUM,
            "0x7f39C581F595B53c5cb19bD0b3f8dA6c935E2Ca0",
            "wstETH",
            18,
        );
        assert_eq!(prices.usd(&wsteth, 1.0, t), None);
    }

    #[test]
    fn a_registered_peg_prices_an_unlisted_contract() {
        let mut prices = Prices::bundled();
        let anvil = Chain::Evm(31337);
        let stk = token(
            anvil,
            "0x3333333333333333333333333333333333333333",
            "STK",
            18,
        );
        let t = unix("2022-04-01");
        assert_eq!(prices.usd(&stk, 1.0, t), None);
        let contract = stk.contract().cloned().expect("token");
        prices.peg(anvil, contract, Peg::Eth);
        let eth = prices
            .usd(&Asset::native(anvil), 3.0, t)
            .expect("anvil's coin is ether");
        assert_eq!(prices.usd(&stk, 3.0, t), Some(eth));
        assert_eq!(prices.peg_of(&stk), Some(Peg::Eth));

        // Kept with a store and read back.
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(PEGS_FILE);
        prices.save_pegs(&path).expect("save");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(
            text,
            "{\"chain\":\"anvil\",\"contract\":\"0x3333333333333333333333333333333333333333\",\"peg\":\"eth\"}\n"
        );
        let mut loaded = Prices::bundled();
        loaded.load_pegs(&path).expect("load");
        assert_eq!(loaded.usd(&stk, 3.0, t), Some(eth));
        loaded
            .load_pegs(&dir.path().join("absent.jsonl"))
            .expect("a missing file registers nothing");
        std::fs::write(
            &path,
            "{\"chain\":\"anvil\",\"contract\":\"0x33\",\"peg\":\"eth\"}\n",
        )
        .expect("write");
        let err = loaded
            .load_pegs(&path)
            .expect_err("bad contract")
            .to_string();
        assert!(err.contains("pegs.jsonl:1"), "{err}");
    }
}
