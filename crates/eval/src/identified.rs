//! Entity-level recall of attribution: of the addresses the wallet truth gives to a service
//! (exchange, mixer, bridge, DEX, OTC desk, miner), how many an attribution names as that very
//! service — the day-one labels alone, with the labels the links derive from chain data, and each
//! with the address clusters. It is what tracing stops at and what screening counts as exposure
//! to the service, so an unlabelled service address found here is one a trace no longer walks
//! through and a screening no longer misses.

use std::collections::{BTreeMap, HashMap};

use chaintrail_core::{Address, Chain};
use chaintrail_sim::{Category, GroundTruth};
use chaintrail_trace::Attribution;
use serde::Serialize;

use crate::clustering::service_entities;

/// One setting's identification of one chain's service addresses of one category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identified {
    /// The attribution setting (`day-one labels`, `… + clusters`, …).
    pub setting: String,
    pub chain: Chain,
    /// The services' category in the truth (`exchange`, `mixer`, …).
    pub category: String,
    /// Addresses the truth gives to services of this category on this chain.
    pub addresses: u64,
    /// Named as their own service.
    pub right: u64,
    /// Named as another entity.
    pub wrong: u64,
}

impl Identified {
    /// Share of the addresses named as their own service.
    pub fn recall(&self) -> f64 {
        if self.addresses == 0 {
            1.0
        } else {
            self.right as f64 / self.addresses as f64
        }
    }
}

fn category_name(category: Category) -> String {
    format!("{category:?}").to_lowercase()
}

/// Every service address of the wallet truth looked up under each setting.
pub fn score_identification(
    truth: &GroundTruth,
    settings: &[(&str, &dyn Attribution)],
) -> Vec<Identified> {
    let services = service_entities(truth);
    let entities: HashMap<u32, (&str, String)> = truth
        .entities
        .iter()
        .filter(|e| services.contains(&e.id))
        .map(|e| (e.id, (e.name.as_str(), category_name(e.category))))
        .collect();
    let mut rows = Vec::new();
    for (setting, attribution) in settings {
        let mut counts: BTreeMap<(Chain, String), (u64, u64, u64)> = BTreeMap::new();
        for owner in &truth.wallets.addresses {
            let Some((name, category)) = owner.entity.and_then(|e| entities.get(&e)) else {
                continue;
            };
            let found = Address::parse(owner.chain, &owner.address)
                .ok()
                .and_then(|address| attribution.entity(owner.chain, &address));
            let count = counts.entry((owner.chain, category.clone())).or_default();
            count.0 += 1;
            match found {
                Some(entity) if entity.name.eq_ignore_ascii_case(name) => count.1 += 1,
                Some(_) => count.2 += 1,
                None => {}
            }
        }
        rows.extend(
            counts.into_iter().map(
                |((chain, category), (addresses, right, wrong))| Identified {
                    setting: setting.to_string(),
                    chain,
                    category,
                    addresses,
                    right,
                    wrong,
                },
            ),
        );
    }
    rows
}

/// The rows as a markdown table.
pub fn identification_markdown(rows: &[Identified]) -> String {
    let mut out = String::from(
        "| setting | chain | services | addresses | named right | recall | named as another entity |\n\
         |---|---|---|---:|---:|---:|---:|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {:.1}% | {} |\n",
            r.setting,
            r.chain,
            r.category,
            r.addresses,
            r.right,
            100.0 * r.recall(),
            r.wrong
        ));
    }
    out
}
