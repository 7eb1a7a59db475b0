//! The merge-evidence log: one fixed-width record per merge a heuristic proposed (and per change
//! guess), in the order they were made — what `cluster show --evidence` explains a cluster with.
//!
//! Record layout (20 bytes, little-endian): tx id u64 · address a u32 · address b u32 ·
//! heuristic u8 · detail u8 · applied u8 · confidence in percent u8.

use serde::{Deserialize, Serialize};

/// Bytes per evidence record.
pub const RECORD_BYTES: usize = 20;

/// Which heuristic proposed a merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Heuristic {
    /// Bitcoin: the inputs of one (non-CoinJoin) transaction have one owner.
    MultiInput,
    /// Bitcoin: an output is the spender's change (detail: which change heuristics agreed).
    Change,
    /// Account chains: two EOAs paid the same exchange deposit address (Victor, FC 2020).
    DepositReuse,
    /// Account chains: a deposit address belongs to the service it sweeps to.
    DepositOfService,
    /// Account chains: an airdrop recipient forwarded the token to the farm's aggregator.
    Airdrop,
}

impl Heuristic {
    /// Every heuristic, in code order.
    pub const ALL: [Heuristic; 5] = [
        Heuristic::MultiInput,
        Heuristic::Change,
        Heuristic::DepositReuse,
        Heuristic::DepositOfService,
        Heuristic::Airdrop,
    ];

    fn code(self) -> u8 {
        match self {
            Heuristic::MultiInput => 1,
            Heuristic::Change => 2,
            Heuristic::DepositReuse => 3,
            Heuristic::DepositOfService => 4,
            Heuristic::Airdrop => 5,
        }
    }

    fn from_code(code: u8) -> Option<Heuristic> {
        Heuristic::ALL.into_iter().find(|h| h.code() == code)
    }

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Heuristic::MultiInput => "multi-input",
            Heuristic::Change => "change",
            Heuristic::DepositReuse => "deposit-reuse",
            Heuristic::DepositOfService => "deposit-of-service",
            Heuristic::Airdrop => "airdrop",
        }
    }
}

/// The confidence of a multi-input merge outside CoinJoins (PayJoins, undetectable by design,
/// are its known error).
pub const MULTI_INPUT_CONFIDENCE: f64 = 0.95;
/// The confidence of a deposit-reuse merge: weaker than co-spending (a deposit address may be
/// shared by a family, or paid by a payment processor on the user's behalf).
pub const DEPOSIT_REUSE_CONFIDENCE: f64 = 0.8;

/// The change heuristics, as bits of a change record's detail.
pub mod change_bits {
    /// The output's script type matches the inputs'.
    pub const ADDRESS_TYPE: u8 = 1;
    /// Every other output is a round amount.
    pub const ROUND_AMOUNT: u8 = 2;
    /// The output's address appears for the first time.
    pub const FRESH_ADDRESS: u8 = 4;
    /// The output is smaller than the smallest input.
    pub const OPTIMAL_CHANGE: u8 = 8;
    /// The transaction continues a peel chain and the output is its remainder.
    pub const PEEL_CHAIN: u8 = 16;
    /// The output's spender alone shares the transaction's wallet fingerprint.
    pub const FINGERPRINT: u8 = 32;
}

/// The names of the change heuristics set in `detail`.
pub fn change_names(detail: u8) -> Vec<&'static str> {
    [
        (change_bits::ADDRESS_TYPE, "address-type"),
        (change_bits::ROUND_AMOUNT, "round-amount"),
        (change_bits::FRESH_ADDRESS, "fresh-address"),
        (change_bits::OPTIMAL_CHANGE, "optimal-change"),
        (change_bits::PEEL_CHAIN, "peel-chain"),
        (change_bits::FINGERPRINT, "fingerprint"),
    ]
    .into_iter()
    .filter(|(bit, _)| detail & bit != 0)
    .map(|(_, name)| name)
    .collect()
}

/// One merge proposed by a heuristic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    /// The transaction that shows it.
    pub tx: u64,
    /// One address (the first input; the anchor sender of a deposit address).
    pub a: u32,
    /// The other (a co-spent input, the change output, another sender).
    pub b: u32,
    /// Which heuristic.
    pub heuristic: Heuristic,
    /// Heuristic-specific: for change, the bits of [`change_bits`] that agreed.
    pub detail: u8,
    /// Whether the merge entered the partition (change guesses below the threshold do not).
    pub applied: bool,
    /// Confidence in percent.
    pub confidence: u8,
}

impl Record {
    /// The bytes of the record.
    pub fn encode(&self) -> [u8; RECORD_BYTES] {
        let mut out = [0u8; RECORD_BYTES];
        out[0..8].copy_from_slice(&self.tx.to_le_bytes());
        out[8..12].copy_from_slice(&self.a.to_le_bytes());
        out[12..16].copy_from_slice(&self.b.to_le_bytes());
        out[16] = self.heuristic.code();
        out[17] = self.detail;
        out[18] = u8::from(self.applied);
        out[19] = self.confidence;
        out
    }

    /// A record from its bytes; `None` when they are not one.
    pub fn decode(bytes: &[u8]) -> Option<Record> {
        let bytes: &[u8; RECORD_BYTES] = bytes.try_into().ok()?;
        let u32_at =
            |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let mut tx = [0u8; 8];
        tx.copy_from_slice(&bytes[0..8]);
        Some(Record {
            tx: u64::from_le_bytes(tx),
            a: u32_at(8),
            b: u32_at(12),
            heuristic: Heuristic::from_code(bytes[16])?,
            detail: bytes[17],
            applied: match bytes[18] {
                0 => false,
                1 => true,
                _ => return None,
            },
            confidence: bytes[19].min(100),
        })
    }

    /// The confidence as a fraction.
    pub fn confidence(&self) -> f64 {
        f64::from(self.confidence) / 100.0
    }
}

/// A confidence as whole percent.
pub fn percent(confidence: f64) -> u8 {
    (confidence.clamp(0.0, 1.0) * 100.0).round() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_bad_bytes_are_refused() {
        let record = Record {
            tx: 1 << 40,
            a: 7,
            b: u32::MAX - 1,
            heuristic: Heuristic::Change,
            detail: change_bits::FRESH_ADDRESS | change_bits::OPTIMAL_CHANGE,
            applied: false,
            confidence: 89,
        };
        let bytes = record.encode();
        assert_eq!(Record::decode(&bytes), Some(record));
        assert_eq!(
            change_names(record.detail),
            ["fresh-address", "optimal-change"]
        );
        let mut bad = bytes;
        bad[16] = 9;
        assert_eq!(Record::decode(&bad), None);
        assert_eq!(Record::decode(&bytes[..19]), None);
    }
}
