//! What the decoders produce: converter links, pending inbounds and derived attributions, each
//! with the evidence that makes it checkable.

use chaintrail_core::{Chain, TxHash};
use chaintrail_labels::Category;
use serde::{Deserialize, Serialize};

/// Value that entered a converter (bridge, mixer) in `from_tx` on `from_chain` leaves it in
/// `to_tx` on `to_chain`, paying `to_address` (or every value-carrying output when `None`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// What kind of converter: `bridge`, `bridge refund`, `mixer`, …
    pub kind: String,
    /// The converter's name: `THORChain`, `Avalanche Bridge (BTC.b)`, or its label.
    pub via: String,
    /// Which decoder found the link (`thorchain`, `avalanche-btcb`, …); `user` for links given
    /// in a file by the investigator.
    #[serde(default = "user_decoder")]
    pub decoder: String,
    /// The chain of the inbound transaction.
    pub from_chain: Chain,
    /// The inbound transaction (value into the converter).
    pub from_tx: TxHash,
    /// The chain of the payout.
    pub to_chain: Chain,
    /// The payout transaction (value out of the converter).
    pub to_tx: TxHash,
    /// Who the payout went to, when the decoder knows.
    pub to_address: Option<String>,
    /// 1 for exact keys (a memo or event naming the inbound transaction), lower for heuristics.
    #[serde(deserialize_with = "fraction")]
    pub confidence: f64,
    /// What on chain says so: `memo OUT:<hash> …`, `Mint originTxId …`.
    pub evidence: String,
    /// The fraction of the inbound's value this payout carries: 1, unless the decoder knows
    /// only that a batch of inbounds funds a batch of payouts and splits each inbound among
    /// them (bulk mixer deposits).
    #[serde(
        default = "everything",
        skip_serializing_if = "is_everything",
        deserialize_with = "fraction"
    )]
    pub share: f64,
}

fn is_everything(share: &f64) -> bool {
    *share == 1.0
}

/// A confidence or share read from a links file: a number from 0 to 1, or the line is refused.
fn fraction<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    let value = f64::deserialize(deserializer)?;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(serde::de::Error::custom(format!(
            "{value} is not a fraction from 0 to 1 (confidence and share are)"
        )))
    }
}

fn everything() -> f64 {
    1.0
}

fn user_decoder() -> String {
    "user".to_string()
}

/// Value that entered a bridge whose payout is not (yet) in the store: where it is and since
/// when, never lost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    /// What is pending (`bridge`, `swap`, …).
    pub kind: String,
    /// The converter's name.
    pub via: String,
    /// Which decoder found it.
    pub decoder: String,
    /// The inbound transaction.
    pub chain: Chain,
    /// The inbound transaction.
    pub tx: TxHash,
    /// Its block time (seconds since the epoch).
    pub time: u64,
    /// The share of the inbound still outstanding (1 when no payout is in the store; less when
    /// payouts settled part of it).
    #[serde(default = "everything")]
    pub remaining: f64,
    /// What the inbound asked for, and why no payout matched: e.g. `THORChain inbound
    /// =:BTC.BTC:bc1…; no OUT:<hash> in the store`.
    pub evidence: String,
}

/// An attribution derived from chain data: an address plays a role (a bridge vault, an
/// exchange's deposit address), with a confidence and the transactions that show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    /// The chain.
    pub chain: Chain,
    /// The address, canonical.
    pub address: String,
    /// The role it plays.
    pub role: Category,
    /// The entity it belongs to: the exchange's or the bridge's name.
    pub name: String,
    /// Which detector found it (`thorchain`, `avalanche-btcb`, `deposit-evm`, `deposit-utxo`).
    pub detector: String,
    /// 0..=1.
    pub confidence: f64,
    /// The transactions that show it, in words.
    pub evidence: String,
}

/// Everything one decoder found, before the link set is assembled.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    /// Links found.
    pub links: Vec<Link>,
    /// Inbounds without a payout in the store.
    pub pending: Vec<Pending>,
    /// Addresses attributed.
    pub attributions: Vec<Attribution>,
    /// Records decoded (events, memos) and records that could not be joined, for `links stats`.
    pub decoded: u64,
    /// Records that could not be joined.
    pub unmatched: u64,
}

impl Findings {
    /// Add `other`'s findings to these.
    pub fn extend(&mut self, other: Findings) {
        self.links.extend(other.links);
        self.pending.extend(other.pending);
        self.attributions.extend(other.attributions);
        self.decoded += other.decoded;
        self.unmatched += other.unmatched;
    }
}

#[cfg(test)]
mod tests {
    use super::Link;

    const LINE: &str = r#"{"kind":"mixer","via":"Pool","from_chain":"anvil","from_tx":"0x0000000000000000000000000000000000000000000000000000000000000001","to_chain":"anvil","to_tx":"0x0000000000000000000000000000000000000000000000000000000000000002","to_address":null,"confidence":0.6,"evidence":"test"SHARE}"#;

    #[test]
    fn shares_and_confidences_outside_zero_to_one_are_refused() {
        let whole: Link = serde_json::from_str(&LINE.replace("SHARE", "")).unwrap();
        assert_eq!((whole.share, whole.confidence), (1.0, 0.6));
        let part: Link = serde_json::from_str(&LINE.replace("SHARE", r#","share":0.25"#)).unwrap();
        assert_eq!(part.share, 0.25);
        let error = serde_json::from_str::<Link>(&LINE.replace("SHARE", r#","share":2.5"#))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("2.5 is not a fraction from 0 to 1"),
            "{error}"
        );
        let error = serde_json::from_str::<Link>(
            &LINE
                .replace("SHARE", "")
                .replace("\"confidence\":0.6", "\"confidence\":-1"),
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("-1 is not a fraction"), "{error}");
    }
}
