//! The handlers: parse, call one library function, shape the answer.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use chaintrail_alert::{AlertError, WatchRequest, Watchlist};
use chaintrail_core::{Chain, TxHash};
use chaintrail_labels::incidents::IncidentFilter;
use chaintrail_labels::{Category, Date, unknown_start_text};
use chaintrail_screen::{Direction, ExposureType, Ownership, Query, RiskLevel, Screening};
use chaintrail_trace::{Cancel, Policy, Seed, TraceError, TraceRequest};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiError, CANCELLED};
use crate::{AppState, openapi};

type Shared = State<Arc<AppState>>;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/address/{address}", get(sanctions))
        .route("/api/risk/v2/entities/{address}", get(entity_risk))
        .route("/public/v2/screening/addresses", post(trm_screening))
        .route("/v1/screen/{address}", get(screen))
        .route("/v1/address/{chain}/{address}", get(address))
        .route("/v1/search/{text}", get(search))
        .route("/v1/tx/{chain}/{hash}", get(tx))
        .route("/v1/trace", post(trace))
        .route("/v1/labels/{address}", get(labels))
        .route("/v1/cluster/{address}", get(cluster))
        .route("/v1/incidents", get(incidents))
        .route("/v1/incidents/{id}", get(incident))
        .route("/v1/dashboard/dprk", get(dprk_dashboard))
        .route("/v1/watchlists", get(watchlists).post(watch_add))
        .route("/v1/watchlists/{id}", delete(watch_remove))
        .route("/v1/rules", get(rules))
        .route("/v1/health", get(health))
        .route("/v1/metrics", get(metrics))
        .route("/openapi.json", get(openapi_json))
}

/// Query-string parameters shared by the screening endpoints.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScreenParams {
    date: Option<String>,
    chain: Option<String>,
    paths: Option<String>,
}

fn params<T: for<'de> Deserialize<'de> + Default>(raw: Option<String>) -> Result<T, ApiError> {
    match raw {
        None => Ok(T::default()),
        Some(raw) => serde_urlencoded::from_str(&raw)
            .map_err(|e| ApiError::bad_request("bad_query", format!("query string: {e}"))),
    }
}

fn parse_date(text: Option<&str>) -> Result<Option<Date>, ApiError> {
    text.map(|t| {
        t.parse::<Date>()
            .map_err(|e| ApiError::bad_request("bad_date", format!("date: {e}")))
    })
    .transpose()
}

fn parse_chain(text: Option<&str>) -> Result<Option<Chain>, ApiError> {
    text.map(|t| {
        t.parse::<Chain>()
            .map_err(|e| ApiError::bad_request("unknown_chain", e.to_string()))
    })
    .transpose()
}

fn parse_bool(text: Option<&str>, name: &str) -> Result<bool, ApiError> {
    match text {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(other) => Err(ApiError::bad_request(
            "bad_query",
            format!("{name} `{other}`: expected true or false"),
        )),
    }
}

fn screen_query(address: String, raw: Option<String>) -> Result<Query, ApiError> {
    let p: ScreenParams = params(raw)?;
    Ok(Query {
        address,
        chain: parse_chain(p.chain.as_deref())?,
        at: parse_date(p.date.as_deref())?,
        paths: parse_bool(p.paths.as_deref(), "paths")?,
    })
}

/// Run blocking library work off the async workers. The work gets a [`Cancel`] flag that is
/// raised when the request stops waiting for it (the time limit drops this future, or the client
/// goes away), so that it stops instead of holding a CPU for an answer nobody reads.
pub(crate) async fn blocking<T: Send + 'static>(
    state: &Arc<AppState>,
    work: impl FnOnce(&Cancel) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let cancel = Cancel::new();
    let _cancel_when_dropped = cancel.on_drop();
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let metrics = &state.metrics;
        let _running = Running::start(&metrics.work_running);
        let result = work(&cancel);
        if matches!(&result, Err(e) if e.code == CANCELLED) {
            metrics.work_cancelled.fetch_add(1, Ordering::Relaxed);
        }
        result
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "a worker failed");
        ApiError::internal(format!("worker failed: {e}"))
    })?
}

