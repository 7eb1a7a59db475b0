//! Cases over HTTP on the browser test's small world (tests/ui_world): the exploiter's 100
//! stolen ETH, of which FIFO puts 10 and haircut 40 into the 60 ETH sent to Binance.

mod common;
mod ui_world;

use common::{KEY, config, delete, get, patch, post, start};
use serde_json::json;

const ETH: u128 = 1_000_000_000_000_000_000;

#[test]
fn a_saved_case_reloads_and_gives_its_report_and_freeze_pack() {
    let dir = tempfile::tempdir().expect("tempdir");
    ui_world::build(dir.path());
    let server = start(dir.path(), config());
    let seed = format!("ethereum:{}", ui_world::hash(2).to_hex_prefixed());

    let body = serde_json::json!({
        "name": "Ronin exploiter, day one",
        "seeds": [seed],
        "policy": "fifo",
        "notes": "Binance reserve reached within an hour",
        "annotations": [{"target": ui_world::BINANCE, "note": "ask for a freeze"}],
        "trace": {"policy": "fifo", "endpoints": []},
    });
    let saved = post(&server, "/v1/cases", &body.to_string(), Some(KEY));
    assert_eq!(saved.status, 201, "{}", saved.json);
    let id = saved.json["id"].as_str().expect("id").to_string();
    assert_eq!(id, "ronin-exploiter-day-one-1");
    assert!(
        dir.path()
            .join("cases")
            .join(format!("{id}.json"))
            .is_file()
    );

    let listed = get(&server, "/v1/cases", Some(KEY));
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json["cases"].as_array().expect("cases").len(), 1);
    let loaded = get(&server, &format!("/v1/cases/{id}"), Some(KEY));
    assert_eq!(loaded.status, 200);
    assert_eq!(
        loaded.json["notes"],
        "Binance reserve reached within an hour"
    );
    assert_eq!(loaded.json["annotations"][0]["note"], "ask for a freeze");
    assert_eq!(loaded.json["trace"]["policy"], "fifo");

    // The report compares the policies on what reached Binance: 10 ETH (FIFO), 40 (haircut).
    let report = get(
        &server,
        &format!("/v1/cases/{id}/report?format=json"),
        Some(KEY),
    );
    assert_eq!(report.status, 200, "{}", report.json);
    let policies: Vec<&str> = report.json["comparison"]["policies"]
        .as_array()
        .expect("policies")
        .iter()
        .map(|p| p["policy"].as_str().expect("policy"))
        .collect();
    assert_eq!(policies, ["fifo", "poison", "haircut", "lifo", "tiho"]);
    let binance = report.json["comparison"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["category"] == "exchange")
        .expect("an exchange reached");
    let amount = |i: usize| {
        binance["values"][i][0]["amount"]
            .as_str()
            .expect("amount")
            .to_string()
    };
    assert_eq!(amount(0), (10 * ETH).to_string());
    assert_eq!(amount(2), (40 * ETH).to_string());
    assert_eq!(amount(1), (60 * ETH).to_string());
    // Every transaction of the paths is cited, with its block.
    let citations = report.json["citations"].as_array().expect("citations");
    assert!(
        citations
            .iter()
            .any(|c| c["block_number"] == 3 && c["tx"] == ui_world::hash(3).to_hex_prefixed())
    );

    let html = minreq::get(format!("{}/v1/cases/{id}/report?format=html", server.base))
        .with_header("X-API-Key", KEY)
        .send()
        .expect("GET html");
    assert_eq!(html.status_code, 200);
    let text = html.as_str().expect("utf-8");
    assert!(text.contains("<svg class=\"flow\""), "no flow chart");
    assert!(text.contains("Ronin exploiter, day one"));

    let packs = get(&server, &format!("/v1/cases/{id}/freeze-pack"), Some(KEY));
    assert_eq!(packs.status, 200, "{}", packs.json);
    let packs = packs.json["packs"].as_array().expect("packs");
    assert_eq!(packs.len(), 1);
    assert_eq!(packs[0]["deposits"][0]["address"], ui_world::BINANCE);
    assert_eq!(packs[0]["deposits"][0]["amount"], (10 * ETH).to_string());
    assert_eq!(packs[0]["deposits"][0]["block_number"], 3);
}

