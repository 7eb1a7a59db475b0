//! What is known of an address's OFAC SDN listing, said as such: the snapshot from which the
//! stored SDN lists hold it, its own designation date when a source gives one, the date of its
//! party's SDN entry (which is not the address's), and "listed before X (date unknown)"
//! otherwise — and, at a date, whether it was sanctioned, not, or unknown.

use std::fmt;

use chaintrail_core::Date;
use serde::{Deserialize, Serialize};

use crate::label::{Label, Source, UnknownStart};

/// Is an address sanctioned at a date, as far as the stored data tell?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SanctionStatus {
    /// A sanction claim holds at the date (for `labels show`: an OFAC listing).
    Sanctioned,
    /// OFAC lists the address from `listed_from` (the first stored snapshot holding it) and its
    /// designation date is unknown: on the date asked, before that, it may or may not have
    /// been listed.
    Unknown {
        /// The first stored snapshot listing the address.
        listed_from: Date,
    },
    /// No sanction claim holds at the date, and none may have.
    NotSanctioned,
}

impl SanctionStatus {
    /// `Sanctioned` when a claim holds; else `Unknown` from the earliest first evidence of the
    /// claims whose status is unknown at the date; else `NotSanctioned`.
    pub fn from_claims(sanctioned: bool, unknown_from: impl IntoIterator<Item = Date>) -> Self {
        if sanctioned {
            return SanctionStatus::Sanctioned;
        }
        match unknown_from.into_iter().min() {
            Some(listed_from) => SanctionStatus::Unknown { listed_from },
            None => SanctionStatus::NotSanctioned,
        }
    }
}

impl fmt::Display for SanctionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SanctionStatus::Sanctioned => f.write_str("sanctioned"),
            SanctionStatus::Unknown { listed_from } => write!(
                f,
                "unknown before {listed_from} (listed before {listed_from}, date unknown)"
            ),
            SanctionStatus::NotSanctioned => f.write_str("not sanctioned"),
        }
    }
}

/// When a claim whose start is unknown began, in words: `listed before 2025-03-04 (date
/// unknown)`, or `listed after 2025-03-04 and before 2025-11-19 (date unknown)` when an
/// earlier snapshot did not hold it.
pub fn unknown_start_text(first_evidence: Date, start: UnknownStart) -> String {
    match start.absent_on {
        None => format!("listed before {first_evidence} (date unknown)"),
        Some(absent) => {
            format!("listed after {absent} and before {first_evidence} (date unknown)")
        }
    }
}

/// One OFAC listing interval of an address (one OFAC label), with what is known of its dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfacListing {
    /// The SDN party's primary name.
    pub name: String,
    /// The SDN party's id.
    pub sdn_uid: String,
    /// OFAC's ticker (ETH, XBT, USDT, …).
    pub asset: String,
    /// The first stored snapshot of the SDN list that holds the address (in this interval).
    pub first_snapshot: Date,
    /// The last stored snapshot that holds it.
    pub last_snapshot: Date,
    /// The first stored snapshot without it after it was listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delisted_since: Option<Date>,
    /// The date the address itself was designated, when a dated address list gives it
    /// ([`crate::ofac_dates`]; OFAC's own files do not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub designated: Option<Date>,
    /// Where that date comes from (`file:line`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub designated_by: Option<String>,
    /// The date of the party's SDN entry (the XML's earliest `EntryEvent`): the party's
    /// listing, which addresses may have joined later.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdn_entry_date: Option<Date>,
    /// All of the above in one sentence.
    pub listed: String,
}

impl OfacListing {
    /// The listing an OFAC label stands for; `None` for labels of other sources.
    pub fn of(label: &Label) -> Option<OfacListing> {
        if label.source != Source::Ofac {
            return None;
        }
        let detail = |key: &str| label.details.get(key).cloned().unwrap_or_default();
        let date = |key: &str| label.details.get(key).and_then(|d| d.parse::<Date>().ok());
        let first_snapshot = date("first_snapshot").or(label.valid_from)?;
        let last_snapshot = date("last_snapshot").unwrap_or(first_snapshot);
        let designated = date("designated");
        let designated_by = label.details.get("designated_by").cloned();
        let sdn_uid = detail("sdn_uid");
        let sdn_entry_date = date("entry_date");
        let mut listed = vec![format!("in the SDN list from snapshot {first_snapshot}")];
        match (designated, label.unknown_start) {
            (Some(day), _) => listed.push(match &designated_by {
                Some(by) => format!("designated {day} ({by})"),
                None => format!("designated {day}"),
            }),
            (None, Some(start)) => listed.push(unknown_start_text(first_snapshot, start)),
            (None, None) => {}
        }
        if let Some(entry) = sdn_entry_date {
            listed.push(format!(
                "SDN entry {sdn_uid} dated {entry} (the party's, not this address's)"
            ));
        }
        if let Some(to) = label.valid_to {
            listed.push(format!("delisted since {to}"));
        }
        Some(OfacListing {
            name: label.name.clone(),
            sdn_uid,
            asset: label.currency.clone(),
            first_snapshot,
            last_snapshot,
            delisted_since: label.valid_to,
            designated,
            designated_by,
            sdn_entry_date,
            listed: listed.join("; "),
        })
    }
}
