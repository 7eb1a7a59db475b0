//! Change-address heuristics (methods.md §2.2–2.3; BlockSci's `change_address.cpp`, Meiklejohn
//! et al. 2013, Kappos et al. 2022): which output of a Bitcoin transaction returns to the
//! spender. Each heuristic
//! names at most one output and abstains when ambiguous; when several fire they must agree, or
//! the transaction gets no guess. Their confidences combine as independent votes,
//! 1 − Π(1 − cᵢ).
//!
//! The wallet-fingerprint heuristic ([`fingerprint_vote`], [`guess_with_fingerprint`]) looks at
//! who spent the outputs: the change is spent by the same wallet software as made the
//! transaction, so its spender carries the same nVersion, nLockTime habit and RBF signalling.
//! It can only vote once every output is spent, so the engine asks it then, and it corroborates
//! the other heuristics' guess, breaks their tie, or guesses alone.

use chaintrail_core::{LOCK_TIME_THRESHOLD, TxFingerprint};

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
/// Confidence of the wallet-fingerprint heuristic alone: one output's spender shares the
/// transaction's fingerprint and every other output's spender does not.
pub const FINGERPRINT: f64 = 0.75;
/// An nLockTime at most this many blocks below the confirming block is anti-fee-sniping (Bitcoin
/// Core and Electrum set the tip height, sometimes up to 100 blocks less, and a transaction may
/// wait in the mempool for days).
pub const ANTI_FEE_SNIPING_WINDOW: u64 = 1_000;
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

/// How a transaction sets nLockTime, relative to the block that confirmed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockTime {
    /// Zero: most exchanges, batchers and older wallets.
    Zero,
    /// A height at most [`ANTI_FEE_SNIPING_WINDOW`] blocks below the confirming block:
    /// anti-fee-sniping (Bitcoin Core, Electrum).
    AntiFeeSniping,
    /// A Unix time, or a height far from the confirming block.
    Other,
}

/// A wallet fingerprint as the heuristic compares it: two transactions built by the same
/// software at different heights compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// nVersion.
    pub version: i32,
    /// How nLockTime was set.
    pub lock_time: LockTime,
    /// Signals replace-by-fee.
    pub rbf: bool,
}

impl Fingerprint {
    /// The fingerprint of a transaction confirmed at block `height`.
    pub fn at(fingerprint: &TxFingerprint, height: u64) -> Fingerprint {
        let lock_time = match fingerprint.lock_time {
            0 => LockTime::Zero,
            t if t < LOCK_TIME_THRESHOLD
                && u64::from(t) <= height
                && height - u64::from(t) <= ANTI_FEE_SNIPING_WINDOW =>
            {
                LockTime::AntiFeeSniping
            }
            _ => LockTime::Other,
        };
        Fingerprint {
            version: fingerprint.version,
            lock_time,
            rbf: fingerprint.rbf,
        }
    }
}

/// The output whose spender has the `creator`'s fingerprint, given the fingerprint of each
/// output's spender (in output order): when exactly one does and every other differs. Nothing
/// when two outputs match (the payee runs the same software, or one transaction spent both).
pub fn fingerprint_vote(creator: Fingerprint, spenders: &[Fingerprint]) -> Option<usize> {
    if spenders.len() < 2 {
        return None;
    }
    let mut found = None;
    for (i, spender) in spenders.iter().enumerate() {
        if *spender == creator {
            if found.is_some() {
                return None;
            }
            found = Some(i);
        }
    }
    found
}

/// One heuristic's vote: the output it names, its bit and its confidence.
#[derive(Debug, Clone, Copy)]
struct Vote {
    output: usize,
    bit: u8,
    confidence: f64,
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
    agreed(&votes(settings, inputs, outputs, continues_peel)?)
}

