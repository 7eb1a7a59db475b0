//! The API over real HTTP on 127.0.0.1: OFAC snapshots through the Chainalysis-shaped endpoint,
//! bad input, keys and limits, and the OpenAPI document.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chaintrail_labels::LabelStore;
use chaintrail_store::Store;
use common::{KEY, config, get, post, seg, start};
use proptest::prelude::*;

const OFAC: &str = "../../../shared/data/ofac_sdn";

fn ofac(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(OFAC).join(name)
}

/// A store with no chains and the three OFAC address snapshots plus the advanced XML imported.
fn ofac_store() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        Store::init(dir.path()).expect("init");
        let mut labels = LabelStore::open(dir.path()).expect("labels");
        for file in [
            "sdn_digital_currency_addresses_2025-03-04.csv",
            "sdn_advanced_2025-11-19.xml.bz2",
            "sdn_digital_currency_addresses_2025-11-19.csv",
            "sdn_digital_currency_addresses_2026-08-20.csv",
        ] {
            labels.import_ofac(&ofac(file), None).expect(file);
        }
        labels.save().expect("save");
        dir
    })
    .path()
}

fn snapshot(name: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_path(ofac(name)).expect("csv");
    let headers = reader.headers().expect("headers").clone();
    let col = headers
        .iter()
        .position(|h| h == "address")
        .expect("address column");
    reader
        .records()
        .map(|r| r.expect("record")[col].to_string())
        .collect()
}

#[test]
fn every_ofac_address_screens_as_sanctioned_on_its_snapshot_date() {
    let server = start(ofac_store(), config());
    let mut checked = 0;
    for (file, date) in [
        (
            "sdn_digital_currency_addresses_2025-03-04.csv",
            "2025-03-04",
        ),
        (
            "sdn_digital_currency_addresses_2025-11-19.csv",
            "2025-11-19",
        ),
        (
            "sdn_digital_currency_addresses_2026-08-20.csv",
            "2026-08-20",
        ),
    ] {
        for address in snapshot(file) {
            let reply = get(
                &server,
                &format!("/api/v1/address/{}?date={date}", seg(&address)),
                Some(KEY),
            );
            assert_eq!(reply.status, 200, "{address} at {date}: {}", reply.json);
            let ids = reply.json["identifications"].as_array().expect("list");
            assert!(
                !ids.is_empty() && ids.iter().all(|i| i["category"] == "sanctions"),
                "{address} at {date} is not sanctioned: {}",
                reply.json
            );
            let name = ids[0]["name"].as_str().unwrap_or_default();
            assert!(name.starts_with("SANCTIONS: OFAC SDN "), "{name}");
            checked += 1;
        }
    }
    assert_eq!(checked, 717 + 761 + 977);
}

#[test]
fn tornado_cash_is_sanctioned_while_listed_and_clean_after_delisting() {
    let server = start(ofac_store(), config());
    // Tornado Cash's router, in the 2025-03-04 snapshot, delisted in the 2025-11-19 one.
    let router = "0xd90e2f925DA726b50C4Ed8D0Fb90Ad053324F31b";
    let listed = get(
        &server,
        &format!("/api/v1/address/{router}?date=2025-03-04"),
        Some(KEY),
    );
    assert_eq!(listed.status, 200);
    let ids = listed.json["identifications"].as_array().expect("list");
    assert!(
        ids.iter()
            .any(|i| i["name"].as_str().unwrap_or("").contains("TORNADO")),
        "{}",
        listed.json
    );
    let delisted = get(
        &server,
        &format!("/api/v1/address/{router}?date=2025-11-19"),
        Some(KEY),
    );
    assert_eq!(delisted.json["identifications"], serde_json::json!([]));
    // Entity risk follows the date too.
    let risk = get(
        &server,
        &format!("/api/risk/v2/entities/{router}?date=2025-03-04"),
        Some(KEY),
    );
    assert_eq!(risk.json["risk"], "Severe", "{}", risk.json);
    let risk = get(
        &server,
        &format!("/api/risk/v2/entities/{router}?date=2025-12-01"),
        Some(KEY),
    );
    assert_eq!(risk.json["risk"], "Low", "{}", risk.json);
}

