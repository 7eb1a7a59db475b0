//! Cases over HTTP: save a trace with notes, list, export, edit and delete cases, and build a case's report
//! (JSON, HTML or PDF) and freeze packs. The work is chaintrail-report's; these handlers shape it.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chaintrail_report::{
    Case, CaseEdit, CaseStore, Investigation, NewCase, Page, Report, ReportError, ReportRequest,
};
use chaintrail_trace::{Cancel, Policy, TraceError};
use serde::Deserialize;
use serde_json::json;

use crate::api::{MAX_TRACE_BUDGET, blocking};
use crate::{ApiError, AppState};

type Shared = State<Arc<AppState>>;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/cases", get(list).post(create))
        .route("/v1/cases/{id}", get(show).patch(edit).delete(remove))
        .route("/v1/cases/{id}/report", get(report))
        .route("/v1/cases/{id}/freeze-pack", get(freeze_pack))
}

fn api_error(err: ReportError) -> ApiError {
    match err {
        ReportError::Invalid(message) => ApiError::bad_request("bad_case", message),
        ReportError::NoCase(message) => ApiError::not_found(message),
        ReportError::Trace(TraceError::Cancelled { .. }) => ApiError::cancelled(err.to_string()),
        ReportError::Trace(
            e @ (TraceError::BadSeed(_) | TraceError::Options(_) | TraceError::UnknownChain(_)),
        ) => ApiError::bad_request("bad_trace", e.to_string()),
        other => ApiError::internal(other.to_string()),
    }
}

fn cases(state: &AppState) -> CaseStore {
    CaseStore::open(state.screener.dir())
}

async fn list(State(state): Shared) -> Result<Json<serde_json::Value>, ApiError> {
    let worker = state.clone();
    let all = blocking(&state, move |_| cases(&worker).list().map_err(api_error)).await?;
    Ok(Json(json!({ "cases": all })))
}

async fn create(State(state): Shared, body: Bytes) -> Result<Response, ApiError> {
    let case: NewCase = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "bad_body",
            format!(
                "body: {e}; expected {{\"name\": \"…\", \"seeds\": [\"<chain>:<tx|address>\"], \
                 \"policy\": \"haircut\", \"notes\": \"…\"}}"
            ),
        )
    })?;
    let worker = state.clone();
    let saved = blocking(&state, move |_| {
        cases(&worker).create(case).map_err(api_error)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!(saved))).into_response())
}

fn find(state: &AppState, id: &str) -> Result<Case, ApiError> {
    cases(state)
        .get(id)
        .map_err(api_error)?
        .ok_or_else(|| ApiError::not_found(format!("no case `{id}`; GET /v1/cases lists them")))
}

async fn show(State(state): Shared, Path(id): Path<String>) -> Result<Json<Case>, ApiError> {
    let worker = state.clone();
    Ok(Json(blocking(&state, move |_| find(&worker, &id)).await?))
}

async fn edit(
    State(state): Shared,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Case>, ApiError> {
    let edit: CaseEdit = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "bad_body",
            format!(
                "body: {e}; expected any of {{\"name\": \"…\", \"notes\": \"…\", \
                 \"annotations\": [{{\"target\": \"…\", \"note\": \"…\"}}], \"annotate\": […], \
                 \"unannotate\": [\"<target>\"]}}"
            ),
        )
    })?;
    let worker = state.clone();
    let saved = blocking(&state, move |_| {
        cases(&worker).edit(&id, edit).map_err(api_error)
    })
    .await?;
    Ok(Json(saved))
}

async fn remove(State(state): Shared, Path(id): Path<String>) -> Result<Json<Case>, ApiError> {
    let worker = state.clone();
    let removed = blocking(&state, move |_| {
        cases(&worker).delete(&id).map_err(api_error)
    })
    .await?;
    Ok(Json(removed))
}

/// The case's report: its trace again under its policy and every other, within the server's
/// trace budget.
fn build(state: &AppState, id: &str, cancel: &Cancel) -> Result<Report, ApiError> {
    let case = find(state, id)?;
    let mut trace = case.request().map_err(api_error)?;
    trace.budget = trace.budget.min(MAX_TRACE_BUDGET);
    trace.cancel = cancel.clone();
    let s = &state.screener;
    let investigation = Investigation {
        readers: s.readers(),
        labels: s.labels(),
        clusters: s.clusters(),
        links: s.links().converter(),
        prices: s.prices(),
    };
    let request = ReportRequest {
        title: case.case.name.clone(),
        trace,
        compare: Policy::ALL.to_vec(),
    };
    chaintrail_report::build_report(&investigation, &request).map_err(api_error)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportParams {
    format: Option<String>,
}

async fn report(
    State(state): Shared,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let params: ReportParams = match raw {
        None => ReportParams::default(),
        Some(raw) => serde_urlencoded::from_str(&raw)
            .map_err(|e| ApiError::bad_request("bad_query", format!("query string: {e}")))?,
    };
    let format = params.format.unwrap_or_else(|| "json".to_string());
    if !matches!(format.as_str(), "json" | "html" | "pdf") {
        return Err(ApiError::bad_request(
            "bad_format",
            format!("format `{format}`: use json, html or pdf"),
        ));
    }
    let worker = state.clone();
    blocking(&state, move |cancel| {
        let report = build(&worker, &id, cancel)?;
        if format == "json" {
            return Ok(Json(json!(report)).into_response());
        }
        let html = chaintrail_report::render_html(&Page {
            title: &report.title,
            intro: "Where the traced funds went, under the case's policy and beside the others, \
                    with the method and a citation for every transaction.",
            stats: &[],
            reports: std::slice::from_ref(&report),
        });
        if format == "html" {
            return Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response());
        }
        let pdf = chaintrail_report::print_pdf(&html, worker.screener.dir())
            .map_err(|e| ApiError::new(StatusCode::NOT_IMPLEMENTED, "no_pdf", e.to_string()))?;
        Ok(([(header::CONTENT_TYPE, "application/pdf")], pdf).into_response())
    })
    .await
}

async fn freeze_pack(
    State(state): Shared,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let worker = state.clone();
    let packs = blocking(&state, move |cancel| {
        let report = build(&worker, &id, cancel)?;
        Ok(chaintrail_report::freeze_packs(&report))
    })
    .await?;
    Ok(Json(json!({ "packs": packs })))
}
