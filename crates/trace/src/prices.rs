//! Daily USD prices, to show traced amounts in dollars at the day they moved.
//!
//! Bundled: BTC/USD and ETH/USD daily closes (data/prices, with their provenance). Assets whose
//! symbol names a US dollar (USDT, USDC, DAI, …USD…) are valued at 1. Anything else is unpriced:
//! reports leave its USD empty rather than guess.

use std::collections::{BTreeMap, HashMap};

const BTC_DAILY: &str = include_str!("../../../data/prices/btc_usd_daily.csv");
const ETH_DAILY: &str = include_str!("../../../data/prices/eth_usd_daily.csv");

#[derive(Debug, Clone, Default)]
pub struct Prices {
    /// Symbol → day (days since the epoch) → close in USD.
    daily: HashMap<String, BTreeMap<i64, f64>>,
}

fn day_of(date: &str) -> Option<i64> {
    let mut parts = date.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

impl Prices {
    /// The bundled BTC and ETH daily closes.
    pub fn bundled() -> Prices {
        let mut prices = Prices::default();
        prices.add_csv("BTC", BTC_DAILY);
        prices.add_csv("ETH", ETH_DAILY);
        prices.alias("WETH", "ETH");
        prices.alias("WBTC", "BTC");
        prices
    }

    /// Add `date,close_usd,…` rows for a symbol; rows that do not parse are skipped.
    pub fn add_csv(&mut self, symbol: &str, text: &str) {
        let series = self.daily.entry(symbol.to_string()).or_default();
        for line in text.lines().skip(1) {
            let mut fields = line.split(',');
            let (Some(date), Some(close)) = (fields.next(), fields.next()) else {
                continue;
            };
            if let (Some(day), Ok(close)) = (day_of(date), close.parse::<f64>()) {
                series.insert(day, close);
            }
        }
    }

    /// Price `alias` like `of` (wrapped coins, or a simulated token pegged to a coin).
    pub fn alias(&mut self, alias: &str, of: &str) {
        if let Some(series) = self.daily.get(of).cloned() {
            self.daily.insert(alias.to_string(), series);
        }
    }

    /// USD value of `units` whole units of `symbol` at `time` (seconds since the epoch): the
    /// close of that day, or of the nearest earlier day; `None` when unpriced.
    pub fn usd(&self, symbol: &str, units: f64, time: u64) -> Option<f64> {
        let upper = symbol.to_ascii_uppercase();
        if upper.contains("USD") || upper == "DAI" {
            return Some(units);
        }
        let series = self.daily.get(&upper)?;
        let day = (time / 86_400) as i64;
        let close = series
            .range(..=day)
            .next_back()
            .or_else(|| series.range(day..).next())
            .map(|(_, close)| *close)?;
        Some(units * close)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_prices_match_the_files() {
        let prices = Prices::bundled();
        // 2022-04-01 close 46,296.34 (PROVENANCE spot check).
        let t = (day_of("2022-04-01").unwrap() * 86_400 + 3_600) as u64;
        assert_eq!(prices.usd("BTC", 1.0, t), Some(46_296.34));
        assert_eq!(prices.usd("USDC", 12.5, t), Some(12.5));
        assert_eq!(prices.usd("SHIB", 1.0, t), None);
        assert!(prices.usd("ETH", 2.0, t).unwrap() > 1_000.0);
        assert_eq!(day_of("1970-01-01"), Some(0));
    }
}