#[test]
fn trm_batch_reports_ownership_for_sanctioned_and_nothing_for_clean() {
    let server = start(ofac_store(), config());
    let body = r#"[
        {"address": "0x098B716B8Aaf21512996dC57EB0615e2383E2f96", "chain": "ethereum", "accountExternalId": "u1"},
        {"address": "TA3941uFAvmVibSkQ6fMJXxmaSNovX86mz", "chain": "tron"},
        {"address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "chain": "bitcoin"}
    ]"#;
    let reply = post(
        &server,
        "/public/v2/screening/addresses?date=2026-08-20",
        body,
        Some(KEY),
    );
    assert_eq!(reply.status, 200, "{}", reply.json);
    let results = reply.json.as_array().expect("array");
    assert_eq!(results.len(), 3);
    let lazarus = &results[0]["addressRiskIndicators"][0];
    assert_eq!(lazarus["category"], "Sanctions");
    assert_eq!(lazarus["categoryRiskScoreLevel"], 15);
    assert_eq!(lazarus["categoryRiskScoreLevelLabel"], "Severe");
    assert_eq!(lazarus["riskType"], "OWNERSHIP");
    assert_eq!(results[0]["accountExternalId"], "u1");
    assert_eq!(
        results[1]["addressRiskIndicators"][0]["riskType"],
        "OWNERSHIP"
    );
    assert_eq!(results[1]["entities"][0]["entity"], "CHEIL CREDIT BANK");
    assert_eq!(results[2]["addressRiskIndicators"], serde_json::json!([]));
    assert_eq!(results[2]["entities"], serde_json::json!([]));
}

