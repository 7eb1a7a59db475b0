//! The alert as delivered (docs/alerts.md is its schema) and its deterministic id.

use chaintrail_core::Chain;
use chaintrail_trace::{PathStep, Value};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Which rule raised an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A watched address, entity or cluster sent funds.
    WatchedSends,
    /// A tainted holder of a watched case sent funds.
    TaintedHolderSends,
    /// Tainted value of a watched case reached a service (exchange or its deposit address,
    /// bridge, mixer, other custodian).
    TaintedReachesService,
    /// A sanctioned address transacted with a watched address or a case's tainted holder.
    SanctionedCounterparty,
}

impl Rule {
    /// The name in the alert JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::WatchedSends => "watched_sends",
            Rule::TaintedHolderSends => "tainted_holder_sends",
            Rule::TaintedReachesService => "tainted_reaches_service",
            Rule::SanctionedCounterparty => "sanctioned_counterparty",
        }
    }
}

/// Whether an alert announces something or takes an earlier alert back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Raised from a committed block.
    Raised,
    /// The block the alert `retracts` was raised from was orphaned by a reorg.
    Retracted,
}

/// Which record of the transaction an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// A transfer of an account chain (position = its index in the transaction).
    Transfer,
    /// A UTXO input (position = its index in the transaction).
    Input,
    /// A UTXO output (position = its vout).
    Output,
}

/// The block an alert was raised from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertBlock {
    /// Its height.
    pub number: u64,
    /// Its hash, as the follower that applied it recorded it in the store's checkpoints;
    /// `null` for a block outside that window or stored by a range import (docs/alerts.md).
    pub hash: Option<String>,
    /// Its header timestamp (seconds since the epoch).
    pub timestamp: u64,
}

/// A party of an alert's movement, with what the labels say about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Party {
    /// The address.
    pub address: String,
    /// The entity's name, when attributed.
    pub entity: Option<String>,
    /// Its role (exchange, bridge, mixer, …), when it has one.
    pub category: Option<String>,
    /// Its flags in force (sanctioned, hack, …).
    pub flags: Vec<String>,
}

/// The watch entry an alert is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertWatch {
    /// The entry's id (`chaintrail watch list`).
    pub id: String,
    /// What it watches, in words.
    pub describes: String,
}

/// One alert event: raised from a block, or a retraction of one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Deterministic: the same event always has the same id ([`alert_id`]).
    pub id: String,
    /// Raised or retracted.
    pub kind: AlertKind,
    /// For a retraction, the id of the alert it takes back.
    pub retracts: Option<String>,
    /// The rule.
    pub rule: Rule,
    /// The watch entry.
    pub watch: AlertWatch,
    /// The chain.
    pub chain: Chain,
    /// The block.
    pub block: AlertBlock,
    /// The transaction hash.
    pub tx: String,
    /// Which record of the transaction.
    pub side: Side,
    /// Its index in the transaction.
    pub position: u32,
    /// The watched side: the watched or tainted holder (sender), or the watched party of a
    /// sanctioned counterparty.
    pub holder: Option<Party>,
    /// The other side: the recipient, the service, or the sanctioned party.
    pub counterparty: Option<Party>,
    /// The amount: what the watched party sent, the tainted part of a case's movement, or what
    /// moved to or from the sanctioned party. Exact base units, whole units, USD where priced.
    pub amount: Value,
    /// The path from the case's seed to this movement (empty for address, entity and cluster
    /// entries).
    pub path: Vec<PathStep>,
    /// Confidence 0..=1: the product of the converter confidences along the path and of the
    /// attribution's confidence where a derived label decided the rule.
    pub confidence: f64,
    /// 0 for the first time the event is raised; raised again after a retraction (the
    /// transaction confirmed again on the new branch), it counts up and the id changes.
    pub revision: u32,
}

/// The identity of an event before revisions: what the id hashes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EventKey {
    /// The chain.
    pub chain: Chain,
    /// The transaction hash.
    pub tx: String,
    /// Which record.
    pub side: Side,
    /// Its index.
    pub position: u32,
    /// The rule.
    pub rule: Rule,
    /// The watch entry's id.
    pub watch: String,
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Transfer => "transfer",
        Side::Input => "input",
        Side::Output => "output",
    }
}

fn digest(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        // Length-prefixed, so that no two part lists hash the same text.
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(&hasher.finalize()[..16])
}

/// The id of revision `revision` of the event `key`: the first 128 bits of SHA-256 over chain,
/// tx, side, position, rule and watch entry (and the revision when above 0), in hex.
pub fn alert_id(key: &EventKey, revision: u32) -> String {
    let chain = key.chain.name();
    let position = key.position.to_string();
    let revision_text = revision.to_string();
    let mut parts = vec![
        chain.as_str(),
        key.tx.as_str(),
        side_name(key.side),
        position.as_str(),
        key.rule.as_str(),
        key.watch.as_str(),
    ];
    if revision > 0 {
        parts.push(revision_text.as_str());
    }
    digest(&parts)
}

/// The id of the retraction of alert `id`.
pub fn retraction_id(id: &str) -> String {
    digest(&["retracted", id])
}

impl Alert {
    /// The event this alert is about.
    pub fn key(&self) -> EventKey {
        EventKey {
            chain: self.chain,
            tx: self.tx.clone(),
            side: self.side,
            position: self.position,
            rule: self.rule,
            watch: self.watch.id.clone(),
        }
    }

    /// The retraction of this (raised) alert.
    pub fn retraction(&self) -> Alert {
        Alert {
            id: retraction_id(&self.id),
            kind: AlertKind::Retracted,
            retracts: Some(self.id.clone()),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_depend_on_every_part_and_on_the_revision() {
        let key = EventKey {
            chain: Chain::ETHEREUM,
            tx: "0xab".to_string(),
            side: Side::Transfer,
            position: 1,
            rule: Rule::WatchedSends,
            watch: "w1".to_string(),
        };
        let id = alert_id(&key, 0);
        assert_eq!(id.len(), 32);
        assert_eq!(id, alert_id(&key.clone(), 0));
        let other_position = EventKey {
            position: 2,
            ..key.clone()
        };
        let other_rule = EventKey {
            rule: Rule::TaintedHolderSends,
            ..key.clone()
        };
        let other_watch = EventKey {
            watch: "w2".to_string(),
            ..key.clone()
        };
        let ids = [
            id.clone(),
            alert_id(&other_position, 0),
            alert_id(&other_rule, 0),
            alert_id(&other_watch, 0),
            alert_id(&key, 1),
            retraction_id(&id),
        ];
        let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
    }
}
