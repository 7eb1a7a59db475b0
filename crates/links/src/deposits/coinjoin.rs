//! CoinJoin transactions by their structural signatures (methods.md §2.5). Inputs of a CoinJoin
//! belong to many people, so the multi-input heuristic must never merge across one.
//!
//! - Whirlpool: n_in = n_out ≥ 5, all outputs equal to a pool denomination;
//! - Wasabi 1.x: ≥ 5 inputs and outputs, ≥ 3 equal outputs of about 0.1 BTC;
//! - Wasabi 2.0 (WabiSabi): ≥ 10 inputs from ≥ 5 addresses and ≥ 10 outputs, at least half of
//!   them in the coordinator's standard denominations (powers of 2 and 3, 2·3ⁿ, 1/2/5·10ⁿ, from
//!   5,000 sat), with ≥ 2 denominations repeated and one of them not a decimal round amount (an
//!   exchange batch paying round amounts is not a WabiSabi round);
//! - JoinMarket: exactly one group of k ≥ 3 equal outputs (not dust) to k distinct addresses,
//!   paid by ≥ k distinct input addresses, and n_out = 2k or 2k − 1 (each participant one change
//!   at most, the taker often none);
//! - generic equal-output mixes: one group of k ≥ 3 equal outputs (not dust) to k distinct
//!   addresses, paid by at least k distinct input addresses, with at most one change output per
//!   participant (plus a coordinator fee).
//!
//! PayJoins are undetectable by design and are not classified (their inputs do merge).

use std::collections::HashMap;

/// Whirlpool pool denominations, in satoshi.
const WHIRLPOOL: &[u64] = &[
    100_000, 1_000_000, 2_500_000, 5_000_000, 25_000_000, 50_000_000,
];
/// Outputs this small are dust, never a mixing denomination.
const DUST: u64 = 2_730;
/// WabiSabi's smallest output.
const WABISABI_MIN: u64 = 5_000;

/// The kind of CoinJoin a transaction is, if it is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CoinJoin {
    /// Samourai Whirlpool mix.
    Whirlpool,
    /// Wasabi 1.x (ZeroLink) round.
    Wasabi1,
    /// Wasabi 2.0 (WabiSabi) round.
    Wasabi2,
    /// JoinMarket maker/taker join.
    JoinMarket,
    /// Another equal-output mix.
    EqualOutput,
}

impl CoinJoin {
    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            CoinJoin::Whirlpool => "whirlpool",
            CoinJoin::Wasabi1 => "wasabi-1",
            CoinJoin::Wasabi2 => "wasabi-2",
            CoinJoin::JoinMarket => "joinmarket",
            CoinJoin::EqualOutput => "equal-output",
        }
    }
}

/// Is `value` a decimal round amount (1, 2 or 5 · 10ⁿ sat)?
fn decimal_denomination(value: u64) -> bool {
    let mut v = value;
    while v >= 10 && v.is_multiple_of(10) {
        v /= 10;
    }
    matches!(v, 1 | 2 | 5)
}

/// Is `value` a power of `base`, or twice one when `doubled`?
fn power_of(value: u64, base: u64, doubled: bool) -> bool {
    let mut v = value;
    if doubled {
        if !v.is_multiple_of(2) {
            return false;
        }
        v /= 2;
    }
    while v > 1 && v.is_multiple_of(base) {
        v /= base;
    }
    v == 1
}

/// Is `value` one of WabiSabi's standard denominations?
fn wabisabi_denomination(value: u64) -> bool {
    value >= WABISABI_MIN
        && (power_of(value, 2, false)
            || power_of(value, 3, false)
            || power_of(value, 3, true)
            || decimal_denomination(value))
}

fn is_wasabi2(n_in: usize, distinct_inputs: usize, counts: &HashMap<u64, Vec<u32>>) -> bool {
    let n_out: usize = counts.values().map(Vec::len).sum();
    if n_in < 10 || n_out < 10 || distinct_inputs < 5 {
        return false;
    }
    let standard: usize = counts
        .iter()
        .filter(|(v, _)| wabisabi_denomination(**v))
        .map(|(_, a)| a.len())
        .sum();
    let repeated: Vec<u64> = counts
        .iter()
        .filter(|(v, a)| a.len() >= 2 && wabisabi_denomination(**v))
        .map(|(v, _)| *v)
        .collect();
    2 * standard >= n_out
        && repeated.len() >= 2
        && repeated.iter().any(|&v| !decimal_denomination(v))
}

