//! Change-address heuristics (methods.md §2.2–2.3; BlockSci's `change_address.cpp`, Meiklejohn
//! et al. 2013, Kappos et al. 2022): which output of a Bitcoin transaction returns to the
//! spender. Each heuristic
//! names at most one output and abstains when ambiguous; when several fire they must agree, or
//! the transaction gets no guess. Their confidences combine as independent votes,
//! 1 − Π(1 − cᵢ).

use crate::evidence::change_bits;
use crate::settings::ChangeSettings;

/// Confidence of the address-type heuristic alone.
pub const ADDRESS_TYPE: f64 = 0.6;
/// Confidence of the round-amount heuristic alone.
pub const ROUND_AMOUNT: f64 = 0.55;
/// Confidence of the fresh-address heuristic alone.
pub const FRESH_ADDRESS: f64 = 0.7;
/// Confidence of the optimal-change heuristic alone.
pub const OPTIMAL_CHANGE: f64 = 0.65;
/// Confidence of the peel-chain heuristic alone: the transaction continues a peel chain.
pub const PEEL_CHAIN: f64 = 0.8;
/// A payment of a multiple of this (0.01 BTC, six trailing zeros in satoshi) is round.
const ROUND: u64 = 1_000_000;
/// In a peel step the remainder is at least this many times the peel (Kappos et al.'s k ≈ 10).
const PEEL_RATIO: u64 = 10;
/// A peel step spends one or two inputs.
const PEEL_MAX_INPUTS: usize = 2;

/// The index of the large leg (the remainder) when a transaction with `inputs` inputs and these
/// value-carrying outputs has the shape of a peel step: few inputs, exactly two outputs, one at
/// least ten times the other.
pub fn peel_leg(inputs: usize, values: &[u64]) -> Option<usize> {
    let &[a, b] = values else {
        return None;
    };
    if inputs == 0 || inputs > PEEL_MAX_INPUTS {
        return None;
    }
    if a >= b.saturating_mul(PEEL_RATIO) && b > 0 {
        Some(0)
    } else if b >= a.saturating_mul(PEEL_RATIO) && a > 0 {
        Some(1)
    } else {
        None
    }
}

/// An input as the heuristics see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Input {
    /// Address id.
    pub address: u32,
    /// Value in satoshi, when known.
    pub value: Option<u64>,
    /// Script type (`p2wpkh`, `p2pkh`, …).
    pub kind: &'static str,
}

/// An output as the heuristics see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    /// Address id.
    pub address: u32,
    /// Value in satoshi.
    pub value: u64,
    /// Script type.
    pub kind: &'static str,
    /// The address appears here for the first time on the chain.
    pub fresh: bool,
}

/// The change output of a transaction and why.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Guess {
    /// Index into the outputs given.
    pub output: usize,
    /// The heuristics that named it ([`change_bits`]).
    pub detail: u8,
    /// Their combined confidence.
    pub confidence: f64,
}

/// The only index for which `pick` holds, if exactly one does.
fn only(outputs: &[Output], pick: impl Fn(&Output) -> bool) -> Option<usize> {
    let mut found = None;
    for (i, o) in outputs.iter().enumerate() {
        if pick(o) {
            if found.is_some() {
                return None;
            }
            found = Some(i);
        }
    }
    found
}