/// The guess once the fingerprint heuristic has named output `fingerprint` (its
/// [`fingerprint_vote`]), with the other heuristics as [`guess`] runs them: the fingerprint
/// corroborates their guess when it names the same output, breaks their tie when they split
/// between two outputs and it sides with one, and guesses alone when none of them fires. It
/// gives no guess when it contradicts a guess of theirs or when they split three ways.
pub fn guess_with_fingerprint(
    settings: &ChangeSettings,
    inputs: &[Input],
    outputs: &[Output],
    continues_peel: bool,
    fingerprint: usize,
) -> Option<Guess> {
    if !settings.fingerprint || fingerprint >= outputs.len() {
        return None;
    }
    let votes = votes(settings, inputs, outputs, continues_peel)?;
    let (mut with, against): (Vec<Vote>, Vec<Vote>) =
        votes.into_iter().partition(|v| v.output == fingerprint);
    let rivals = against.first().map(|v| v.output);
    if against.iter().any(|v| Some(v.output) != rivals) || (rivals.is_some() && with.is_empty()) {
        return None;
    }
    with.push(Vote {
        output: fingerprint,
        bit: change_bits::FINGERPRINT,
        confidence: FINGERPRINT,
    });
    agreed(&with)
}

/// The votes of the switched-on heuristics other than the fingerprint; `None` when the
/// transaction cannot have a guessed change (no inputs, one output, self-change).
fn votes(
    settings: &ChangeSettings,
    inputs: &[Input],
    outputs: &[Output],
    continues_peel: bool,
) -> Option<Vec<Vote>> {
    if inputs.is_empty() || outputs.len() < 2 {
        return None;
    }
    if outputs
        .iter()
        .any(|o| inputs.iter().any(|i| i.address == o.address))
    {
        return None;
    }
    let mut votes: Vec<Vote> = Vec::new();
    let mut vote = |output: usize, bit: u8, confidence: f64| {
        votes.push(Vote {
            output,
            bit,
            confidence,
        })
    };
    if settings.address_type
        && inputs.iter().all(|i| i.kind == inputs[0].kind)
        && let Some(i) = only(outputs, |o| o.kind == inputs[0].kind)
    {
        vote(i, change_bits::ADDRESS_TYPE, ADDRESS_TYPE);
    }
    if settings.round_amount
        && let Some(i) = only(outputs, |o| !o.value.is_multiple_of(ROUND))
    {
        vote(i, change_bits::ROUND_AMOUNT, ROUND_AMOUNT);
    }
    if settings.fresh_address
        && let Some(i) = only(outputs, |o| o.fresh)
    {
        vote(i, change_bits::FRESH_ADDRESS, FRESH_ADDRESS);
    }
    if settings.optimal_change
        && let Some(smallest) = inputs
            .iter()
            .map(|i| i.value)
            .collect::<Option<Vec<u64>>>()
            .and_then(|values| values.into_iter().min())
        && let Some(i) = only(outputs, |o| o.value < smallest)
    {
        vote(i, change_bits::OPTIMAL_CHANGE, OPTIMAL_CHANGE);
    }
    if settings.peel_chain
        && continues_peel
        && let Some(i) = peel_leg(
            inputs.len(),
            &outputs.iter().map(|o| o.value).collect::<Vec<u64>>(),
        )
        && outputs[i].fresh
    {
        vote(i, change_bits::PEEL_CHAIN, PEEL_CHAIN);
    }
    Some(votes)
}

