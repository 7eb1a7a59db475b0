//! Watchlists and alerts of chaintrail: what investigators watch, the rules that raise alerts
//! when newly committed blocks move watched or tainted funds, and their delivery exactly once
//! per event across restarts.
//!
//! This crate owns
//! - the watchlist ([`Watchlist`]): addresses, entities (a labelled name or a cluster) and saved
//!   trace cases, in `<data dir>/alerts/watchlists.json`;
//! - the rules ([`Rule`]), evaluated over the transfers (or inputs and outputs) of the blocks a
//!   follower committed: a watched or tainted holder sends funds, tainted value reaches a
//!   service, a sanctioned address transacts with a watched one. Cases are traced with the
//!   trace engine ([`chaintrail_trace::trace_moves`]);
//! - the alert ([`Alert`]) with its deterministic id ([`alert_id`]), and its retraction when the
//!   block it came from is orphaned;
//! - the outbox (`<data dir>/alerts/outbox.json`): raised events and what each sink has
//!   acknowledged, written atomically before and after every delivery, so that a restart after
//!   a crash delivers what was not acknowledged and never again what was;
//! - the sinks ([`SinkConfig`]): a webhook signed with HMAC-SHA256 (retries with exponential
//!   backoff, then a dead-letter file) and JSON lines to stdout or a file.
//!
//! [`AlertEngine::blocks_applied`] and [`AlertEngine::rolled_back`] are what a follower calls
//! after each commit and rollback. docs/alerts.md documents the rules, the JSON and the
//! delivery model.

#![warn(missing_docs)]

mod alert;
mod engine;
mod observer;
mod outbox;
mod persist;
mod rules;
mod sink;
mod watchlist;

use std::path::PathBuf;

pub use alert::{
    Alert, AlertBlock, AlertKind, AlertWatch, EventKey, Party, Rule, Side, alert_id, retraction_id,
};
pub use engine::{AlertConfig, AlertEngine, DeliveryReport};
pub use outbox::{DEAD_LETTER_FILE, OUTBOX_FILE};
pub use sink::{RetryPolicy, SIGNATURE_HEADER, SinkConfig, sign};
pub use watchlist::{
    ALERTS_DIR, CaseTrace, WATCHLIST_FILE, WatchEntry, WatchRequest, WatchTarget, Watchlist,
};

/// Why watching or alerting failed.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// A watch entry that does not parse or names nothing, phrased for the user.
    #[error("{0}")]
    BadWatch(String),
    /// The target is watched already.
    #[error("{describes} is already watched as {id}")]
    AlreadyWatched {
        /// What the target is, in words.
        describes: String,
        /// The entry watching it.
        id: String,
    },
    /// No watch entry has this id.
    #[error("no watch entry has id `{0}`; `chaintrail watch list` shows the ids")]
    UnknownWatch(String),
    /// A sink that cannot be configured, phrased for the user.
    #[error("{0}")]
    BadSink(String),
    /// An alert file that cannot be read back.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong and what to do.
        reason: String,
    },
    /// An alert file that cannot be read or written.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The store.
    #[error(transparent)]
    Store(#[from] chaintrail_store::StoreError),
    /// The labels.
    #[error(transparent)]
    Labels(#[from] chaintrail_labels::LabelError),
    /// The derived links.
    #[error(transparent)]
    Links(#[from] chaintrail_links::LinkError),
    /// The clusters.
    #[error(transparent)]
    Clusters(#[from] chaintrail_cluster::ClusterError),
    /// The price table (`pegs.jsonl`).
    #[error(transparent)]
    Prices(#[from] chaintrail_trace::PegsError),
    /// A case's trace.
    #[error("tracing case {watch}: {source}")]
    Trace {
        /// The case's watch entry.
        watch: String,
        /// Why the trace failed.
        source: chaintrail_trace::TraceError,
    },
}
