//! CoinJoin transactions by their structural signatures (methods.md §2.5). Inputs of a CoinJoin
//! belong to many people, so the multi-input heuristic must never merge across one.
//!
//! - Whirlpool: n_in = n_out ≥ 5, all outputs equal to a pool denomination;
//! - Wasabi 1.x: ≥ 5 inputs and outputs, ≥ 3 equal outputs of about 0.1 BTC;
//! - JoinMarket and generic equal-output mixes: one group of k ≥ 3 equal outputs (not dust) to k
//!   distinct addresses, paid by at least k distinct input addresses, with at most one change
//!   output per participant.

use std::collections::HashMap;

/// Whirlpool pool denominations, in satoshi.
const WHIRLPOOL: &[u64] = &[
    100_000, 1_000_000, 2_500_000, 5_000_000, 25_000_000, 50_000_000,
];
/// Outputs this small are dust, never a mixing denomination.
const DUST: u64 = 2_730;

/// The kind of CoinJoin a transaction is, if it is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CoinJoin {
    Whirlpool,
    Wasabi1,
    EqualOutput,
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
        let join: Vec<(u32, u64)> = vec![
            (10, 500_000),
            (11, 500_000),
            (12, 500_000),
            (13, 7),
            (14, 8),
        ];
        assert_eq!(classify(&[1, 2, 3], &join), Some(CoinJoin::EqualOutput));
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
