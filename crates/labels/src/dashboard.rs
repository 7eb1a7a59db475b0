//! The DPRK incident dashboard (`GET /v1/dashboard/dprk`, the web UI's Incidents page): stolen
//! value per year from the store's incident ledger, drawn beside the yearly totals others
//! published (each series saying what it is, when it was published and whether the reference
//! checked it), the totals over several years beside the ledger's sum over the same years, and
//! the ledger's incidents with their trace seeds where it has them.

use std::collections::BTreeMap;

use chaintrail_core::{Chain, Date};
use serde::Serialize;

use crate::incidents::{
    DPRK, DPRK_EXPLANATIONS, DatePrecision, IncidentLedger, PUBLISHED_DPRK, PublishedTotal,
};

/// The years the dashboard draws.
pub const DASHBOARD_YEARS: std::ops::RangeInclusive<u16> = 2017..=2025;

/// One year of a series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// The year.
    pub year: u16,
    /// US dollars.
    pub usd: u64,
    /// Incidents counted, when known.
    pub incidents: Option<u64>,
    /// What was counted ("2024", "Jan–Sep 2025", "2022 (≈)").
    pub scope: String,
    /// When it was published (the ledger: not applicable).
    pub published: Option<String>,
    /// Whether the reference checked the figure ([V]); the ledger's are sums of its rows.
    pub verified: bool,
    /// Where it is quoted.
    pub citation: String,
}

/// A line of the chart: the ledger, or one publisher's yearly totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// `ledger`, or the publisher's name.
    pub id: String,
    /// What the series is, in a sentence, for the chart's legend.
    pub what: String,
    /// Its years (only those it has a figure for).
    pub points: Vec<Point>,
}

/// A total over several years beside what the ledger holds for the same years.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    /// Who published it.
    pub publisher: String,
    /// Its first year.
    pub since: u16,
    /// Its last year.
    pub until: u16,
    /// Their total, and what it counted.
    pub published: Point,
    /// The ledger's DPRK total over whole years `since..=until`.
    pub ledger_usd: u64,
    /// The ledger's DPRK incidents over those years.
    pub ledger_incidents: u64,
}

/// A DPRK-attributed incident of the ledger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DashboardIncident {
    /// The incident's id (`GET /v1/incidents/{id}`).
    pub id: String,
    /// When it happened.
    pub date: Date,
    /// How exact the date is.
    pub date_precision: DatePrecision,
    /// Who lost the funds.
    pub victim: String,
    /// The chains involved, as the source names them.
    pub chains: Vec<String>,
    /// USD at the time, when known.
    pub amount_usd: Option<u64>,
    /// The amount as the source writes it.
    pub amount_as_written: String,
    /// Trace seeds (`<chain>:<tx hash>`) from the transactions the ledger names, on chains
    /// chaintrail knows; empty when it names none.
    pub seeds: Vec<String>,
}

/// The dashboard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DprkDashboard {
    /// The ledger first, then each publisher's yearly totals.
    pub series: Vec<Series>,
    /// Totals over several years, beside the ledger's.
    pub spans: Vec<Span>,
    /// Why the ledger and the published totals differ, by year.
    pub explanations: Vec<(u16, String)>,
    /// The ledger's DPRK incidents, oldest first.
    pub incidents: Vec<DashboardIncident>,
}

fn published_point(year: u16, p: &PublishedTotal) -> Point {
    Point {
        year,
        usd: p.usd,
        incidents: p.incidents.map(u64::from),
        scope: p.scope.to_string(),
        published: Some(p.published.to_string()),
        verified: p.verified,
        citation: p.citation.to_string(),
    }
}

/// The dashboard of `ledger`'s DPRK-attributed incidents.
pub fn dprk_dashboard(ledger: &IncidentLedger) -> DprkDashboard {
    let dprk: Vec<_> = ledger
        .incidents()
        .iter()
        .filter(|i| i.attribution.as_deref() == Some(DPRK))
        .collect();
    let mut by_year: BTreeMap<u16, (u64, u64)> = BTreeMap::new();
    for i in &dprk {
        let slot = by_year.entry(i.date.year()).or_default();
        slot.0 += 1;
        slot.1 += i.amount_usd.unwrap_or(0);
    }
    let sources: Vec<&str> = {
        let mut files: Vec<&str> = dprk.iter().map(|i| i.source_file.as_str()).collect();
        files.sort_unstable();
        files.dedup();
        files
    };
    let ledger_series = Series {
        id: "ledger".to_string(),
        what: "The store's incident ledger: the sum of the USD amounts of the DPRK-attributed \
               incidents of each year (incidents without an amount count, dollars do not)"
            .to_string(),
        points: DASHBOARD_YEARS
            .map(|year| {
                let (incidents, usd) = by_year.get(&year).copied().unwrap_or_default();
                Point {
                    year,
                    usd,
                    incidents: Some(incidents),
                    scope: year.to_string(),
                    published: None,
                    verified: true,
                    citation: format!("incident ledger ({})", sources.join(", ")),
                }
            })
            .collect(),
    };
    let mut series = vec![ledger_series];
    let mut spans = Vec::new();
    for (year, p) in PUBLISHED_DPRK {
        if let Some(since) = p.since {
            let (ledger_incidents, ledger_usd) = by_year
                .range(since..=*year)
                .fold((0, 0), |(n, usd), (_, (i, u))| (n + i, usd + u));
            spans.push(Span {
                publisher: p.publisher.to_string(),
                since,
                until: *year,
                published: published_point(*year, p),
                ledger_usd,
                ledger_incidents,
            });
            continue;
        }
        let point = published_point(*year, p);
        match series.iter_mut().find(|s| s.id == p.publisher) {
            Some(s) => s.points.push(point),
            None => series.push(Series {
                id: p.publisher.to_string(),
                what: format!(
                    "{}: DPRK-attributed crypto thefts of the year as they published them \
                     (quoted in shared/reference; unverified figures are marked)",
                    p.publisher
                ),
                points: vec![point],
            }),
        }
    }
    let incidents = dprk
        .iter()
        .map(|i| DashboardIncident {
            id: i.id.clone(),
            date: i.date,
            date_precision: i.date_precision,
            victim: i.victim.clone(),
            chains: i.chains.clone(),
            amount_usd: i.amount_usd,
            amount_as_written: i.amount_as_written.clone(),
            seeds: i
                .txs
                .iter()
                .filter_map(|tx| {
                    let chain: Chain = tx.chain.as_deref()?.parse().ok()?;
                    Some(format!("{chain}:{}", tx.hash))
                })
                .collect(),
        })
        .collect();
    DprkDashboard {
        series,
        spans,
        explanations: DPRK_EXPLANATIONS
            .iter()
            .map(|(year, text)| (*year, text.to_string()))
            .collect(),
        incidents,
    }
}