#[test]
fn cases_say_what_was_wrong() {
    let dir = tempfile::tempdir().expect("tempdir");
    ui_world::build(dir.path());
    let server = start(dir.path(), config());
    let missing = get(&server, "/v1/cases/nope-1", Some(KEY));
    assert_eq!(missing.status, 404);
    assert!(
        missing.json["error"]["message"]
            .as_str()
            .expect("message")
            .contains("nope-1")
    );
    let unkeyed = get(&server, "/v1/cases", None);
    assert_eq!(unkeyed.status, 401);
    let no_seed = post(
        &server,
        "/v1/cases",
        r#"{"name":"x","seeds":[]}"#,
        Some(KEY),
    );
    assert_eq!(no_seed.status, 400);
    assert!(
        no_seed.json["error"]["message"]
            .as_str()
            .expect("message")
            .contains("seed")
    );
    let bad_seed = post(
        &server,
        "/v1/cases",
        r#"{"name":"x","seeds":["narnia:0x00"]}"#,
        Some(KEY),
    );
    assert_eq!(bad_seed.status, 400, "{}", bad_seed.json);
    let unknown_field = post(
        &server,
        "/v1/cases",
        r#"{"name":"x","seeds":[],"colour":1}"#,
        Some(KEY),
    );
    assert_eq!(unknown_field.status, 400);
    let seed = format!("ethereum:{}", ui_world::hash(2).to_hex_prefixed());
    let saved = post(
        &server,
        "/v1/cases",
        &format!(r#"{{"name":"x","seeds":["{seed}"]}}"#),
        Some(KEY),
    );
    assert_eq!(saved.status, 201);
    let format = get(&server, "/v1/cases/x-1/report?format=docx", Some(KEY));
    assert_eq!(format.status, 400);
    assert_eq!(format.json["error"]["code"], "bad_format");
}

#[test]
fn a_case_is_edited_and_deleted_over_http() {
    let dir = tempfile::tempdir().expect("tempdir");
    ui_world::build(dir.path());
    let server = start(dir.path(), config());
    let seed = format!("ethereum:{}", ui_world::hash(2).to_hex_prefixed());
    let created = post(
        &server,
        "/v1/cases",
        &format!(r#"{{"name":"Ronin","seeds":["{seed}"],"policy":"fifo","notes":"first"}}"#),
        Some(KEY),
    );
    assert_eq!(created.status, 201, "{}", created.json);
    let id = created.json["id"].as_str().expect("id").to_string();

    let unkeyed = patch(
        &server,
        &format!("/v1/cases/{id}"),
        r#"{"notes":"x"}"#,
        None,
    );
    assert_eq!(unkeyed.status, 401);
    let edited = patch(
        &server,
        &format!("/v1/cases/{id}"),
        r#"{"name":"Ronin, day two","notes":"Binance froze it","annotations":[{"target":"0xabc","note":"exploiter"}]}"#,
        Some(KEY),
    );
    assert_eq!(edited.status, 200, "{}", edited.json);
    assert_eq!(edited.json["id"], id.as_str());
    assert_eq!(edited.json["name"], "Ronin, day two");
    assert_eq!(edited.json["notes"], "Binance froze it");
    assert_eq!(
        edited.json["annotations"],
        json!([{"target": "0xabc", "note": "exploiter"}])
    );
    assert_eq!(edited.json["seeds"], json!([seed]));
    assert_eq!(edited.json["policy"], "fifo");
    assert!(edited.json["updated_at"].is_string());
    let shown = get(&server, &format!("/v1/cases/{id}"), Some(KEY));
    assert_eq!(shown.json, edited.json);

    let blank = patch(
        &server,
        &format!("/v1/cases/{id}"),
        r#"{"name":" "}"#,
        Some(KEY),
    );
    assert_eq!(blank.status, 400, "{}", blank.json);
    let seeds = patch(
        &server,
        &format!("/v1/cases/{id}"),
        r#"{"seeds":["ethereum:0x00"]}"#,
        Some(KEY),
    );
    assert_eq!(seeds.status, 400, "seeds cannot be edited: {}", seeds.json);
    assert_eq!(seeds.json["error"]["code"], "bad_body");
    let none = patch(&server, "/v1/cases/nope-1", r#"{"notes":"x"}"#, Some(KEY));
    assert_eq!(none.status, 404, "{}", none.json);

    let removed = delete(&server, &format!("/v1/cases/{id}"), Some(KEY));
    assert_eq!(removed.status, 200, "{}", removed.json);
    assert_eq!(removed.json["name"], "Ronin, day two");
    assert_eq!(
        get(&server, &format!("/v1/cases/{id}"), Some(KEY)).status,
        404
    );
    assert_eq!(
        delete(&server, &format!("/v1/cases/{id}"), Some(KEY)).status,
        404
    );
    assert_eq!(
        get(&server, "/v1/cases", Some(KEY)).json["cases"],
        json!([])
    );
}
