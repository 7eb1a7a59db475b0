//! The links a trace or a screening crosses, indexed both ways, with a fingerprint that the
//! exposure index records so that it goes stale when the links change.

use std::collections::HashMap;

use chaintrail_core::{Address, Chain, TxHash};

use crate::model::{Link, Pending};

/// A link as a backward walk reads it: the link and its parsed recipient.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The link.
    pub link: Link,
    /// Who the payout went to, parsed for the payout's chain.
    pub to_address: Option<Address>,
}

/// Links and pending inbounds, looked up forward by input transaction and backward by output
/// transaction.
#[derive(Debug, Clone, Default)]
pub struct LinkSet {
    links: Vec<Link>,
    pending: Vec<Pending>,
    forward: HashMap<(Chain, TxHash), Vec<usize>>,
    backward: HashMap<(Chain, TxHash), Vec<Incoming>>,
    pending_by_tx: HashMap<(Chain, TxHash), usize>,
    fingerprint: u32,
}

/// The text a path step shows for a link.
pub fn rule(link: &Link) -> String {
    let share = if link.share < 1.0 {
        format!(", {:.1}% of the inbound", link.share * 100.0)
    } else {
        String::new()
    };
    format!(
        "{} {} ({}, confidence {}{share})",
        link.kind, link.via, link.evidence, link.confidence
    )
}

fn fingerprint(links: &[Link], pending: &[Pending]) -> u32 {
    let mut lines: Vec<String> = links
        .iter()
        .map(|l| serde_json::to_string(l).unwrap_or_else(|_| format!("{l:?}")))
        .chain(
            pending
                .iter()
                .map(|p| serde_json::to_string(p).unwrap_or_else(|_| format!("{p:?}"))),
        )
        .collect();
    if lines.is_empty() {
        return 0;
    }
    lines.sort_unstable();
    let mut hasher = crc32fast::Hasher::new();
    for line in &lines {
        hasher.update(line.as_bytes());
        hasher.update(b"\n");
    }
    hasher.finalize()
}

impl LinkSet {
    /// Index `links` and `pending`. The fingerprint does not depend on their order.
    pub fn new(links: Vec<Link>, pending: Vec<Pending>) -> LinkSet {
        let mut forward: HashMap<(Chain, TxHash), Vec<usize>> = HashMap::new();
        let mut backward: HashMap<(Chain, TxHash), Vec<Incoming>> = HashMap::new();
        for (i, link) in links.iter().enumerate() {
            forward
                .entry((link.from_chain, link.from_tx))
                .or_default()
                .push(i);
            let to_address = link
                .to_address
                .as_deref()
                .and_then(|a| Address::parse(link.to_chain, a).ok());
            backward
                .entry((link.to_chain, link.to_tx))
                .or_default()
                .push(Incoming {
                    link: link.clone(),
                    to_address,
                });
        }
        let pending_by_tx = pending
            .iter()
            .enumerate()
            .map(|(i, p)| ((p.chain, p.tx), i))
            .collect();
        LinkSet {
            fingerprint: fingerprint(&links, &pending),
            links,
            pending,
            forward,
            backward,
            pending_by_tx,
        }
    }

    /// This set and `other` together (the store's derived links and links an investigator
    /// gives in a file).
    pub fn merged(self, other: LinkSet) -> LinkSet {
        let mut links = self.links;
        links.extend(other.links);
        let mut pending = self.pending;
        pending.extend(other.pending);
        LinkSet::new(links, pending)
    }

    /// Links out of the converter input transaction `tx` on `chain`.
    pub fn from_tx(&self, chain: Chain, tx: &TxHash) -> impl Iterator<Item = &Link> + '_ {
        self.forward
            .get(&(chain, *tx))
            .into_iter()
            .flatten()
            .map(|&i| &self.links[i])
    }

    /// Links into the converter output transaction `tx` on `chain`.
    pub fn into_tx(&self, chain: Chain, tx: &TxHash) -> &[Incoming] {
        self.backward
            .get(&(chain, *tx))
            .map_or(&[], |v| v.as_slice())
    }

    /// The pending inbound `tx` on `chain`, if it is one.
    pub fn pending(&self, chain: Chain, tx: &TxHash) -> Option<&Pending> {
        self.pending_by_tx
            .get(&(chain, *tx))
            .map(|&i| &self.pending[i])
    }

    /// Every link, in set order.
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    /// Every pending inbound.
    pub fn pending_inbounds(&self) -> &[Pending] {
        &self.pending
    }

    /// A digest of the links and pending inbounds (0 when there are none).
    pub fn fingerprint(&self) -> u32 {
        self.fingerprint
    }

    /// How many links.
    pub fn len(&self) -> usize {
        self.links.len()
    }

    /// Whether there are no links.
    pub fn is_empty(&self) -> bool {
        self.links.is_empty() && self.pending.is_empty()
    }
}
