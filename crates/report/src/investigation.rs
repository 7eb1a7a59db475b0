//! What a report traces with: a store's chains, labels, clusters, links and prices. The CLI and
//! the demo open them ([`OpenedStore`]); the server lends its screener's.

use std::collections::BTreeMap;
use std::path::Path;

use chaintrail_cluster::Clusters;
use chaintrail_core::Chain;
use chaintrail_labels::LabelStore;
use chaintrail_store::{ChainReader, Store};
use chaintrail_trace::{LinkSet, Prices, TraceReport, TraceRequest, WithClusters};

use crate::ReportError;

/// Everything a trace needs, borrowed.
#[derive(Clone, Copy)]
pub struct Investigation<'a> {
    /// The chains.
    pub readers: &'a BTreeMap<Chain, ChainReader>,
    /// Attribution by label.
    pub labels: &'a LabelStore,
    /// Attribution by cluster, when built.
    pub clusters: Option<&'a Clusters>,
    /// Converter links (bridge joins, demixing).
    pub links: &'a LinkSet,
    /// USD prices.
    pub prices: &'a Prices,
}

impl Investigation<'_> {
    /// Trace `request` with labels, clusters and links.
    pub fn trace(&self, request: &TraceRequest) -> Result<TraceReport, ReportError> {
        let links: [&dyn chaintrail_trace::Converter; 1] = [self.links];
        let report = match self.clusters {
            Some(clusters) => {
                let attribution = WithClusters {
                    labels: self.labels,
                    clusters,
                };
                chaintrail_trace::trace_with(
                    self.readers,
                    &attribution,
                    self.prices,
                    &links,
                    request,
                )
            }
            None => chaintrail_trace::trace_with(
                self.readers,
                self.labels,
                self.prices,
                &links,
                request,
            ),
        };
        Ok(report?)
    }
}

/// A store opened with its labels, clusters, derived links and prices.
pub struct OpenedStore {
    readers: BTreeMap<Chain, ChainReader>,
    labels: LabelStore,
    clusters: Clusters,
    links: LinkSet,
    prices: Prices,
}

impl OpenedStore {
    /// Open `store`; `links_file` adds links an investigator knows (JSON lines).
    pub fn open(store: &Store, links_file: Option<&Path>) -> Result<OpenedStore, ReportError> {
        Ok(OpenedStore {
            readers: store.readers()?,
            labels: LabelStore::open(store.dir())?,
            clusters: Clusters::open(store)?,
            links: chaintrail_links::store::load_with_file(store.dir(), links_file)?,
            prices: Prices::for_store(store.dir())
                .map_err(|e| ReportError::Invalid(e.to_string()))?,
        })
    }

    /// Borrow it for a report.
    pub fn investigation(&self) -> Investigation<'_> {
        Investigation {
            readers: &self.readers,
            labels: &self.labels,
            clusters: Some(&self.clusters),
            links: &self.links,
            prices: &self.prices,
        }
    }
}
