//! `POST /v1/sankey`: the Sankey of a trace report the client already has (a `/v1/trace`
//! answer, posted back as it is): the value per hop and where it ended, one per asset, with
//! exact amounts, the layout and the drawing. chaintrail-report computes it; nothing is traced
//! again.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use chaintrail_report::SankeyInput;
use serde_json::{Value, json};

use crate::{ApiError, AppState};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/v1/sankey", post(sankey))
}

async fn sankey(body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: SankeyInput = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "bad_body",
            format!(
                "body: {e}; expected a trace report as POST /v1/trace answers it (its \
                 `endpoints` are read)"
            ),
        )
    })?;
    let sankeys = chaintrail_report::sankeys_of(&input.endpoints)
        .map_err(|e| ApiError::bad_request("bad_trace_report", e.to_string()))?;
    Ok(Json(json!({ "sankeys": sankeys })))
}
