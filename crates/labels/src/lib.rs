//! Attribution layer of chaintrail: who an address belongs to, and the ledger of thefts.
//!
//! This crate owns
//! - the OFAC SDN importers ([`ofac`]): the advanced XML, streamed (bzip2 or plain), and the
//!   derived address-list CSVs, kept as dated snapshots from which listing and delisting dates
//!   are derived (Tornado Cash: listed in the 2025-03-04 snapshot, delisted since the next).
//!   OFAC dates no address, so a listing is known from the first snapshot holding it and its
//!   start is unknown ("listed before 2025-03-04 (date unknown)", [`OfacListing`]): at an
//!   earlier date the address is neither sanctioned nor clean but [`SanctionStatus::Unknown`] —
//!   unless a dated address list ([`DesignationDate`]) gives the address's designation date;
//! - GraphSense TagPack and ActorPack import, validation (file, line, field) and export
//!   ([`tagpack`]), with a small line-aware YAML reader ([`yaml`]);
//! - the Etherscan-family label clouds, Forta's labelled datasets and Tornado Cash's contract
//!   list ([`evm`]);
//! - one category taxonomy mapped from every source ([`Category`], tables in `docs/labels.md`),
//!   each category either a **role** (what an address does: exchange, mixer, bridge, …) or a
//!   **flag** (what it is marked as: sanctioned, hack, scam, …), so that every label carries a
//!   role and flags;
//! - resolution ([`LabelStore::resolve`]): the strongest role claim and the union of the flags
//!   valid at a date, each with provenance, with OFAC's dated listings overriding undated
//!   sanction claims — what tracing and screening use instead of "the strongest label";
//! - the [`LabelStore`]: labels with provenance (source, file, line, confidence, valid from/to),
//!   persisted under `<store dir>/labels/` with atomic writes, indexed in memory for lookups in
//!   microseconds, strongest label first, optionally at a date;
//! - the incident ledger ([`IncidentLedger`]): DPRK-attributed thefts and DeFi exploits with
//!   tallies by year, actor and chain, and the comparison with published DPRK totals;
//! - the DPRK incident dashboard ([`dashboard::dprk_dashboard`]): the ledger's stolen value per
//!   year beside the published totals, each series saying what it is, and the incidents with
//!   their trace seeds.
//!
//! Everything the CLI prints (`labels show|stats`, `incidents list|show|stats`) is a
//! serde-serialisable struct returned from here. Bad input never panics and is never dropped
//! silently: importers return an [`ImportReport`] with rows read, imported and rejected (with
//! file, line, field and reason).

#![warn(missing_docs)]

mod category;
pub mod dashboard;
mod error;
pub mod evm;
pub mod incidents;
mod label;
mod listing;
pub mod ofac;
mod ofac_dates;
mod report;
mod resolve;
mod store;
pub mod tagpack;
pub mod yaml;

pub use category::Category;
/// The calendar day of label validity: chaintrail's one date type, kept here for existing users.
pub use chaintrail_core::{Date, DateError};
pub use error::{LabelError, Result};
pub use incidents::{Incident, IncidentLedger, import_incidents};
pub use label::{Label, Source, UnknownStart, Validity, currency_chain, normalize_key, validity};
pub use listing::{OfacListing, SanctionStatus, unknown_start_text};
pub use ofac_dates::DesignationDate;
pub use report::{ImportReport, Issue};
pub use resolve::{FlagClaim, Resolved, RoleClaim};
pub use store::{AddressReport, LabelStats, LabelStore, LabelView, LookupBench};
