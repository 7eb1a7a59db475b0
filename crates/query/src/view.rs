//! An address as an investigator reads it: its activity from the store with who it is (labels)
//! and which entity it belongs to (clusters). `chaintrail address` and the Python package show
//! this view.

use chaintrail_cluster::{ClusterInfo, Clusters};
use chaintrail_core::Chain;
use chaintrail_labels::{AddressReport, LabelStore};
use chaintrail_store::Store;
use serde::Serialize;

use crate::{AddressSummary, QueryError, find_address};

/// An address on one chain: activity, labels and cluster.
#[derive(Debug, Clone, Serialize)]
pub struct AddressView {
    /// Balances, activity and counterparties.
    #[serde(flatten)]
    pub summary: AddressSummary,
    /// Its labels, resolved for today.
    pub labels: AddressReport,
    /// Its cluster, when clusters were built for its chain.
    pub cluster: Option<ClusterInfo>,
}

/// The view of `text` on every chain where it appears (only `only` when given), with its `top`
/// counterparties; an error when it appears nowhere. `clusters` is `None` when none were built.
pub fn address_views(
    store: &Store,
    labels: &LabelStore,
    clusters: Option<&Clusters>,
    text: &str,
    only: Option<Chain>,
    top: usize,
) -> Result<Vec<AddressView>, QueryError> {
    let summaries = find_address(store, text, only, top)?;
    if summaries.is_empty() {
        return Err(QueryError::NotInStore(text.to_string()));
    }
    Ok(summaries
        .into_iter()
        .map(|summary| AddressView {
            labels: labels.show(&summary.address, None),
            cluster: clusters.and_then(|c| {
                c.find(&summary.address, Some(summary.chain))
                    .into_iter()
                    .next()
            }),
            summary,
        })
        .collect())
}