/// The change output of a non-coinbase, non-CoinJoin transaction with its value-carrying
/// outputs, or `None` when the heuristics abstain or disagree. A transaction paying an input
/// address back (self-change) gets no guess: its change is already known. `continues_peel`
/// says that the transaction spends the large leg of a parent that was itself a peel step
/// ([`peel_leg`]); the engine finds it, looking only backwards, so that a guess never changes
/// when later blocks arrive.
pub fn guess(
    settings: &ChangeSettings,
    inputs: &[Input],
    outputs: &[Output],
    continues_peel: bool,
) -> Option<Guess> {
    if inputs.is_empty() || outputs.len() < 2 {
        return None;
    }
    if outputs
        .iter()
        .any(|o| inputs.iter().any(|i| i.address == o.address))
    {
        return None;
    }
    let mut votes: Vec<(usize, u8, f64)> = Vec::new();
    if settings.address_type
        && inputs.iter().all(|i| i.kind == inputs[0].kind)
        && let Some(i) = only(outputs, |o| o.kind == inputs[0].kind)
    {
        votes.push((i, change_bits::ADDRESS_TYPE, ADDRESS_TYPE));
    }
    if settings.round_amount
        && let Some(i) = only(outputs, |o| !o.value.is_multiple_of(ROUND))
    {
        votes.push((i, change_bits::ROUND_AMOUNT, ROUND_AMOUNT));
    }
    if settings.fresh_address
        && let Some(i) = only(outputs, |o| o.fresh)
    {
        votes.push((i, change_bits::FRESH_ADDRESS, FRESH_ADDRESS));
    }
    if settings.optimal_change
        && let Some(smallest) = inputs
            .iter()
            .map(|i| i.value)
            .collect::<Option<Vec<u64>>>()
            .and_then(|values| values.into_iter().min())
        && let Some(i) = only(outputs, |o| o.value < smallest)
    {
        votes.push((i, change_bits::OPTIMAL_CHANGE, OPTIMAL_CHANGE));
    }
    if settings.peel_chain
        && continues_peel
        && let Some(i) = peel_leg(
            inputs.len(),
            &outputs.iter().map(|o| o.value).collect::<Vec<u64>>(),
        )
        && outputs[i].fresh
    {
        votes.push((i, change_bits::PEEL_CHAIN, PEEL_CHAIN));
    }
    let (output, _, _) = *votes.first()?;
    if votes.iter().any(|v| v.0 != output) {
        return None;
    }
    let doubt: f64 = votes.iter().map(|v| 1.0 - v.2).product();
    Some(Guess {
        output,
        detail: votes.iter().fold(0, |bits, v| bits | v.1),
        confidence: ((1.0 - doubt) * 100.0).round() / 100.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(address: u32, value: u64, kind: &'static str) -> Input {
        Input {
            address,
            value: Some(value),
            kind,
        }
    }

    fn output(address: u32, value: u64, kind: &'static str, fresh: bool) -> Output {
        Output {
            address,
            value,
            kind,
            fresh,
        }
    }

    #[test]
    fn each_heuristic_alone() {
        let only_one = |bit: u8| ChangeSettings {
            address_type: bit == change_bits::ADDRESS_TYPE,
            round_amount: bit == change_bits::ROUND_AMOUNT,
            fresh_address: bit == change_bits::FRESH_ADDRESS,
            optimal_change: bit == change_bits::OPTIMAL_CHANGE,
            peel_chain: bit == change_bits::PEEL_CHAIN,
            apply_at: None,
        };
        // Address type: the one p2wpkh output among a p2pkh payment.
        let ins = [input(1, 5_000_000, "p2wpkh")];
        let outs = [
            output(2, 3_000_000, "p2pkh", false),
            output(3, 1_990_000, "p2wpkh", false),
        ];
        let g = guess(&only_one(change_bits::ADDRESS_TYPE), &ins, &outs, false).unwrap();
        assert_eq!((g.output, g.detail, g.confidence), (1, 1, 0.6));
        // Round amount: 0.03 BTC is the payment, so 0.0199 BTC is change.
        let g = guess(&only_one(change_bits::ROUND_AMOUNT), &ins, &outs, false).unwrap();
        assert_eq!((g.output, g.confidence), (1, 0.55));
        // Fresh address: the only output address never seen before.
        let outs_fresh = [
            output(2, 3_000_000, "p2pkh", false),
            output(3, 1_990_000, "p2pkh", true),
        ];
        let g = guess(
            &only_one(change_bits::FRESH_ADDRESS),
            &ins,
            &outs_fresh,
            false,
        )
        .unwrap();
        assert_eq!((g.output, g.confidence), (1, 0.7));
        // Optimal change: only 0.4 BTC is below the smallest input (0.5 BTC).
        let ins2 = [input(1, 50_000_000, "p2pkh"), input(4, 80_000_000, "p2pkh")];
        let outs2 = [
            output(2, 89_990_000, "p2pkh", false),
            output(3, 40_000_000, "p2pkh", false),
        ];
        let g = guess(&only_one(change_bits::OPTIMAL_CHANGE), &ins2, &outs2, false).unwrap();
        assert_eq!((g.output, g.confidence), (1, 0.65));
        // Switched off, nothing fires.
        assert_eq!(guess(&ChangeSettings::off(), &ins, &outs, false), None);
    }

    #[test]
    fn agreeing_heuristics_combine_and_disagreeing_ones_abstain() {
        let ins = [input(1, 2_500_000, "p2wpkh"), input(4, 2_600_000, "p2wpkh")];
        let outs = [
            output(2, 3_000_000, "p2pkh", false),
            output(3, 1_990_000, "p2wpkh", true),
        ];
        let g = guess(&ChangeSettings::default(), &ins, &outs, false).unwrap();
        // type 0.6, round 0.55, fresh 0.7, optimal 0.65 (only 0.0199 < 0.025 BTC):
        // 1 − 0.4·0.45·0.3·0.35 = 0.9811.
        assert_eq!((g.output, g.detail, g.confidence), (1, 15, 0.98));
        // Fresh points at the payment while type points at the other: no guess.
        let outs = [
            output(2, 3_000_000, "p2pkh", true),
            output(3, 1_990_000, "p2wpkh", false),
        ];
        assert_eq!(guess(&ChangeSettings::default(), &ins, &outs, false), None);
        // Self-change: an input address paid back.
        let outs = [
            output(1, 3_000_000, "p2wpkh", false),
            output(3, 1_990_000, "p2wpkh", true),
        ];
        assert_eq!(guess(&ChangeSettings::default(), &ins, &outs, false), None);
    }

    #[test]
    fn a_peel_step_after_a_peel_step_keeps_its_large_fresh_leg() {
        let peel = ChangeSettings {
            peel_chain: true,
            ..ChangeSettings::off()
        };
        let ins = [input(1, 500_000_000, "p2wpkh")];
        // 4.9 BTC remainder to a fresh address, 0.1 BTC peeled off to a known one.
        let outs = [
            output(2, 10_000_000, "p2wpkh", false),
            output(3, 489_990_000, "p2wpkh", true),
        ];
        let g = guess(&peel, &ins, &outs, true).unwrap();
        assert_eq!((g.output, g.detail, g.confidence), (1, 16, 0.8));
        // Not after a peel step, or a remainder paid to a known address: no vote.
        assert_eq!(guess(&peel, &ins, &outs, false), None);
        let known = [
            outs[0],
            Output {
                fresh: false,
                ..outs[1]
            },
        ];
        assert_eq!(guess(&peel, &ins, &known, true), None);
        // Outputs of 1 : 5 are not a peel.
        let even = [
            output(2, 80_000_000, "p2wpkh", false),
            output(3, 400_000_000, "p2wpkh", true),
        ];
        assert_eq!(guess(&peel, &ins, &even, true), None);
        // Three inputs are not a peel step; neither are three outputs.
        assert_eq!(peel_leg(3, &[10, 1_000]), None);
        assert_eq!(peel_leg(1, &[10, 1_000, 5]), None);
        assert_eq!(peel_leg(2, &[1_000, 100]), Some(0));
        assert_eq!(peel_leg(1, &[0, 100]), None);
    }
}
