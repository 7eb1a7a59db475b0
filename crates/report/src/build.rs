//! A report: one trace under the chosen policy, the same seeds under the others, the method and
//! the citations.

use chaintrail_trace::{Policy, TraceReport, TraceRequest};
use serde::Serialize;

use crate::ReportError;
use crate::citation::{self, Citation};
use crate::compare::Comparison;
use crate::investigation::Investigation;
use crate::method::Method;

/// What to report on.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    /// The report's title (the case name, the heist).
    pub title: String,
    /// The trace; its policy is the report's.
    pub trace: TraceRequest,
    /// Policies to compare beside the trace's own (repeats and the trace's own are skipped).
    pub compare: Vec<Policy>,
}

/// A report. Its JSON is exact (base units as decimal strings, every field of the trace); the
/// HTML and PDF round for people.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The title.
    pub title: String,
    /// When it was built (RFC 3339, UTC).
    pub generated_at: String,
    /// The seeds, as `<chain>:<tx | address | txid:vout>`.
    pub seeds: Vec<String>,
    /// The trace under the report's policy.
    pub trace: TraceReport,
    /// Every compared policy side by side.
    pub comparison: Comparison,
    /// How the numbers were reached.
    pub method: Method,
    /// Every movement the trace's paths cite; last, one per line in the JSON file.
    pub citations: Vec<Citation>,
}

/// Trace `request` under its policy and each compared one, and assemble the report. A compared
/// policy that cannot run (poison backward) is shown with its reason, not an error.
pub fn build_report(
    investigation: &Investigation<'_>,
    request: &ReportRequest,
) -> Result<Report, ReportError> {
    let trace = investigation.trace(&request.trace)?;
    build_report_from(investigation, request, trace)
}

/// [`build_report`] around a trace already run for `request` (the demo's), tracing only the
/// compared policies.
pub fn build_report_from(
    investigation: &Investigation<'_>,
    request: &ReportRequest,
    trace: TraceReport,
) -> Result<Report, ReportError> {
    let mut others: Vec<(Policy, Result<TraceReport, String>)> = Vec::new();
    for &policy in &request.compare {
        if policy == request.trace.policy || others.iter().any(|(p, _)| *p == policy) {
            continue;
        }
        let run = TraceRequest {
            policy,
            ..request.trace.clone()
        };
        let outcome = match investigation.trace(&run) {
            Ok(report) => Ok(report),
            Err(ReportError::Trace(chaintrail_trace::TraceError::Options(why))) => Err(why),
            Err(e) => return Err(e),
        };
        others.push((policy, outcome));
    }
    Ok(assemble(
        request,
        trace,
        others,
        investigation,
        jiff::Timestamp::now().to_string(),
    ))
}

fn assemble(
    request: &ReportRequest,
    trace: TraceReport,
    others: Vec<(Policy, Result<TraceReport, String>)>,
    investigation: &Investigation<'_>,
    generated_at: String,
) -> Report {
    let mut runs: Vec<(Policy, Result<&TraceReport, String>)> = vec![(trace.policy, Ok(&trace))];
    runs.extend(
        others
            .iter()
            .map(|(p, r)| (*p, r.as_ref().map_err(Clone::clone))),
    );
    let comparison = Comparison::new(runs);
    let method = Method::new(&trace, &request.trace, investigation.labels);
    let (citations, _) = citation::collect(&trace);
    Report {
        title: request.title.clone(),
        generated_at,
        seeds: request
            .trace
            .seeds
            .iter()
            .map(ToString::to_string)
            .collect(),
        trace,
        comparison,
        method,
        citations,
    }
}
