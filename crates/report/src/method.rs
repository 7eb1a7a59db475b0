//! The method: how the numbers were reached — the policy and its limits, the labels that named
//! each endpoint (with source, file, line and validity) and the converter links crossed.

use std::collections::BTreeMap;

use chaintrail_core::{Chain, Date};
use chaintrail_labels::LabelStore;
use chaintrail_trace::{Policy, TraceReport, TraceRequest};
use serde::Serialize;

/// A label behind an endpoint's attribution.
#[derive(Debug, Clone, Serialize)]
pub struct LabelUsed {
    /// The chain of the endpoint.
    pub chain: Chain,
    /// The labelled address.
    pub address: String,
    /// The entity the trace named.
    pub entity: String,
    /// The label's name.
    pub name: String,
    /// Its source (`ofac`, `graphsense`, `derived`, …).
    pub source: String,
    /// The dataset it was imported from.
    pub dataset: String,
    /// The file and line it was read from.
    pub file: String,
    /// Line in that file.
    pub line: u64,
    /// Valid from (inclusive), when the source says.
    pub valid_from: Option<Date>,
    /// Valid until (exclusive), when it ended.
    pub valid_to: Option<Date>,
    /// The source's confidence, 0–100.
    pub confidence: u8,
}

/// A converter link (bridge join, demixing, swap) the paths crossed.
#[derive(Debug, Clone, Serialize)]
pub struct LinkUsed {
    /// The rule as the path states it (kind, via, evidence, confidence).
    pub rule: String,
    /// How many path steps it carried.
    pub steps: u64,
}

/// How the report's numbers were reached.
#[derive(Debug, Clone, Serialize)]
pub struct Method {
    /// The report's policy.
    pub policy: Policy,
    /// What the policy does, in a sentence.
    pub policy_explained: &'static str,
    /// `forward` or `backward`.
    pub direction: &'static str,
    /// Hops followed.
    pub max_hops: u32,
    /// Dust threshold in whole units.
    pub min_value: String,
    /// Converter links below this confidence were not crossed.
    pub min_confidence: f64,
    /// Flows after this time (seconds since the epoch) were not followed.
    pub until: Option<u64>,
    /// Labels behind the endpoints' entities. Endpoints attributed through a cluster or a
    /// detector carry their evidence on the endpoint instead.
    pub labels: Vec<LabelUsed>,
    /// Converter links crossed.
    pub links: Vec<LinkUsed>,
}

/// What a policy does, for a reader who does not know the taxonomy.
pub fn explain(policy: Policy) -> &'static str {
    match policy {
        Policy::Poison => {
            "poison: everything a tainted holder sends counts as tainted — an upper bound on \
             reach that does not conserve value"
        }
        Policy::Haircut => {
            "haircut: each outflow carries the holder's tainted share, split exactly (conserves \
             value)"
        }
        Policy::Fifo => "FIFO: the oldest units leave first (Clayton's case; conserves value)",
        Policy::Lifo => "LIFO: the newest units leave first (conserves value)",
        Policy::Tiho => {
            "TIHO: tainted units leave first, UTXO outputs filled largest first (conserves \
             value)"
        }
        _ => "a policy chaintrail added after this report was written",
    }
}

impl Method {
    /// The method of `trace`, run for `request`, with the labels of `labels`.
    pub fn new(trace: &TraceReport, request: &TraceRequest, labels: &LabelStore) -> Method {
        let mut used = BTreeMap::new();
        for endpoint in &trace.endpoints {
            let (Some(entity), Some(address)) = (&endpoint.entity, &endpoint.address) else {
                continue;
            };
            for label in labels.lookup(address) {
                used.entry((address.clone(), label.dataset.clone(), label.line))
                    .or_insert_with(|| LabelUsed {
                        chain: endpoint.chain,
                        address: address.clone(),
                        entity: entity.clone(),
                        name: label.name.clone(),
                        source: label.source.as_str().to_string(),
                        dataset: label.dataset.clone(),
                        file: label.file.clone(),
                        line: label.line,
                        valid_from: label.valid_from,
                        valid_to: label.valid_to,
                        confidence: label.confidence,
                    });
            }
        }
        let mut links: BTreeMap<&str, u64> = BTreeMap::new();
        let policy = trace.policy.as_str();
        for step in trace.endpoints.iter().flat_map(|e| &e.path) {
            if step.rule != policy && step.rule != "seed" {
                *links.entry(step.rule.as_str()).or_default() += 1;
            }
        }
        Method {
            policy: trace.policy,
            policy_explained: explain(trace.policy),
            direction: trace.direction,
            max_hops: trace.max_hops,
            min_value: trace.min_value.clone(),
            min_confidence: request.min_confidence,
            until: trace.until,
            labels: used.into_values().collect(),
            links: links
                .into_iter()
                .map(|(rule, steps)| LinkUsed {
                    rule: rule.to_string(),
                    steps,
                })
                .collect(),
        }
    }
}
