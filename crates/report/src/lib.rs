//! Reports of chaintrail: what an investigator hands to an exchange, a court or a newsroom.
//!
//! This crate owns
//! - [`Investigation`]: what a trace needs (chains, labels, clusters, links, prices), opened
//!   by the CLI and the demo ([`OpenedStore`]) and lent by the server's screener;
//! - [`Report`] ([`build_report`]): one trace under the chosen policy, the same seeds traced under
//!   the other policies side by side ([`Comparison`]), the method (policy, labels and links used,
//!   with their sources and dates) and a [`Citation`] for every transaction the paths cite;
//! - the renderings: HTML with an inline SVG flow chart and a Sankey of the value per hop
//!   ([`sankeys`]) ([`render_html`]), PDF from that HTML by
//!   headless Chromium ([`write_pdf`]), JSON exact to the base unit with one citation per line
//!   ([`write_json`]);
//! - citations anchored to a node ([`anchor`]: block hash, transaction index, log index) and
//!   re-checked against a node ([`verify`]), naming the line and field of any mismatch;
//! - freeze-request packs per exchange ([`write_freeze_packs`]);
//! - cases: saved traces with notes in the data dir, edited and deleted ([`CaseStore`],
//!   [`CaseEdit`]).
//!
//! Amounts are rounded for people in HTML and text ([`round`]) and exact in JSON. docs/report.md
//! describes the formats.

#![warn(missing_docs)]

mod anchor;
mod atomic;
mod build;
mod case;
mod citation;
mod compare;
mod flowchart;
mod freeze;
mod html;
mod investigation;
mod json;
mod method;
mod node;
mod pdf;
pub mod round;
mod sankey;
mod verify;

pub use anchor::anchor;
pub use atomic::{write_atomic, write_dir_atomic};
pub use build::{Report, ReportRequest, build_report, build_report_from};
pub use case::{Annotation, Case, CaseEdit, CaseStore, NewCase};
pub use citation::Citation;
pub use compare::{Comparison, ComparisonRow, PolicyTotal};
pub use freeze::{Deposit, FreezePack, freeze_packs, write_freeze_packs};
pub use html::{Page, amounts, kind_name, render_html};
pub use investigation::{Investigation, OpenedStore};
pub use json::{to_json_lines, write_json};
pub use method::{LabelUsed, LinkUsed, Method};
pub use node::Nodes;
pub use pdf::{CHROMIUM_ENV, find_chromium, print_pdf, write_pdf};
pub use sankey::{
    MAX_SANKEY_HOPS, Sankey, SankeyEndpoint, SankeyInput, SankeyLink, SankeyNode, SankeyValue,
    sankeys, sankeys_of,
};
pub use verify::{Finding, Verification, verify, verify_file};

/// Why a report could not be built, written or verified.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The trace failed.
    #[error(transparent)]
    Trace(#[from] chaintrail_trace::TraceError),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] chaintrail_store::StoreError),
    /// Labels could not be read.
    #[error(transparent)]
    Labels(#[from] chaintrail_labels::LabelError),
    /// Links could not be read.
    #[error(transparent)]
    Links(#[from] chaintrail_links::LinkError),
    /// Clusters could not be read.
    #[error(transparent)]
    Cluster(#[from] chaintrail_cluster::ClusterError),
    /// A node did not answer or answered something unusable.
    #[error(transparent)]
    Rpc(#[from] chaintrail_rpc::RpcError),
    /// A file could not be read or written.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// There is no case with that id (the message names it and where to find the ids).
    #[error("{0}")]
    NoCase(String),
    /// Input that does not fit, phrased for the user (what was wrong and what to do).
    #[error("{0}")]
    Invalid(String),
}
