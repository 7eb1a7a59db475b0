//! The bridge between links and the label store: what the investigator's labels say about
//! services (derived labels excluded, so a build never feeds on its own output), and the derived
//! attributions turned into labels with provenance.

use std::collections::BTreeMap;

use chaintrail_core::{Address, Chain};
use chaintrail_labels::{Category, Label, LabelStore, Source};

use crate::Services;
use crate::model::Attribution;

/// [`Services`] over a label store: the labels with a role that an investigator imported
/// (every source but [`Source::Derived`]), current (not expired).
pub struct LabelServices<'a> {
    labels: &'a LabelStore,
}

impl<'a> LabelServices<'a> {
    /// The services of `labels`.
    pub fn new(labels: &'a LabelStore) -> LabelServices<'a> {
        LabelServices { labels }
    }
}

/// Does a label speak about `chain`? Written for that chain, or for none or a sibling chain when
/// its address parses for `chain`: an EVM key is the same account on every EVM chain, and a
/// Bitcoin address names its own network (a TagPack's `currency: BTC` on a regtest address).
fn applies(label: &Label, chain: Chain) -> bool {
    match (label.chain, chain) {
        (Some(c), _) if c == chain => true,
        (None | Some(Chain::Evm(_)), Chain::Evm(_))
        | (None | Some(Chain::Bitcoin(_)), Chain::Bitcoin(_)) => {
            Address::parse(chain, &label.address).is_ok()
        }
        _ => false,
    }
}

fn usable(label: &Label) -> Option<Category> {
    (label.source != Source::Derived && label.valid_to.is_none())
        .then_some(label.role)
        .flatten()
}

impl Services for LabelServices<'_> {
    fn service(&self, chain: Chain, address: &Address) -> Option<(Category, String)> {
        let text = address.to_string();
        self.labels
            .lookup(&text)
            .into_iter()
            .filter(|l| applies(l, chain))
            .find_map(|l| usable(l).map(|role| (role, l.name.clone())))
    }

    fn addresses(&self, chain: Chain) -> Vec<(Address, Category, String)> {
        let mut seen = BTreeMap::new();
        for label in self.labels.labels() {
            let Some(role) = usable(label) else { continue };
            if !applies(label, chain) {
                continue;
            }
            let Ok(address) = Address::parse(chain, &label.address) else {
                continue;
            };
            // The strongest label of the address decides its service.
            if let Some((service_role, name)) = self.service(chain, &address) {
                seen.entry(address).or_insert((service_role, name));
            } else {
                seen.entry(address).or_insert((role, label.name.clone()));
            }
        }
        seen.into_iter()
            .map(|(address, (role, name))| (address, role, name))
            .collect()
    }
}

/// The dataset derived labels of one detector are stored under.
pub fn dataset(detector: &str) -> String {
    format!("derived:{detector}")
}

/// Derived attributions as labels, grouped by dataset (one per detector), so that re-running a
/// build replaces exactly what the previous build derived.
pub fn derived_labels(attributions: &[Attribution]) -> BTreeMap<String, Vec<Label>> {
    let mut out: BTreeMap<String, Vec<Label>> = BTreeMap::new();
    for a in attributions {
        let confidence = (a.confidence * 100.0).round().clamp(0.0, 100.0) as u8;
        let mut label = Label::derived(
            &dataset(&a.detector),
            a.chain,
            &a.address,
            &a.name,
            a.role,
            confidence,
            &a.evidence,
        );
        label
            .details
            .insert("detector".to_string(), a.detector.clone());
        out.entry(dataset(&a.detector)).or_default().push(label);
    }
    out
}

/// Replace every derived dataset in `labels` with the attributions of this build (a detector
/// that found nothing this time leaves no stale labels behind).
pub fn apply_derived(labels: &mut LabelStore, attributions: &[Attribution]) {
    let mut fresh = derived_labels(attributions);
    let stale: Vec<String> = labels
        .labels()
        .iter()
        .filter(|l| l.source == Source::Derived && !fresh.contains_key(&l.dataset))
        .map(|l| l.dataset.clone())
        .collect();
    for dataset in stale {
        fresh.entry(dataset).or_default();
    }
    for (dataset, derived) in fresh {
        labels.replace_labels(&dataset, derived);
    }
}
