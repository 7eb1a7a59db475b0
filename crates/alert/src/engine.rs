//! The alert engine: what a follower calls after each commit and each rollback.

use std::path::{Path, PathBuf};

use chaintrail_cluster::Clusters;
use chaintrail_core::Chain;
use chaintrail_labels::LabelStore;
use chaintrail_store::Store;
use chaintrail_trace::{Prices, WithClusters};

use crate::AlertError;
use crate::outbox::Outbox;
use crate::rules::{Context, evaluate};
use crate::sink::{RetryPolicy, SinkConfig};
use crate::watchlist::Watchlist;

/// Where alerts go and how hard delivery tries.
#[derive(Debug, Clone, Default)]
pub struct AlertConfig {
    /// The sinks; every alert goes to each of them.
    pub sinks: Vec<SinkConfig>,
    /// Retries of one delivery before its dead letter.
    pub retry: RetryPolicy,
    /// More converter links for tracing cases (`--links`), on top of the store's derived ones.
    pub links_file: Option<PathBuf>,
}

/// What one call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Alerts raised (new events; events raised before are not raised again).
    pub raised: usize,
    /// Retractions queued.
    pub retracted: usize,
    /// Deliveries a sink acknowledged.
    pub delivered: u64,
    /// Attempts that failed (each retried or dead-lettered).
    pub failed_attempts: u64,
    /// Deliveries given up on and written to the dead-letter file.
    pub dead_lettered: u64,
    /// Alerts still waiting for a sink afterwards.
    pub pending: usize,
}

/// Raises alerts from committed blocks, retracts them on rollback, and delivers both exactly
/// once per event (see [`crate`] and docs/alerts.md).
pub struct AlertEngine {
    data_dir: PathBuf,
    config: AlertConfig,
    outbox: Outbox,
    last: DeliveryReport,
}

impl AlertEngine {
    /// The engine of data directory `data_dir` (the store's), resuming its persisted outbox:
    /// call [`AlertEngine::deliver`] to send what a previous run left unacknowledged.
    pub fn open(data_dir: &Path, config: AlertConfig) -> Result<AlertEngine, AlertError> {
        Ok(AlertEngine {
            data_dir: data_dir.to_path_buf(),
            outbox: Outbox::open(data_dir)?,
            config,
            last: DeliveryReport::default(),
        })
    }

    /// Blocks `from..=to` of `chain` were committed to the store: evaluate their transfers,
    /// queue the alerts (persisted before any delivery), and deliver.
    ///
    /// Idempotent: blocks evaluated again (a restart that replays its last commit) raise
    /// nothing twice. The watchlist, labels, clusters and links are read afresh on each call,
    /// so edits made meanwhile (`chaintrail watch add`, `links build`) apply from the next block.
    pub fn blocks_applied(
        &mut self,
        store: &Store,
        chain: Chain,
        from: u64,
        to: u64,
    ) -> Result<(), AlertError> {
        let watchlist = Watchlist::open(&self.data_dir)?;
        let mut raised = 0;
        if !watchlist.entries().is_empty() && from <= to {
            let readers = store.readers()?;
            let labels = LabelStore::open(store.dir())?;
            let clusters = Clusters::open(store)?;
            let links = chaintrail_links::store::load_with_file(
                store.dir(),
                self.config.links_file.as_deref(),
            )?;
            let prices = Prices::for_store(store.dir())?;
            let attribution = WithClusters {
                labels: &labels,
                clusters: &clusters,
            };
            let context = Context {
                readers: &readers,
                attribution: &attribution,
                clusters: &clusters,
                links: &links,
                prices: &prices,
            };
            for alert in evaluate(&context, watchlist.entries(), chain, from..=to)? {
                if self.outbox.raise(alert, &self.config.sinks).is_some() {
                    raised += 1;
                }
            }
            self.outbox.save()?;
        }
        self.deliver()?;
        self.last.raised = raised;
        Ok(())
    }

    /// Every block above `fork_point` of `chain` was removed: retract the alerts raised from
    /// those blocks (queued, persisted, delivered). The events may be raised again, under a new
    /// revision and id, when their transactions confirm on the new branch.
    pub fn rolled_back(
        &mut self,
        _store: &Store,
        chain: Chain,
        fork_point: u64,
    ) -> Result<(), AlertError> {
        let retracted = self
            .outbox
            .retract_above(chain, fork_point, &self.config.sinks)
            .len();
        self.outbox.save()?;
        self.deliver()?;
        self.last.retracted = retracted;
        Ok(())
    }

    /// Deliver what is queued (after a restart: what the previous run left unacknowledged).
    pub fn deliver(&mut self) -> Result<DeliveryReport, AlertError> {
        let mut report = self
            .outbox
            .deliver(&self.config.sinks, &self.config.retry)?;
        report.pending = self.outbox.pending();
        self.last = report.clone();
        Ok(report)
    }

    /// What the last call did.
    pub fn last_report(&self) -> &DeliveryReport {
        &self.last
    }
}
