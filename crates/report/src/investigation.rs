//! A store opened with everything a trace needs: the one place the CLI, the demo and the server
//! assemble labels, clusters, links and prices for a report.

use std::collections::BTreeMap;
use std::path::Path;

use chaintrail_cluster::Clusters;
use chaintrail_core::Chain;
use chaintrail_labels::LabelStore;
use chaintrail_store::{ChainReader, Store};
use chaintrail_trace::{LinkSet, Prices, TraceReport, TraceRequest, WithClusters};

use crate::ReportError;

/// A store with its labels, clusters, derived links and prices, ready to trace.
pub struct Investigation {
    /// The chains.
    pub readers: BTreeMap<Chain, ChainReader>,
    /// Attribution by label.
    pub labels: LabelStore,
    /// Attribution by cluster.
    pub clusters: Clusters,
    /// Converter links (bridge joins, demixing) derived from the store, plus a file's.
    pub links: LinkSet,
    /// USD prices.
    pub prices: Prices,
}

impl Investigation {
    /// Open `store`; `links_file` adds links an investigator knows (JSON lines).
    pub fn open(store: &Store, links_file: Option<&Path>) -> Result<Investigation, ReportError> {
        Ok(Investigation {
            readers: store.readers()?,
            labels: LabelStore::open(store.dir())?,
            clusters: Clusters::open(store)?,
            links: chaintrail_links::store::load_with_file(store.dir(), links_file)?,
            prices: Prices::for_store(store.dir())
                .map_err(|e| ReportError::Invalid(e.to_string()))?,
        })
    }

    /// Trace `request` with labels, clusters and links.
    pub fn trace(&self, request: &TraceRequest) -> Result<TraceReport, ReportError> {
        let attribution = WithClusters {
            labels: &self.labels,
            clusters: &self.clusters,
        };
        Ok(chaintrail_trace::trace_with(
            &self.readers,
            &attribution,
            &self.prices,
            &[&self.links],
            request,
        )?)
    }
}
