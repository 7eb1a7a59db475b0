//! The OpenAPI 3 document of the server. docs/openapi.json is this document, pretty-printed; a
//! test keeps the two equal (`CHAINTRAIL_WRITE_OPENAPI=1 cargo test -p chaintrail-server`
//! rewrites the file).

use serde_json::{Value, json};

fn error_responses() -> Value {
    let error = json!({"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    json!({
        "400": error, "401": error, "404": error, "413": error, "429": error, "503": error
    })
}

fn op(summary: &str, tag: &str, params: Value, ok: Value, body: Option<Value>) -> Value {
    let mut responses = error_responses();
    responses["200"] =
        json!({"description": "OK", "content": {"application/json": {"schema": ok}}});
    let mut op = json!({
        "summary": summary,
        "tags": [tag],
        "parameters": params,
        "responses": responses,
    });
    if let Some(schema) = body {
        op["requestBody"] =
            json!({"required": true, "content": {"application/json": {"schema": schema}}});
    }
    op
}

/// An operation that also answers 409 (a conflict with what exists).
fn with_conflict(mut op: Value) -> Value {
    op["responses"]["409"] = json!({"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    op
}

fn path_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": {"type": "string"}})
}

fn query_param(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

fn date_param() -> Value {
    query_param(
        "date",
        "Screening date (YYYY-MM-DD): labels valid that day, transfers up to its end. Default: today (UTC).",
        json!({"type": "string", "format": "date"}),
    )
}

/// `op` answering 201 Created instead of 200.
fn created(mut op: Value) -> Value {
    if let Some(responses) = op["responses"].as_object_mut()
        && let Some(ok) = responses.remove("200")
    {
        responses.insert("201".to_string(), ok);
    }
    op
}

/// A case's report in three formats.
fn report_op() -> Value {
    let mut op = op(
        "The case's report: its trace under its policy and every other side by side, flow chart (HTML/PDF), method and a citation for every transaction. PDF needs Chromium on the server (503 without it)",
        "cases",
        json!([
            path_param("id", "Case id"),
            query_param(
                "format",
                "json (exact, default), html (rounded, with a flow chart) or pdf",
                json!({"type": "string", "enum": ["json", "html", "pdf"]})
            )
        ]),
        obj(),
        None,
    );
    op["responses"]["200"]["content"] = json!({
        "application/json": {"schema": obj()},
        "text/html": {"schema": {"type": "string"}},
        "application/pdf": {"schema": {"type": "string", "format": "binary"}}
    });
    op
}

fn chain_param() -> Value {
    query_param(
        "chain",
        "Chain of the address (bitcoin, ethereum, anvil, evm:<id>, …). Default: inferred from the address.",
        json!({"type": "string"}),
    )
}

fn obj() -> Value {
    json!({"type": "object"})
}

/// The document.
pub fn document() -> Value {
    let addr = path_param("address", "The address to screen (checksums are verified).");
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "chaintrail API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Screening (Chainalysis- and TRM-compatible shapes) and the native chaintrail API. See docs/api.md.",
            "license": {"name": "Apache-2.0"}
        },
        "security": [{"apiKey": []}, {"token": []}, {"basic": []}, {"bearer": []}],
        "paths": {
            "/api/v1/address/{address}": {"get": op(
                "Sanctions check (Chainalysis free sanctions API shape)", "compatible",
                json!([addr, date_param(), chain_param()]),
                json!({"$ref": "#/components/schemas/Identifications"}), None)},
            "/api/risk/v2/entities/{address}": {"get": op(
                "Entity risk with exposures (Chainalysis entity-risk shape)", "compatible",
                json!([addr, date_param(), chain_param()]),
                json!({"$ref": "#/components/schemas/EntityRisk"}), None)},
            "/public/v2/screening/addresses": {"post": op(
                "Batch address screening (TRM wallet screening shape)", "compatible",
                json!([date_param()]),
                json!({"type": "array", "items": {"$ref": "#/components/schemas/TrmResult"}}),
                Some(json!({"type": "array", "items": {"$ref": "#/components/schemas/TrmRequestItem"}})))},
            "/v1/screen/{address}": {"get": op(
                "Native screening: ownership, exposures by category, entity, direction and hop, paths on request", "native",
                json!([addr, date_param(), chain_param(),
                    query_param("paths", "Include up to 3 paths per exposure (computed, not from the index).", json!({"type": "boolean"}))]),
                json!({"$ref": "#/components/schemas/Screening"}), None)},
            "/v1/address/{chain}/{address}": {"get": op(
                "Address summary: balances, activity, top counterparties", "native",
                json!([path_param("chain", "Chain name"), path_param("address", "Address")]), obj(), None)},
            "/v1/search/{text}": {"get": op(
                "What a typed text is in the store: the address or transaction it names, on each chain that has it", "native",
                json!([path_param("text", "An address or a transaction hash, as typed")]),
                json!({"$ref": "#/components/schemas/SearchResult"}), None)},
            "/v1/tx/{chain}/{hash}": {"get": op(
                "Transaction summary", "native",
                json!([path_param("chain", "Chain name"), path_param("hash", "Transaction hash (64 hex digits)")]), obj(), None)},
            "/v1/trace": {"post": op(
                "Trace funds forward (the same report as `chaintrail trace --format json`)", "native",
                json!([]), obj(),
                Some(json!({"$ref": "#/components/schemas/TraceRequest"})))},
            "/v1/sankey": {"post": op(
                "The Sankey of a trace report (a /v1/trace answer posted back as it is): the value per hop and where it ended, one per asset, exact amounts (base units and whole units), the layout and an SVG drawing with rounded tooltips. Nothing is traced again", "native",
                json!([]),
                json!({"type": "object", "required": ["sankeys"], "properties": {"sankeys": {"type": "array", "items": {"$ref": "#/components/schemas/Sankey"}}}}),
                Some(json!({"type": "object", "required": ["endpoints"], "properties": {"endpoints": {"type": "array", "items": {
                    "type": "object", "required": ["kind", "hops", "chain", "value"], "properties": {
                        "kind": {"type": "string", "enum": ["service", "entered", "bridge_pending", "unspent", "fee", "burnt", "hop_limit", "dust", "unexplored", "too_large", "minted", "untracked"]},
                        "category": {"type": "string", "nullable": true},
                        "hops": {"type": "integer", "minimum": 0, "maximum": 500},
                        "chain": {"type": "string"},
                        "value": {"type": "object", "required": ["asset", "decimals", "amount"], "properties": {
                            "asset": {"type": "string"}, "decimals": {"type": "integer", "minimum": 0, "maximum": 255},
                            "amount": {"type": "string", "description": "base units, a whole number"},
                            "usd": {"type": "number", "nullable": true}}}}}}}})))},
            "/v1/cases": {
                "get": op("Saved cases, newest first", "cases", json!([]),
                    json!({"type": "object", "required": ["cases"], "properties": {"cases": {"type": "array", "items": {"$ref": "#/components/schemas/Case"}}}}), None),
                "post": created(op("Save a case: seeds, policy and limits, notes, annotations and the trace as seen (kept in the data dir)", "cases",
                    json!([]), json!({"$ref": "#/components/schemas/Case"}),
                    Some(json!({"$ref": "#/components/schemas/NewCase"}))))},
            "/v1/cases/{id}": {
                "get": op(
                    "One case, as saved (its JSON export)", "cases",
                    json!([path_param("id", "Case id")]), json!({"$ref": "#/components/schemas/Case"}), None),
                "patch": op(
                    "Edit a case's name, notes or annotations (each field given changes it; seeds, policy, limits and the saved trace stay); answers the case as saved", "cases",
                    json!([path_param("id", "Case id")]), json!({"$ref": "#/components/schemas/Case"}),
                    Some(json!({"$ref": "#/components/schemas/CaseEdit"}))),
                "delete": op(
                    "Delete a case; answers it as it was", "cases",
                    json!([path_param("id", "Case id")]), json!({"$ref": "#/components/schemas/Case"}), None)},
            "/v1/cases/{id}/report": {"get": report_op()},
            "/v1/cases/{id}/freeze-pack": {"get": op(
                "Freeze-request packs of the case: per exchange reached, its deposits (address, stolen amount, transaction, block number and hash, time), the path to each and the citations", "cases",
                json!([path_param("id", "Case id")]),
                json!({"type": "object", "required": ["packs"], "properties": {"packs": {"type": "array", "items": obj()}}}), None)},
            "/v1/labels/{address}": {"get": op(
                "Labels of an address, optionally those valid at a date", "native",
                json!([path_param("address", "Address as written"), date_param()]), obj(), None)},
            "/v1/cluster/{address}": {"get": op(
                "The address's cluster on each clustered chain (or `chain`): id, size, first/last seen, the service it is with the labelled address that says so, and the merge that joined the address", "native",
                json!([path_param("address", "Address as written"),
                       query_param("chain", "Chain name", json!({"type": "string"}))]), obj(), None)},
            "/v1/incidents": {"get": op(
                "Incident ledger with tallies", "native",
                json!([
                    query_param("year", "Year", json!({"type": "integer", "minimum": 0, "maximum": 65535})),
                    query_param("actor", "Attribution substring, or `unattributed`", json!({"type": "string"})),
                    query_param("chain", "Chain substring", json!({"type": "string"})),
                    query_param("victim", "Victim substring", json!({"type": "string"}))
                ]), obj(), None)},
            "/v1/incidents/{id}": {"get": op(
                "One incident", "native", json!([path_param("id", "Incident id")]), obj(), None)},
            "/v1/dashboard/dprk": {"get": op(
                "The incident dashboard: DPRK-attributed stolen value per year from the store's incident ledger (series `ledger`) beside the yearly totals others published (one series per publisher; each point with its scope, publication date, whether the reference verified it, and its citation), totals over several years beside the ledger's sum over the same years (`spans`), why they differ (`explanations`), and the ledger's DPRK incidents with their trace seeds", "native",
                json!([]),
                json!({"type": "object", "required": ["series", "spans", "explanations", "incidents"], "properties": {
                    "series": {"type": "array", "items": {"type": "object", "required": ["id", "what", "points"], "properties": {
                        "id": {"type": "string"}, "what": {"type": "string"},
                        "points": {"type": "array", "items": {"$ref": "#/components/schemas/DashboardPoint"}}}}},
                    "spans": {"type": "array", "items": {"type": "object", "required": ["publisher", "since", "until", "published", "ledger_usd", "ledger_incidents"], "properties": {
                        "publisher": {"type": "string"}, "since": {"type": "integer"}, "until": {"type": "integer"},
                        "published": {"$ref": "#/components/schemas/DashboardPoint"},
                        "ledger_usd": {"type": "integer"}, "ledger_incidents": {"type": "integer"}}}},
                    "explanations": {"type": "array", "items": {"type": "array"}},
                    "incidents": {"type": "array", "items": {"type": "object", "required": ["id", "date", "victim", "chains", "seeds"], "properties": {
                        "id": {"type": "string"}, "date": {"type": "string"}, "date_precision": {"type": "string", "enum": ["day", "year"]},
                        "victim": {"type": "string"}, "chains": {"type": "array", "items": {"type": "string"}},
                        "amount_usd": {"type": "integer", "nullable": true}, "amount_as_written": {"type": "string"},
                        "seeds": {"type": "array", "items": {"type": "string"}, "description": "<chain>:<tx hash>, for POST /v1/trace"}}}}}}),
                None)},
            "/v1/watchlists": {
                "get": op("The watchlist alerts are raised for (docs/alerts.md)", "native", json!([]),
                    json!({"type": "object", "required": ["entries"], "properties": {
                        "entries": {"type": "array", "items": {"$ref": "#/components/schemas/WatchEntry"}}}}), None),
                "post": with_conflict(op(
                    "Watch an address, an entity, a cluster or a trace case; answers the entry with its id (409 when the target is watched already)", "native",
                    json!([]), json!({"$ref": "#/components/schemas/WatchEntry"}),
                    Some(json!({"$ref": "#/components/schemas/WatchRequest"}))))},
            "/v1/watchlists/{id}": {"delete": op(
                "Stop watching entry `id`; answers the removed entry", "native",
                json!([path_param("id", "Watch entry id (GET /v1/watchlists)")]),
                json!({"$ref": "#/components/schemas/WatchEntry"}), None)},
            "/v1/rules": {"get": op("The risk rule table in force (built-in or `--rules FILE`): rules in order, first match wins", "native", json!([]), obj(), None)},
            "/v1/health": {"get": {
                "summary": "Liveness and what is loaded (no key needed)", "tags": ["native"], "security": [],
                "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": obj()}}}}}},
            "/v1/metrics": {"get": {
                "summary": "Prometheus metrics", "tags": ["native"],
                "responses": {"200": {"description": "OK", "content": {"text/plain": {"schema": {"type": "string"}}}},
                              "401": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
            "/openapi.json": {"get": {
                "summary": "This document (no key needed)", "tags": ["native"], "security": [],
                "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": obj()}}}}}}
        },
        "components": {
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "token": {"type": "apiKey", "in": "header", "name": "Token"},
                "basic": {"type": "http", "scheme": "basic", "description": "TRM style: the key as user name"},
                "bearer": {"type": "http", "scheme": "bearer"}
            },
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["status", "code", "message"], "properties": {
                        "status": {"type": "integer"}, "code": {"type": "string"}, "message": {"type": "string"}}}}},
                "Identification": {"type": "object", "required": ["category", "name", "description", "url"], "properties": {
                    "category": {"type": "string"}, "name": {"type": "string"},
                    "description": {"type": "string"}, "url": {"type": "string", "nullable": true}}},
                "SearchResult": {"type": "object", "required": ["query", "hits"], "properties": {
                    "query": {"type": "string"},
                    "hits": {"type": "array", "items": {"type": "object", "required": ["kind", "chain", "id"], "properties": {
                        "kind": {"type": "string", "enum": ["address", "transaction"]},
                        "chain": {"type": "string"},
                        "id": {"type": "string"}}}}}},
                "Identifications": {"type": "object", "required": ["identifications"], "properties": {
                    "identifications": {"type": "array", "items": {"$ref": "#/components/schemas/Identification"}}}},
                "EntityRisk": {"type": "object", "required": ["address", "risk", "riskReason", "cluster", "addressIdentifications", "exposures"], "properties": {
                    "address": {"type": "string"},
                    "risk": {"type": "string", "enum": ["Low", "Medium", "High", "Severe"]},
                    "riskReason": {"type": "string", "nullable": true},
                    "cluster": {"type": "object", "nullable": true, "properties": {"name": {"type": "string"}, "category": {"type": "string"}}},
                    "addressType": {"type": "string"},
                    "addressIdentifications": {"type": "array", "items": {"$ref": "#/components/schemas/Identification"}},
                    "exposures": {"type": "array", "items": {"type": "object", "required": ["category", "value", "exposureType", "direction"], "properties": {
                        "category": {"type": "string"}, "value": {"type": "number"},
                        "exposureType": {"type": "string", "enum": ["direct", "indirect"]},
                        "direction": {"type": "string", "enum": ["received", "sent"]}}}},
                    "triggers": {"type": "array", "items": {"type": "object"}},
                    "status": {"type": "string"}}},
                "TrmRequestItem": {"type": "object", "required": ["address", "chain"], "properties": {
                    "address": {"type": "string"}, "chain": {"type": "string"},
                    "accountExternalId": {"type": "string", "nullable": true}}},
                "TrmResult": {"type": "object", "required": ["address", "addressSubmitted", "chain", "addressRiskIndicators", "entities"], "properties": {
                    "accountExternalId": {"type": "string", "nullable": true},
                    "address": {"type": "string"}, "addressSubmitted": {"type": "string"}, "chain": {"type": "string"},
                    "trmAppUrl": {"type": "string", "nullable": true},
                    "addressRiskIndicators": {"type": "array", "items": {"type": "object", "required": ["category", "categoryRiskScoreLevel", "categoryRiskScoreLevelLabel", "incomingVolumeUsd", "outgoingVolumeUsd", "totalVolumeUsd", "riskType"], "properties": {
                        "category": {"type": "string"}, "categoryId": {"type": "string"},
                        "categoryRiskScoreLevel": {"type": "integer", "enum": [1, 5, 10, 15]},
                        "categoryRiskScoreLevelLabel": {"type": "string", "enum": ["Low", "Medium", "High", "Severe"]},
                        "incomingVolumeUsd": {"type": "string"}, "outgoingVolumeUsd": {"type": "string"}, "totalVolumeUsd": {"type": "string"},
                        "riskType": {"type": "string", "enum": ["OWNERSHIP", "COUNTERPARTY"]}}}},
                    "entities": {"type": "array", "items": {"type": "object", "properties": {
                        "category": {"type": "string"}, "categoryId": {"type": "string"}, "entity": {"type": "string"},
                        "riskScoreLevel": {"type": "integer"}, "riskScoreLevelLabel": {"type": "string"},
                        "trmAppUrl": {"type": "string", "nullable": true}, "trmUrn": {"type": "string"}}}}}},
                "Screening": {"type": "object", "required": ["address", "chains", "at", "risk", "alerts", "sanctions", "ownership", "exposures", "volume", "excluded_dust", "truncated", "origin"], "properties": {
                    "address": {"type": "string"}, "chains": {"type": "array", "items": {"type": "string"}},
                    "at": {"type": "string", "format": "date"},
                    "risk": {"type": "string", "enum": ["Low", "Medium", "High", "Severe"]},
                    "risk_reason": {"type": "string", "nullable": true},
                    "risk_rule": {"type": "string", "description": "The rule of the risk rule table (GET /v1/rules) that set `risk`; absent when nothing raises it above Low."},
                    "alerts": {"type": "array", "items": {"type": "string"}, "description": "The rules that raised an alert, most severe first."},
                    "sanctions": {"$ref": "#/components/schemas/SanctionStatus"},
                    "ownership": {"type": "array", "items": {"type": "object"}},
                    "ownership_unknown": {"type": "array", "items": {"type": "object"}, "description": "Labels whose status at the date is unknown (an OFAC listing before the first snapshot holding the address, its designation date unknown): not in ownership, not scored."},
                    "exposures": {"type": "array", "items": {"type": "object"}},
                    "volume": {"type": "object"},
                    "excluded_dust": {"type": "array", "items": {"type": "object"}},
                    "truncated": {"type": "boolean"},
                    "origin": {"type": "string", "enum": ["index", "computed", "labels_only"]}}},
                "SanctionStatus": {"type": "object", "required": ["status"], "properties": {
                    "status": {"type": "string", "enum": ["sanctioned", "unknown", "not_sanctioned"]},
                    "listed_from": {"type": "string", "format": "date", "description": "With `unknown`: the first OFAC snapshot listing the address; before it, whether it was listed is unknown."}}},
                "WatchRequest": {"type": "object", "required": ["kind"], "additionalProperties": false, "properties": {
                    "kind": {"type": "string", "enum": ["address", "entity", "cluster", "case"]},
                    "chain": {"type": "string", "description": "address, cluster: the chain (ethereum, bitcoin, anvil, evm:<id>, …)"},
                    "address": {"type": "string", "description": "address, cluster: the address (of the cluster)"},
                    "name": {"type": "string", "description": "entity: the entity's name as the labels give it"},
                    "seeds": {"type": "array", "items": {"type": "string"}, "description": "case: <chain>:<tx hash | address | txid:vout>"},
                    "policy": {"type": "string", "enum": ["poison", "haircut", "fifo", "lifo", "tiho"]},
                    "max_hops": {"type": "integer", "minimum": 1, "maximum": 4294967295u64},
                    "min_value": {"type": "string"},
                    "note": {"type": "string"}}},
                "WatchEntry": {"type": "object", "required": ["id", "kind"], "properties": {
                    "id": {"type": "string"},
                    "kind": {"type": "string", "enum": ["address", "entity", "cluster", "case"]},
                    "chain": {"type": "string"}, "address": {"type": "string"}, "name": {"type": "string"},
                    "seeds": {"type": "array", "items": {"type": "string"}},
                    "policy": {"type": "string"}, "max_hops": {"type": "integer"}, "min_value": {"type": "string"},
                    "note": {"type": "string"}}},
                "NewCase": {"type": "object", "required": ["name", "seeds"], "additionalProperties": false, "properties": {
                    "name": {"type": "string"},
                    "seeds": {"type": "array", "items": {"type": "string"}, "description": "<chain>:<tx hash | address | txid:vout>"},
                    "policy": {"type": "string", "enum": ["poison", "haircut", "fifo", "lifo", "tiho"]},
                    "max_hops": {"type": "integer", "minimum": 1, "maximum": 4294967295u64},
                    "min_value": {"type": "string"},
                    "notes": {"type": "string"},
                    "annotations": {"type": "array", "items": {"type": "object", "required": ["target", "note"], "properties": {
                        "target": {"type": "string"}, "note": {"type": "string"}}}},
                    "trace": {"type": "object", "nullable": true, "description": "The trace as the investigator saw it (a /v1/trace answer), kept as it was"}}},
                "Sankey": {"type": "object", "required": ["chain", "asset", "decimals", "nodes", "links", "svg"], "properties": {
                    "chain": {"type": "string"}, "asset": {"type": "string"}, "decimals": {"type": "integer"},
                    "nodes": {"type": "array", "items": {"type": "object", "required": ["id", "label", "column", "amount", "units", "x", "y", "height"], "properties": {
                        "id": {"type": "string"}, "label": {"type": "string"}, "column": {"type": "integer"},
                        "amount": {"type": "string", "description": "base units, exact"}, "units": {"type": "string", "description": "whole units, exact"},
                        "usd": {"type": "number", "nullable": true},
                        "x": {"type": "number"}, "y": {"type": "number"}, "height": {"type": "number"}}}},
                    "links": {"type": "array", "items": {"type": "object", "required": ["source", "target", "amount", "units"], "properties": {
                        "source": {"type": "string"}, "target": {"type": "string"},
                        "amount": {"type": "string"}, "units": {"type": "string"}, "usd": {"type": "number", "nullable": true}}}},
                    "svg": {"type": "string"}}},
                "DashboardPoint": {"type": "object", "required": ["year", "usd", "scope", "verified", "citation"], "properties": {
                    "year": {"type": "integer"}, "usd": {"type": "integer"}, "incidents": {"type": "integer", "nullable": true},
                    "scope": {"type": "string"}, "published": {"type": "string", "nullable": true},
                    "verified": {"type": "boolean", "description": "false: the reference did not check the figure; show it labelled unverified"},
                    "citation": {"type": "string"}}},
                "CaseEdit": {"type": "object", "additionalProperties": false, "properties": {
                    "name": {"type": "string", "description": "Not blank (400 when it is)"},
                    "notes": {"type": "string"},
                    "annotations": {"type": "array", "description": "Replaces all the case's annotations", "items": {"$ref": "#/components/schemas/Annotation"}},
                    "annotate": {"type": "array", "description": "Added, each replacing an earlier one on the same target", "items": {"$ref": "#/components/schemas/Annotation"}},
                    "unannotate": {"type": "array", "description": "Targets whose annotation goes (400 when the case has none on one)", "items": {"type": "string"}}}},
                "Annotation": {"type": "object", "required": ["target", "note"], "properties": {
                    "target": {"type": "string"}, "note": {"type": "string"}}},
                "Case": {"type": "object", "required": ["id", "created_at", "name", "seeds", "policy", "max_hops", "min_value", "notes", "annotations"], "properties": {
                    "id": {"type": "string"}, "created_at": {"type": "string"},
                    "updated_at": {"type": "string", "description": "When it was last edited; absent until then"},
                    "name": {"type": "string"},
                    "seeds": {"type": "array", "items": {"type": "string"}},
                    "policy": {"type": "string"}, "max_hops": {"type": "integer"}, "min_value": {"type": "string"},
                    "notes": {"type": "string"}, "annotations": {"type": "array", "items": obj()},
                    "trace": {"type": "object", "nullable": true}}},
                "TraceRequest": {"type": "object", "required": ["seeds"], "additionalProperties": false, "properties": {
                    "seeds": {"type": "array", "items": {"type": "string"}, "description": "<chain>:<tx hash | address | txid:vout>"},
                    "policy": {"type": "string", "enum": ["poison", "haircut", "fifo", "lifo", "tiho"]},
                    "max_hops": {"type": "integer", "minimum": 1, "maximum": 4294967295u64},
                    "min_value": {"type": "string"},
                    "until": {"type": "integer", "minimum": 0},
                    "budget": {"type": "integer", "minimum": 0}}}
            }
        }
    })
}
