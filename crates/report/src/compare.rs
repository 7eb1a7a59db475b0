//! The same seeds under every policy, side by side: how much the choice of policy decides.

use std::collections::BTreeMap;

use chaintrail_trace::{EndpointKind, EntityTotal, Policy, TraceReport, Value};
use serde::Serialize;

use crate::round;

/// One policy's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyTotal {
    /// The policy.
    pub policy: Policy,
    /// Where the value went, per entity (exact amounts).
    pub by_entity: Vec<EntityTotal>,
    /// Why the trace under this policy did not run (e.g. poison has no provenance); `None` when
    /// it ran.
    pub error: Option<String>,
}

/// One entity the value reached, under each policy.
#[derive(Debug, Clone, Serialize)]
pub struct ComparisonRow {
    /// The entity.
    pub entity: String,
    /// Its role.
    pub category: String,
    /// Why the value stopped there.
    pub kind: EndpointKind,
    /// USD per policy, in the order of [`Comparison::policies`]; `None` when unpriced or not
    /// reached.
    pub usd: Vec<Option<f64>>,
    /// Exact amounts per policy, same order.
    pub values: Vec<Vec<Value>>,
    /// "Between $X under fifo and $Y under haircut reached Binance."
    pub summary: String,
}

/// Policies side by side.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Each policy's outcome, the report's own policy first.
    pub policies: Vec<PolicyTotal>,
    /// Entities reached (services, mixers and bridges entered, pending bridges), largest first.
    pub rows: Vec<ComparisonRow>,
}

fn reached(kind: EndpointKind) -> bool {
    matches!(
        kind,
        EndpointKind::Service | EndpointKind::Entered | EndpointKind::BridgePending
    )
}

fn verb(kind: EndpointKind) -> &'static str {
    match kind {
        EndpointKind::Entered => "entered",
        EndpointKind::BridgePending => "is pending at",
        _ => "reached",
    }
}

impl Comparison {
    /// Compare `runs` (each policy with its trace, or why it could not run).
    pub fn new(runs: Vec<(Policy, Result<&TraceReport, String>)>) -> Comparison {
        type Key = (String, String, EndpointKind);
        /// USD and exact amounts per policy.
        type PerPolicy = (Vec<Option<f64>>, Vec<Vec<Value>>);
        let count = runs.len();
        let mut rows: BTreeMap<Key, PerPolicy> = BTreeMap::new();
        for (i, (_, run)) in runs.iter().enumerate() {
            let Ok(trace) = run else { continue };
            for total in trace.by_entity.iter().filter(|t| reached(t.kind)) {
                let row = rows
                    .entry((total.entity.clone(), total.category.clone(), total.kind))
                    .or_insert_with(|| (vec![None; count], vec![Vec::new(); count]));
                row.0[i] = total.usd;
                row.1[i] = total.values.clone();
            }
        }
        let policies: Vec<PolicyTotal> = runs
            .into_iter()
            .map(|(policy, run)| match run {
                Ok(trace) => PolicyTotal {
                    policy,
                    by_entity: trace.by_entity.clone(),
                    error: None,
                },
                Err(why) => PolicyTotal {
                    policy,
                    by_entity: Vec::new(),
                    error: Some(why),
                },
            })
            .collect();
        let ran: Vec<bool> = policies.iter().map(|p| p.error.is_none()).collect();
        let mut rows: Vec<ComparisonRow> = rows
            .into_iter()
            .map(|((entity, category, kind), (usd, values))| {
                let summary = summarise(&entity, kind, &policies, &usd, &ran);
                ComparisonRow {
                    entity,
                    category,
                    kind,
                    usd,
                    values,
                    summary,
                }
            })
            .collect();
        let largest = |r: &ComparisonRow| r.usd.iter().flatten().fold(0.0_f64, |a, &b| a.max(b));
        rows.sort_by(|a, b| largest(b).total_cmp(&largest(a)));
        Comparison { policies, rows }
    }
}

/// The range of USD over the policies that ran (a policy that ran and reached nothing there
/// counts as $0).
fn summarise(
    entity: &str,
    kind: EndpointKind,
    policies: &[PolicyTotal],
    usd: &[Option<f64>],
    ran: &[bool],
) -> String {
    let priced: Vec<(Policy, f64)> = policies
        .iter()
        .zip(usd)
        .zip(ran)
        .filter(|(_, ran)| **ran)
        .map(|((p, u), _)| (p.policy, u.unwrap_or(0.0)))
        .collect();
    let low = priced.iter().min_by(|a, b| a.1.total_cmp(&b.1));
    let high = priced.iter().max_by(|a, b| a.1.total_cmp(&b.1));
    match (low, high) {
        (Some(low), Some(high)) if round::usd(Some(low.1)) != round::usd(Some(high.1)) => format!(
            "Between {} under {} and {} under {} {} {entity}.",
            round::usd(Some(low.1)),
            low.0,
            round::usd(Some(high.1)),
            high.0,
            verb(kind)
        ),
        (Some(low), _) => format!(
            "{} {} {entity} under every policy compared.",
            round::usd(Some(low.1)),
            verb(kind)
        ),
        _ => format!("No policy could be compared for {entity}."),
    }
}