/// Counts a piece of work as running until dropped (also when the work panics).
struct Running<'a>(&'a AtomicU64);

impl<'a> Running<'a> {
    fn start(gauge: &'a AtomicU64) -> Running<'a> {
        gauge.fetch_add(1, Ordering::Relaxed);
        Running(gauge)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Chainalysis' category names.
fn chainalysis_category(category: Category) -> &'static str {
    match category {
        Category::Sanctioned => "sanctions",
        Category::Hack => "stolen funds",
        Category::Ransomware => "ransomware",
        Category::Terrorism => "terrorist financing",
        Category::Abuse => "child abuse material",
        Category::Darknet => "darknet market",
        Category::Scam => "scam",
        Category::Phishing => "fraud shop",
        Category::FinancialCrime => "illicit actor-org",
        Category::Mixer => "mixing",
        Category::Blocked => "special measures",
        Category::Gambling => "gambling",
        Category::Market => "online pharmacy",
        Category::Otc => "p2p exchange",
        Category::Bridge => "bridge",
        Category::Dex => "decentralized exchange",
        Category::Exchange => "exchange",
        Category::Defi => "protocol privacy",
        Category::Miner => "mining pool",
        Category::WalletService => "hosted wallet",
        Category::Service => "merchant services",
        Category::Other => "other",
        // Categories added to chaintrail-labels later map to the vendor's catch-all.
        _ => "other",
    }
}

/// TRM's category names.
fn trm_category(category: Category) -> &'static str {
    match category {
        Category::Sanctioned => "Sanctions",
        Category::Hack => "Hacked or Stolen Funds",
        Category::Ransomware => "Ransomware",
        Category::Terrorism => "Terrorist Financing",
        Category::Abuse => "Child Sexual Abuse Material",
        Category::Darknet => "Darknet Market",
        Category::Scam => "Scam",
        Category::Phishing => "Phishing",
        Category::FinancialCrime => "Financial Crime",
        Category::Mixer => "Mixer",
        Category::Blocked => "Blocked by Issuer",
        Category::Gambling => "Gambling",
        Category::Market => "Marketplace",
        Category::Otc => "OTC Desk",
        Category::Bridge => "Bridge",
        Category::Dex => "Decentralized Exchange",
        Category::Exchange => "Exchange",
        Category::Defi => "DeFi",
        Category::Miner => "Mining Pool",
        Category::WalletService => "Hosted Wallet",
        Category::Service => "Service",
        Category::Other => "Other",
        // Categories added to chaintrail-labels later map to the vendor's catch-all.
        _ => "Other",
    }
}

fn identification(address: &str, o: &Ownership) -> Value {
    let name = if o.category == Category::Sanctioned && o.source == "ofac" {
        // OFAC dates no address: the date is the listing's only when a source gave it.
        let listed = match (o.valid_from, o.unknown_start) {
            (Some(first), Some(start)) => unknown_start_text(first, start),
            (Some(day), None) => day.to_string(),
            (None, _) => String::new(),
        };
        format!("SANCTIONS: OFAC SDN {} {listed} {address}", o.name)
    } else {
        format!(
            "{}: {}",
            chainalysis_category(o.category).to_uppercase(),
            o.name
        )
    };
    json!({
        "category": chainalysis_category(o.category),
        "name": name,
        "description": o.description,
        "url": o.url,
    })
}

async fn sanctions(
    State(state): Shared,
    Path(address): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = screen_query(address, raw)?;
    let (address, ownership) = state.screener.identify(&query)?;
    let identifications: Vec<Value> = ownership
        .iter()
        .filter(|o| o.category == Category::Sanctioned)
        .map(|o| identification(&address, o))
        .collect();
    Ok(Json(json!({ "identifications": identifications })))
}

async fn screening(state: &Arc<AppState>, query: Query) -> Result<Screening, ApiError> {
    let worker = state.clone();
    blocking(state, move |cancel| {
        worker
            .screener
            .screen_with(&query, cancel)
            .map_err(ApiError::from)
    })
    .await
}

/// Chainalysis' triggers: the exposures whose rule raised an alert, with the rule.
fn triggers(s: &Screening) -> Vec<Value> {
    s.exposures
        .iter()
        .filter(|e| e.alert)
        .map(|e| {
            let (kind, direction) = kind_and_direction(e.exposure_type, e.direction);
            json!({
                "category": chainalysis_category(e.category),
                "percentage": e.share,
                "message": format!("{} exposure to {} ({}): ${:.2}", kind, e.entity, e.category, e.usd),
                "ruleTriggered": {
                    "name": e.rule,
                    "risk": e.level.as_str(),
                    "exposureType": kind,
                    "direction": direction,
                },
            })
        })
        .collect()
}

/// Chainalysis' words for an exposure's type and direction.
fn kind_and_direction(t: ExposureType, d: Direction) -> (&'static str, &'static str) {
    let kind = match t {
        ExposureType::Direct => "direct",
        ExposureType::Indirect => "indirect",
    };
    let direction = match d {
        Direction::Incoming => "received",
        Direction::Outgoing => "sent",
    };
    (kind, direction)
}

async fn entity_risk(
    State(state): Shared,
    Path(address): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = screen_query(address, raw)?;
    let s = screening(&state, query).await?;
    let mut exposures: BTreeMap<(&str, &str, &str), f64> = BTreeMap::new();
    for e in &s.exposures {
        let (kind, direction) = kind_and_direction(e.exposure_type, e.direction);
        *exposures
            .entry((chainalysis_category(e.category), kind, direction))
            .or_default() += e.usd;
    }
    let cluster = s
        .ownership
        .first()
        .map(|o| json!({"name": o.name, "category": chainalysis_category(o.category)}));
    Ok(Json(json!({
        "address": s.address,
        "risk": s.risk.as_str(),
        "riskReason": s.risk_reason,
        "cluster": cluster,
        "addressType": "PRIVATE_WALLET",
        "addressIdentifications": s.ownership.iter().map(|o| identification(&s.address, o)).collect::<Vec<_>>(),
        "exposures": exposures.into_iter().map(|((category, kind, direction), value)| json!({
            "category": category,
            "value": (value * 100.0).round() / 100.0,
            "exposureType": kind,
            "direction": direction,
        })).collect::<Vec<_>>(),
        "triggers": triggers(&s),
        "status": "COMPLETE",
    })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrmItem {
    address: String,
    chain: String,
    #[serde(default)]
    account_external_id: Option<String>,
}

/// TRM chain names of chains chaintrail does not model: screened on labels alone.
const LABEL_ONLY_CHAINS: &[&str] = &[
    "tron",
    "litecoin",
    "bitcoin_cash",
    "monero",
    "dash",
    "zcash",
    "dogecoin",
    "ripple",
    "solana",
    "bitcoin_sv",
    "bitcoin_gold",
    "verge",
    "ethereum_classic",
];

fn usd_text(value: f64) -> String {
    format!("{value:.2}")
}

fn trm_result(item: &TrmItem, s: &Screening) -> Value {
    let mut indicators: Vec<Value> = s
        .ownership
        .iter()
        .map(|o| {
            json!({
                "category": trm_category(o.category),
                "categoryId": o.category.as_str(),
                "categoryRiskScoreLevel": o.level.score(),
                "categoryRiskScoreLevelLabel": o.level.as_str(),
                "incomingVolumeUsd": usd_text(s.volume.incoming_usd),
                "outgoingVolumeUsd": usd_text(s.volume.outgoing_usd),
                "totalVolumeUsd": usd_text(s.volume.incoming_usd + s.volume.outgoing_usd),
                "riskType": "OWNERSHIP",
            })
        })
        .collect();
    let mut by_category: BTreeMap<Category, (f64, f64, RiskLevel)> = BTreeMap::new();
    for e in &s.exposures {
        let entry = by_category
            .entry(e.category)
            .or_insert((0.0, 0.0, RiskLevel::Low));
        match e.direction {
            Direction::Incoming => entry.0 += e.usd,
            Direction::Outgoing => entry.1 += e.usd,
        }
        entry.2 = entry.2.max(e.level);
    }
    for (category, (incoming, outgoing, level)) in by_category {
        indicators.push(json!({
            "category": trm_category(category),
            "categoryId": category.as_str(),
            "categoryRiskScoreLevel": level.score(),
            "categoryRiskScoreLevelLabel": level.as_str(),
            "incomingVolumeUsd": usd_text(incoming),
            "outgoingVolumeUsd": usd_text(outgoing),
            "totalVolumeUsd": usd_text(incoming + outgoing),
            "riskType": "COUNTERPARTY",
        }));
    }
    let mut entities: Vec<Value> = Vec::new();
    let mut seen: HashMap<String, ()> = HashMap::new();
    let mut push = |name: &str, category: Category, level: RiskLevel| {
        if seen.insert(name.to_string(), ()).is_none() {
            entities.push(json!({
                "category": trm_category(category),
                "categoryId": category.as_str(),
                "entity": name,
                "riskScoreLevel": level.score(),
                "riskScoreLevelLabel": level.as_str(),
                "trmAppUrl": Value::Null,
                "trmUrn": format!("/chaintrail/entity/{}", name.to_lowercase().replace(' ', "-")),
            }));
        }
    };
    for o in &s.ownership {
        push(&o.name, o.category, o.level);
    }
    for e in &s.exposures {
        push(&e.entity, e.category, e.level);
    }
    json!({
        "accountExternalId": item.account_external_id,
        "address": s.address,
        "addressSubmitted": item.address,
        "chain": item.chain,
        "trmAppUrl": Value::Null,
        "addressRiskIndicators": indicators,
        "entities": entities,
    })
}

async fn trm_screening(
    State(state): Shared,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct TrmParams {
        date: Option<String>,
    }
    let p: TrmParams = params(raw)?;
    let at = parse_date(p.date.as_deref())?;
    let items: Vec<TrmItem> = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "bad_body",
            format!("body: {e}; expected a JSON array of {{\"address\", \"chain\"}}"),
        )
    })?;
    if items.len() > state.config.max_batch {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!(
                "{} addresses in one request; the limit is {}: split the batch",
                items.len(),
                state.config.max_batch
            ),
        ));
    }
    let mut queries = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let chain_name = item.chain.trim().to_ascii_lowercase();
        let chain =
            if LABEL_ONLY_CHAINS.contains(&chain_name.as_str()) {
                None
            } else {
                Some(item.chain.parse::<Chain>().map_err(|e| {
                    ApiError::bad_request("unknown_chain", format!("item {i}: {e}"))
                })?)
            };
        queries.push(Query {
            address: item.address.clone(),
            chain,
            at,
            paths: false,
        });
    }
    let worker = state.clone();
    let screenings = blocking(&state, move |cancel| {
        queries
            .iter()
            .enumerate()
            .map(|(i, q)| {
                worker.screener.screen_with(q, cancel).map_err(|e| {
                    let e = ApiError::from(e);
                    ApiError::new(e.status, e.code, format!("item {i}: {}", e.message))
                })
            })
            .collect::<Result<Vec<_>, _>>()
    })
    .await?;
    Ok(Json(Value::Array(
        items
            .iter()
            .zip(&screenings)
            .map(|(item, s)| trm_result(item, s))
            .collect(),
    )))
}