#[test]
fn bad_input_gets_a_json_4xx_that_says_what_was_wrong() {
    let server = start(
        ofac_store(),
        chaintrail_server::Config {
            max_batch: 3,
            ..config()
        },
    );
    let cases: Vec<(common::Reply, i32, &str, &str)> = vec![
        (
            get(
                &server,
                "/api/v1/address/0x098B716B8Aaf21512996dC57EB0615e2383E2f97",
                Some(KEY),
            ),
            400,
            "bad_address",
            "checksum",
        ),
        (
            get(&server, "/api/v1/address/hello-world", Some(KEY)),
            400,
            "bad_address",
            "hello-world",
        ),
        (
            get(
                &server,
                "/api/v1/address/bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdx",
                Some(KEY),
            ),
            400,
            "bad_address",
            "bc1q",
        ),
        (
            get(
                &server,
                "/api/v1/address/0x098B716B8Aaf21512996dC57EB0615e2383E2f96?date=2025-02-30",
                Some(KEY),
            ),
            400,
            "bad_date",
            "date: `2025-02-30` is not a date: February 2025 has days 01 to 28, not 30; expected YYYY-MM-DD",
        ),
        (
            get(
                &server,
                "/api/v1/address/0x098B716B8Aaf21512996dC57EB0615e2383E2f96?chain=dogecoin",
                Some(KEY),
            ),
            400,
            "unknown_chain",
            "dogecoin",
        ),
        (
            get(
                &server,
                "/api/v1/address/0x098B716B8Aaf21512996dC57EB0615e2383E2f96?colour=red",
                Some(KEY),
            ),
            400,
            "bad_query",
            "colour",
        ),
        (
            post(
                &server,
                "/public/v2/screening/addresses",
                r#"[{"address":"0x098B716B8Aaf21512996dC57EB0615e2383E2f96","chain":"dogechain"}]"#,
                Some(KEY),
            ),
            400,
            "unknown_chain",
            "dogechain",
        ),
        (
            post(
                &server,
                "/public/v2/screening/addresses",
                r#"[{"address":"a","chain":"bitcoin"},{"address":"b","chain":"bitcoin"},{"address":"c","chain":"bitcoin"},{"address":"d","chain":"bitcoin"}]"#,
                Some(KEY),
            ),
            413,
            "batch_too_large",
            "limit is 3",
        ),
        (
            post(
                &server,
                "/public/v2/screening/addresses",
                "{not json",
                Some(KEY),
            ),
            400,
            "bad_body",
            "expected a JSON array",
        ),
        (
            post(&server, "/v1/trace", r#"{"seeds":["nochain"]}"#, Some(KEY)),
            400,
            "bad_seed",
            "nochain",
        ),
        (
            get(
                &server,
                "/api/v1/address/0x098B716B8Aaf21512996dC57EB0615e2383E2f96",
                None,
            ),
            401,
            "missing_api_key",
            "X-API-Key",
        ),
        (
            get(
                &server,
                "/api/v1/address/0x098B716B8Aaf21512996dC57EB0615e2383E2f96",
                Some("wrong"),
            ),
            401,
            "invalid_api_key",
            "not one",
        ),
        (
            get(&server, "/no/such/thing", Some(KEY)),
            404,
            "not_found",
            "openapi",
        ),
        (
            get(&server, "/v1/tx/anvil/00", Some(KEY)),
            404,
            "not_found",
            "anvil",
        ),
    ];
    for (reply, status, code, says) in cases {
        assert_eq!(reply.status, status, "{}", reply.json);
        assert_eq!(reply.json["error"]["code"], code, "{}", reply.json);
        assert!(
            reply.json["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains(says),
            "{} should mention {says}",
            reply.json
        );
    }
    // An oversized body is refused before it is parsed.
    let big = format!(
        "[{}]",
        vec![r#"{"address":"a","chain":"bitcoin"}"#; 40_000].join(",")
    );
    let reply = post(&server, "/public/v2/screening/addresses", &big, Some(KEY));
    assert_eq!(reply.status, 413, "{}", reply.json);
}

#[test]
fn keys_in_every_vendor_header_work_and_health_is_public() {
    let server = start(ofac_store(), config());
    let path = format!(
        "{}/api/v1/address/0x098B716B8Aaf21512996dC57EB0615e2383E2f96",
        server.base
    );
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:{KEY}"));
    for (name, value) in [
        ("X-API-Key", KEY.to_string()),
        ("Token", KEY.to_string()),
        ("Authorization", format!("Basic {basic}")),
        ("Authorization", format!("Bearer {KEY}")),
    ] {
        let response = minreq::get(&path)
            .with_header(name, value)
            .send()
            .expect("GET");
        assert_eq!(response.status_code, 200, "{name}");
    }
    assert_eq!(get(&server, "/v1/health", None).json["status"], "ok");
    // No CORS headers unless origins are configured.
    let response = minreq::get(format!("{}/v1/health", server.base))
        .with_header("Origin", "https://evil.example")
        .send()
        .expect("GET");
    assert!(!response.headers.contains_key("access-control-allow-origin"));
}

#[test]
fn rate_limit_answers_429_with_retry_after() {
    let server = start(
        ofac_store(),
        chaintrail_server::Config {
            rate_limit: 5,
            ..config()
        },
    );
    let statuses: Vec<i32> = (0..20)
        .map(|_| get(&server, "/v1/rules", Some(KEY)).status)
        .collect();
    assert!(statuses[..5].iter().all(|s| *s == 200), "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[test]
fn no_keys_without_open_is_refused() {
    let screener = chaintrail_screen::Screener::open(ofac_store()).expect("open");
    let ledger = chaintrail_labels::IncidentLedger::in_memory();
    let config = chaintrail_server::Config::default();
    assert!(matches!(
        chaintrail_server::AppState::new(screener, ledger, config),
        Err(chaintrail_server::ServerError::NoKeys)
    ));
}

#[test]
fn served_openapi_equals_docs_openapi_json() {
    let server = start(ofac_store(), config());
    let served = get(&server, "/openapi.json", None).json;
    assert_eq!(served, chaintrail_server::openapi::document());
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let pretty = serde_json::to_string_pretty(&served).expect("json") + "\n";
    if std::env::var_os("CHAINTRAIL_WRITE_OPENAPI").is_some() {
        std::fs::write(&path, &pretty).expect("write docs/openapi.json");
    }
    let kept: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("docs/openapi.json")).expect("json");
    assert_eq!(
        kept, served,
        "docs/openapi.json is out of date: run CHAINTRAIL_WRITE_OPENAPI=1 cargo test -p chaintrail-server"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Whatever the path, query or body, the server answers with JSON and never a 5xx.
    #[test]
    fn request_parsing_never_fails_the_server(
        address in "\\PC{0,80}",
        query in "[a-z=&%0-9.-]{0,30}",
        body in "\\PC{0,200}",
        chain in "[a-z0-9:]{0,12}",
    ) {
        static SERVER: OnceLock<common::Server> = OnceLock::new();
        let server = SERVER.get_or_init(|| start(ofac_store(), config()));
        for path in [
            format!("/api/v1/address/{}?{query}", seg(&address)),
            format!("/api/risk/v2/entities/{}?{query}", seg(&address)),
            format!("/v1/screen/{}?{query}", seg(&address)),
            format!("/v1/labels/{}?{query}", seg(&address)),
            format!("/v1/address/{}/{}", seg(&chain), seg(&address)),
        ] {
            let reply = get(server, &path, Some(KEY));
            prop_assert!(reply.status < 500, "{} -> {} {}", path, reply.status, reply.json);
        }
        let trm = serde_json::json!([{"address": address, "chain": chain}]).to_string();
        for (path, body) in [
            ("/public/v2/screening/addresses", body.as_str()),
            ("/public/v2/screening/addresses", trm.as_str()),
            ("/v1/trace", body.as_str()),
        ] {
            let reply = post(server, path, body, Some(KEY));
            prop_assert!(reply.status < 500, "{} {} -> {} {}", path, body, reply.status, reply.json);
        }
    }
}

#[test]
fn before_its_first_snapshot_an_address_is_of_unknown_status_natively_and_not_identified() {
    let server = start(ofac_store(), config());
    let ronin = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";
    // OFAC listed it on 2022-04-14, which no OFAC file says: the first snapshot holding it is
    // 2025-03-04. The vendor shape has no word for "unknown" and identifies nothing …
    let before = get(
        &server,
        &format!("/api/v1/address/{ronin}?date=2022-05-01"),
        Some(KEY),
    );
    assert_eq!(before.status, 200);
    assert_eq!(before.json["identifications"], serde_json::json!([]));
    // … the native screening says it.
    let native = get(
        &server,
        &format!("/v1/screen/{ronin}?date=2022-05-01"),
        Some(KEY),
    );
    assert_eq!(
        native.json["sanctions"],
        serde_json::json!({"status": "unknown", "listed_from": "2025-03-04"}),
        "{}",
        native.json
    );
    // Names come from the latest snapshot (2026-08-20 writes them in capitals).
    assert_eq!(native.json["ownership_unknown"][0]["name"], "LAZARUS GROUP");
    // Once listed, the identification says what is known of the date.
    let listed = get(
        &server,
        &format!("/api/v1/address/{ronin}?date=2025-06-01"),
        Some(KEY),
    );
    assert_eq!(
        listed.json["identifications"][0]["name"],
        format!(
            "SANCTIONS: OFAC SDN LAZARUS GROUP listed before 2025-03-04 (date unknown) {ronin}"
        )
    );
}