/// The guess of `votes` when there is at least one and all name the same output.
fn agreed(votes: &[Vote]) -> Option<Guess> {
    let output = votes.first()?.output;
    if votes.iter().any(|v| v.output != output) {
        return None;
    }
    let doubt: f64 = votes.iter().map(|v| 1.0 - v.confidence).product();
    Some(Guess {
        output,
        detail: votes.iter().fold(0, |bits, v| bits | v.bit),
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
            fingerprint: bit == change_bits::FINGERPRINT,
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

    fn core(lock_time: u32) -> TxFingerprint {
        TxFingerprint {
            version: 2,
            lock_time,
            rbf: true,
        }
    }

    #[test]
    fn fingerprints_compare_by_software_not_by_height() {
        let at = |f: TxFingerprint, height: u64| Fingerprint::at(&f, height);
        // Anti-fee-sniping at 800,000 and at 800,010 are one habit.
        assert_eq!(at(core(799_999), 800_000), at(core(800_009), 800_010));
        assert_eq!(
            at(core(799_000), 800_000).lock_time,
            LockTime::AntiFeeSniping
        );
        assert_eq!(at(core(798_999), 800_000).lock_time, LockTime::Other);
        assert_eq!(at(core(800_001), 800_000).lock_time, LockTime::Other);
        assert_eq!(at(core(1_700_000_000), 800_000).lock_time, LockTime::Other);
        assert_eq!(at(core(0), 800_000).lock_time, LockTime::Zero);
        assert_ne!(
            at(core(0), 800_000),
            at(
                TxFingerprint {
                    rbf: false,
                    ..core(0)
                },
                800_000
            )
        );
    }

    #[test]
    fn the_one_output_spent_like_its_creator_is_change() {
        let wallet = Fingerprint::at(&core(99), 100);
        let exchange = Fingerprint::at(
            &TxFingerprint {
                version: 1,
                lock_time: 0,
                rbf: false,
            },
            100,
        );
        let mobile = Fingerprint::at(&core(0), 100);
        assert_eq!(fingerprint_vote(wallet, &[exchange, wallet]), Some(1));
        assert_eq!(
            fingerprint_vote(wallet, &[wallet, mobile, exchange]),
            Some(0)
        );
        // The payee runs the same software: no vote.
        assert_eq!(fingerprint_vote(wallet, &[wallet, wallet]), None);
        // Nobody spends like the creator, or one output only.
        assert_eq!(fingerprint_vote(wallet, &[exchange, mobile]), None);
        assert_eq!(fingerprint_vote(wallet, &[wallet]), None);
    }

    #[test]
    fn the_fingerprint_corroborates_breaks_ties_and_guesses_alone() {
        let settings = ChangeSettings::default();
        let ins = [input(1, 2_500_000, "p2wpkh")];
        // No other heuristic tells the outputs apart: both p2wpkh, fresh, not round and
        // below the input.
        let quiet = [
            output(2, 1_234_567, "p2wpkh", true),
            output(3, 1_230_000, "p2wpkh", true),
        ];
        assert_eq!(guess(&settings, &ins, &quiet, false), None);
        let g = guess_with_fingerprint(&settings, &ins, &quiet, false, 0).unwrap();
        assert_eq!((g.output, g.detail, g.confidence), (0, 32, 0.75));
        // Corroboration: the others name output 1 (type, round, fresh, optimal: 0.98); the
        // fingerprint too: 1 − 0.4·0.45·0.3·0.35·0.25 = 0.995, in percent 100.
        let ins2 = [input(1, 2_500_000, "p2wpkh"), input(4, 2_600_000, "p2wpkh")];
        let clear = [
            output(2, 3_000_000, "p2pkh", false),
            output(3, 1_990_000, "p2wpkh", true),
        ];
        let g = guess_with_fingerprint(&settings, &ins2, &clear, false, 1).unwrap();
        assert_eq!((g.output, g.detail, g.confidence), (1, 47, 1.0));
        // Contradiction: the fingerprint names the payment the others ruled out.
        assert_eq!(
            guess_with_fingerprint(&settings, &ins2, &clear, false, 0),
            None
        );
        // A tie: fresh names output 0, type names output 1; the fingerprint sides with type.
        let split = [
            output(2, 3_000_000, "p2pkh", true),
            output(3, 1_990_000, "p2wpkh", false),
        ];
        let only = ChangeSettings {
            address_type: true,
            fresh_address: true,
            fingerprint: true,
            ..ChangeSettings::off()
        };
        assert_eq!(guess(&only, &ins2, &split, false), None);
        let g = guess_with_fingerprint(&only, &ins2, &split, false, 1).unwrap();
        // type 0.6 and fingerprint 0.75: 1 − 0.4·0.25 = 0.9.
        assert_eq!((g.output, g.detail, g.confidence), (1, 33, 0.9));
        // Switched off, or self-change: nothing.
        let off = ChangeSettings {
            fingerprint: false,
            ..ChangeSettings::default()
        };
        assert_eq!(guess_with_fingerprint(&off, &ins, &quiet, false, 0), None);
        let self_change = [output(1, 1_234_567, "p2wpkh", false), quiet[1]];
        assert_eq!(
            guess_with_fingerprint(&settings, &ins, &self_change, false, 1),
            None
        );
    }
}