async fn screen(
    State(state): Shared,
    Path(address): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Screening>, ApiError> {
    let query = screen_query(address, raw)?;
    Ok(Json(screening(&state, query).await?))
}

fn reader_for<'a>(
    state: &'a AppState,
    chain: &str,
) -> Result<&'a chaintrail_store::ChainReader, ApiError> {
    let chain: Chain = chain.parse().map_err(|e: chaintrail_core::ChainError| {
        ApiError::bad_request("unknown_chain", e.to_string())
    })?;
    state
        .screener
        .readers()
        .get(&chain)
        .ok_or_else(|| ApiError::not_found(format!("the store has no data for chain {chain}")))
}

async fn address(
    State(state): Shared,
    Path((chain, address)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let reader = reader_for(&state, &chain)?;
    let parsed = chaintrail_core::Address::parse(reader.chain(), &address)
        .map_err(|e| ApiError::bad_request("bad_address", e.to_string()))?;
    let summary = chaintrail_query::address_summary(reader, &parsed, 10)
        .ok_or_else(|| ApiError::not_found(format!("{parsed} never appears on {chain}")))?;
    Ok(Json(json!(summary)))
}

async fn search(State(state): Shared, Path(text): Path<String>) -> Json<Value> {
    let hits = chaintrail_query::search(state.screener.readers(), &text);
    Json(json!({ "query": text.trim(), "hits": hits }))
}

async fn tx(
    State(state): Shared,
    Path((chain, hash)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let reader = reader_for(&state, &chain)?;
    let parsed: TxHash = hash.parse().map_err(|e: chaintrail_core::HashError| {
        ApiError::bad_request("bad_hash", e.to_string())
    })?;
    let summary = chaintrail_query::tx_summary(reader, &parsed)
        .ok_or_else(|| ApiError::not_found(format!("no transaction {parsed} on {chain}")))?;
    Ok(Json(json!(summary)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TraceBody {
    seeds: Vec<String>,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    max_hops: Option<u32>,
    #[serde(default)]
    min_value: Option<String>,
    #[serde(default)]
    until: Option<u64>,
    #[serde(default)]
    budget: Option<u64>,
}

/// The most work one HTTP trace may do.
pub(crate) const MAX_TRACE_BUDGET: u64 = 5_000_000;

async fn trace(State(state): Shared, body: Bytes) -> Result<Json<Value>, ApiError> {
    let body: TraceBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "bad_body",
            format!("body: {e}; expected {{\"seeds\": [\"<chain>:<tx|address>\"], …}}"),
        )
    })?;
    let seeds = body
        .seeds
        .iter()
        .map(|s| s.parse::<Seed>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::bad_request("bad_seed", e.to_string()))?;
    let policy: Policy = body
        .policy
        .as_deref()
        .unwrap_or("haircut")
        .parse()
        .map_err(|e: chaintrail_trace::UnknownPolicy| {
            ApiError::bad_request("bad_policy", e.to_string())
        })?;
    let defaults = TraceRequest::default();
    let request = TraceRequest {
        seeds,
        policy,
        max_hops: body.max_hops.unwrap_or(defaults.max_hops),
        min_value: body.min_value.unwrap_or(defaults.min_value),
        until: body.until,
        backward: false,
        budget: body
            .budget
            .unwrap_or(MAX_TRACE_BUDGET)
            .min(MAX_TRACE_BUDGET),
        cancel: Cancel::new(),
        min_confidence: defaults.min_confidence,
    };
    let worker = state.clone();
    let report = blocking(&state, move |cancel| {
        let request = TraceRequest {
            cancel: cancel.clone(),
            ..request
        };
        let report = worker.screener.trace(&request);
        report.map_err(|e| match e {
            TraceError::Cancelled { .. } => ApiError::cancelled(e.to_string()),
            e => ApiError::bad_request("bad_trace", e.to_string()),
        })
    })
    .await?;
    Ok(Json(json!(report)))
}

async fn labels(
    State(state): Shared,
    Path(address): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct LabelParams {
        date: Option<String>,
    }
    let p: LabelParams = params(raw)?;
    let at = parse_date(p.date.as_deref())?;
    Ok(Json(json!(state.screener.labels().show(&address, at))))
}

async fn cluster(
    State(state): Shared,
    Path(address): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct ClusterParams {
        chain: Option<String>,
    }
    let p: ClusterParams = params(raw)?;
    let chain = p
        .chain
        .map(|c| {
            c.parse::<Chain>()
                .map_err(|e| ApiError::bad_request("unknown_chain", e.to_string()))
        })
        .transpose()?;
    let clusters = state.screener.clusters().ok_or_else(|| {
        ApiError::not_found("no clusters were built for this store: run `chaintrail cluster build`")
    })?;
    let found = clusters.find(&address, chain);
    if found.is_empty() {
        return Err(ApiError::not_found(format!(
            "{address} is not in a clustered chain of the store"
        )));
    }
    Ok(Json(json!(found)))
}

async fn incidents(State(state): Shared, RawQuery(raw): RawQuery) -> Result<Json<Value>, ApiError> {
    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct IncidentParams {
        year: Option<u16>,
        actor: Option<String>,
        chain: Option<String>,
        victim: Option<String>,
    }
    let p: IncidentParams = params(raw)?;
    let filter = IncidentFilter {
        year: p.year,
        actor: p.actor,
        chain: p.chain,
        victim: p.victim,
    };
    Ok(Json(json!({
        "incidents": state.incidents.list(&filter),
        "stats": state.incidents.stats(),
    })))
}

async fn incident(State(state): Shared, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    state
        .incidents
        .get(&id)
        .map(|i| Json(json!(i)))
        .ok_or_else(|| ApiError::not_found(format!("no incident `{id}`")))
}

/// The incident dashboard: the ledger's DPRK thefts per year beside the published totals.
async fn dprk_dashboard(State(state): Shared) -> Json<chaintrail_labels::dashboard::DprkDashboard> {
    Json(chaintrail_labels::dashboard::dprk_dashboard(
        &state.incidents,
    ))
}

fn watch_error(err: AlertError) -> ApiError {
    match err {
        AlertError::AlreadyWatched { .. } => {
            ApiError::new(StatusCode::CONFLICT, "already_watched", err.to_string())
        }
        AlertError::BadWatch(message) => ApiError::bad_request("bad_watch", message),
        AlertError::UnknownWatch(_) => ApiError::not_found(err.to_string()),
        other => ApiError::internal(other.to_string()),
    }
}

async fn watchlists(State(state): Shared) -> Result<Json<Value>, ApiError> {
    let list = Watchlist::open(state.screener.dir()).map_err(watch_error)?;
    Ok(Json(json!({"entries": list.entries()})))
}

async fn watch_add(State(state): Shared, body: Bytes) -> Result<Json<Value>, ApiError> {
    let request: WatchRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "bad_body",
            format!(
                "body: {e}; expected {{\"kind\": \"address\", \"chain\": …, \"address\": …}} \
                 (kinds: address, entity, cluster, case)"
            ),
        )
    })?;
    let target = request.target().map_err(watch_error)?;
    // One edit of the file at a time: concurrent requests would lose each other's entries.
    let _edit = state.watch_edits.lock().await;
    let mut list = Watchlist::open(state.screener.dir()).map_err(watch_error)?;
    let entry = list.add(target, request.note).map_err(watch_error)?;
    Ok(Json(json!(entry)))
}

async fn watch_remove(
    State(state): Shared,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let _edit = state.watch_edits.lock().await;
    let mut list = Watchlist::open(state.screener.dir()).map_err(watch_error)?;
    let removed = list.remove(&id).map_err(watch_error)?;
    Ok(Json(json!(removed)))
}

async fn rules(State(state): Shared) -> Json<Value> {
    let table = state.screener.rules();
    Json(json!({
        "rules": table.rules,
        "hop_discount": table.hop_discount,
        "fingerprint": table.fingerprint(),
        "source": table.source.as_ref().map_or("built-in", |_| "file"),
    }))
}

async fn health(State(state): Shared) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "chains": state.screener.readers().keys().map(ToString::to_string).collect::<Vec<_>>(),
        "labels": state.screener.labels().labels().len(),
        "exposure_index": state.screener.index_status(),
    }))
}

async fn metrics(State(state): Shared) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

async fn openapi_json() -> Json<Value> {
    Json(openapi::document())
}