/// Classify a transaction from its input addresses (one entry per input) and its outputs
/// (address, value), OP_RETURN outputs excluded.
pub fn classify(inputs: &[u32], outputs: &[(u32, u64)]) -> Option<CoinJoin> {
    let (n_in, n_out) = (inputs.len(), outputs.len());
    if n_in < 2 || n_out < 3 {
        return None;
    }
    let mut distinct_inputs = inputs.to_vec();
    distinct_inputs.sort_unstable();
    distinct_inputs.dedup();
    let mut counts: HashMap<u64, Vec<u32>> = HashMap::new();
    for &(address, value) in outputs {
        counts.entry(value).or_default().push(address);
    }
    if is_wasabi2(n_in, distinct_inputs.len(), &counts) {
        return Some(CoinJoin::Wasabi2);
    }
    let (&value, addresses) = counts
        .iter()
        .max_by_key(|(value, addresses)| (addresses.len(), **value))?;
    let equal = addresses.len();
    if n_in == n_out && n_in >= 5 && equal == n_out && WHIRLPOOL.contains(&value) {
        return Some(CoinJoin::Whirlpool);
    }
    if equal < 3 || value <= DUST {
        return None;
    }
    let mut distinct_outputs = addresses.clone();
    distinct_outputs.sort_unstable();
    distinct_outputs.dedup();
    if distinct_outputs.len() < equal || distinct_inputs.len() < equal {
        return None;
    }
    if n_in >= 5 && n_out >= 5 && (8_000_000..=12_000_000).contains(&value) {
        return Some(CoinJoin::Wasabi1);
    }
    let groups = counts.values().filter(|a| a.len() >= 2).count();
    if groups == 1 && (n_out == 2 * equal || n_out + 1 == 2 * equal) {
        return Some(CoinJoin::JoinMarket);
    }
    // Each participant gets one equal output and at most one change (plus a coordinator fee).
    (n_out <= 2 * equal + 1).then_some(CoinJoin::EqualOutput)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        let five = [1, 2, 3, 4, 5];
        let whirl: Vec<(u32, u64)> = (10..15).map(|a| (a, 1_000_000)).collect();
        assert_eq!(classify(&five, &whirl), Some(CoinJoin::Whirlpool));
        let mut wasabi: Vec<(u32, u64)> = (10..16).map(|a| (a, 9_990_000)).collect();
        wasabi.extend((20..26).map(|a| (a, 123_456 + u64::from(a))));
        wasabi.push((30, 18_000));
        assert_eq!(
            classify(&[1, 2, 3, 4, 5, 6], &wasabi),
            Some(CoinJoin::Wasabi1)
        );
        // Three equal outputs and two changes: a JoinMarket join (n_out = 2k − 1).
        let join: Vec<(u32, u64)> = vec![
            (10, 500_000),
            (11, 500_000),
            (12, 500_000),
            (13, 7),
            (14, 8),
        ];
        assert_eq!(classify(&[1, 2, 3], &join), Some(CoinJoin::JoinMarket));
        // Three equal outputs, three changes and a coordinator fee: a generic equal-output mix.
        let mut generic = join.clone();
        generic.extend([(15, 9), (16, 31_000)]);
        assert_eq!(classify(&[1, 2, 3], &generic), Some(CoinJoin::EqualOutput));
    }

    #[test]
    fn wabisabi_rounds_have_several_standard_denominations() {
        let inputs: Vec<u32> = (1..=12).collect();
        // 2^17, 2·3^10 and 10^6 sat, each repeated, and three odd change amounts.
        let mut outputs: Vec<(u32, u64)> = Vec::new();
        for (i, value) in [
            131_072, 131_072, 131_072, 118_098, 118_098, 1_000_000, 1_000_000,
        ]
        .into_iter()
        .enumerate()
        {
            outputs.push((100 + i as u32, value));
        }
        outputs.extend([(200, 77_777), (201, 12_345), (202, 99_001)]);
        assert_eq!(classify(&inputs, &outputs), Some(CoinJoin::Wasabi2));
        // The same shape with round decimal amounts only is an exchange batch, not a round.
        let batch: Vec<(u32, u64)> = outputs
            .iter()
            .map(|&(a, v)| match v {
                131_072 => (a, 2_000_000),
                118_098 => (a, 5_000_000),
                other => (a, other),
            })
            .collect();
        assert_eq!(classify(&inputs, &batch), None);
        assert!(wabisabi_denomination(5_000) && wabisabi_denomination(59_049));
        assert!(!wabisabi_denomination(4_096) && !wabisabi_denomination(123_456));
    }

    #[test]
    fn ordinary_transactions_are_not_coinjoins() {
        // A payment with change.
        assert_eq!(classify(&[1, 1], &[(2, 50_000), (3, 10_000)]), None);
        // An exchange batch paying three customers the same amount from one wallet.
        let batch = [(10, 100_000), (11, 100_000), (12, 100_000), (13, 5_000_000)];
        assert_eq!(classify(&[1, 1, 1], &batch), None);
        // A consolidation.
        assert_eq!(classify(&[1, 2, 3, 4], &[(9, 1_000_000)]), None);
        // Dust fan-out.
        let dust: Vec<(u32, u64)> = (10..20).map(|a| (a, 546)).collect();
        assert_eq!(classify(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], &dust), None);
    }
}
