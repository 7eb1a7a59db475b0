//! `chaintrail labels …` and `chaintrail incidents …`, run as a user runs them, on the real
//! data in ../shared/data.

use std::path::{Path, PathBuf};

mod common;
use common::{chaintrail, ok};

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel)
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn labels_import_show_and_time_travel() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let old = data("ofac_sdn/sdn_digital_currency_addresses_2025-03-04.csv");
    let new = data("ofac_sdn/sdn_digital_currency_addresses_2025-11-19.csv");
    let report = ok(chaintrail(
        d,
        &["labels", "import-ofac", path(&old), "--format", "json"],
    ));
    let report: serde_json::Value = serde_json::from_str(&report).expect("json report");
    assert_eq!(report["imported"], 717);
    ok(chaintrail(d, &["labels", "import-ofac", path(&new)]));
    ok(chaintrail(
        d,
        &[
            "labels",
            "import-tagpack",
            path(&data("graphsense_tagpacks/packs/lazarus.yaml")),
        ],
    ));
    let tornado = "0x12D66f87A04A9E220743712cE6d9bB1B5616B8Fc";
    let now = ok(chaintrail(d, &["labels", "show", tornado]));
    assert!(now.contains("delisted since 2025-11-19"), "{now}");
    let then = ok(chaintrail(
        d,
        &[
            "labels",
            "show",
            tornado,
            "--at",
            "2025-06-01",
            "--format",
            "json",
        ],
    ));
    let then: serde_json::Value = serde_json::from_str(&then).expect("json");
    assert_eq!(then["sanctioned"], true);
    let lazarus = ok(chaintrail(
        d,
        &[
            "labels",
            "show",
            "0x098b716b8aaf21512996dc57eb0615e2383e2f96",
        ],
    ));
    assert!(
        lazarus.contains("SANCTIONED") && lazarus.contains("Lazarus Group"),
        "{lazarus}"
    );
    // OFAC dates no address: the Ronin exploiter's listing (2022-04-14 in reality) is known
    // only from the first snapshot that holds it, and the party's 2019 SDN entry is not it.
    for known in [
        "in the SDN list from snapshot 2025-03-04",
        "listed before 2025-03-04 (date unknown)",
        "SDN entry 27307 dated 2019-09-13 (the party's, not this address's)",
    ] {
        assert!(lazarus.contains(known), "{known}: {lazarus}");
    }
    let json = |args: &[&str]| -> serde_json::Value {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        serde_json::from_str(&ok(chaintrail(d, &args))).expect("json")
    };
    let ronin = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";
    for before in ["2019-01-01", "2022-01-01", "2022-05-01", "2025-03-03"] {
        let then = json(&["labels", "show", ronin, "--at", before]);
        assert_eq!(then["sanctioned"], false, "{before}: {then}");
        assert_eq!(
            then["sanction_status"],
            serde_json::json!({"status": "unknown", "listed_from": "2025-03-04"}),
            "{before}"
        );
        let ofac = then["labels"]
            .as_array()
            .and_then(|labels| labels.iter().find(|l| l["source"] == "ofac"))
            .expect("the OFAC label is shown");
        assert_eq!(
            ofac["status"],
            "unknown: listed before 2025-03-04 (date unknown)"
        );
    }
    let listed = json(&["labels", "show", ronin, "--at", "2025-03-04"]);
    let dated = data("ofac_sdn/ultrasoundmoney_eth_2024-08-20.csv");
    let dates_store = tempfile::tempdir().expect("tmp");
    let e = dates_store.path();
    ok(chaintrail(e, &["labels", "import-ofac", path(&old)]));
    let report = ok(chaintrail(
        e,
        &[
            "labels",
            "import-ofac-dates",
            path(&dated),
            "--format",
            "json",
        ],
    ));
    let report: serde_json::Value = serde_json::from_str(&report).expect("json report");
    assert_eq!(report["imported"], 157);
    let shown = ok(chaintrail(e, &["labels", "show", ronin]));
    assert!(
        shown.contains("designated 2022-04-14 (ultrasoundmoney_eth_2024-08-20.csv:25)"),
        "{shown}"
    );
    let before = ok(chaintrail(
        e,
        &["labels", "show", ronin, "--at", "2022-04-13"],
    ));
    assert!(before.contains("not on the OFAC SDN list"), "{before}");
    let after = ok(chaintrail(
        e,
        &["labels", "show", ronin, "--at", "2022-04-14"],
    ));
    assert!(after.contains("SANCTIONED (OFAC SDN)"), "{after}");
    assert_eq!(listed["sanctioned"], true);
    assert_eq!(listed["sanction_status"]["status"], "sanctioned");
    assert_eq!(
        listed["listings"][0],
        serde_json::json!({
            "name": "Lazarus Group",
            "sdn_uid": "27307",
            "asset": "ETH",
            "first_snapshot": "2025-03-04",
            "last_snapshot": "2025-11-19",
            "sdn_entry_date": "2019-09-13",
            "listed": "in the SDN list from snapshot 2025-03-04; listed before 2025-03-04 (date unknown); SDN entry 27307 dated 2019-09-13 (the party's, not this address's)"
        })
    );
    let stats = ok(chaintrail(d, &["labels", "stats", "--format", "json"]));
    let stats: serde_json::Value = serde_json::from_str(&stats).expect("json");
    assert_eq!(stats["ofac_delisted_labels"], 90);
    let exported = ok(chaintrail(
        d,
        &[
            "labels",
            "export-tagpack",
            "--dataset",
            "graphsense:lazarus.yaml",
        ],
    ));
    assert!(exported.starts_with("title: "), "{exported}");
    let bad = chaintrail(d, &["labels", "import-ofac", "/nonexistent/sdn.xml"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("/nonexistent/sdn.xml"));
}

#[test]
fn incidents_import_list_show_stats() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let dprk = data("incidents/dprk_attributed_incidents.csv");
    let dhl = data("incidents/defihacklabs_incidents.csv");
    ok(chaintrail(
        d,
        &["incidents", "import", path(&dprk), path(&dhl)],
    ));
    let list = ok(chaintrail(
        d,
        &[
            "incidents",
            "list",
            "--year",
            "2022",
            "--actor",
            "dprk",
            "--format",
            "csv",
        ],
    ));
    assert_eq!(list.lines().count(), 1 + 9, "{list}");
    let show = ok(chaintrail(
        d,
        &["incidents", "show", "dhl-0001", "--format", "json"],
    ));
    let show: serde_json::Value = serde_json::from_str(&show).expect("json");
    assert_eq!(show["victim"], "Parity Multisig");
    let md = ok(chaintrail(d, &["incidents", "stats", "--markdown"]));
    assert!(md.contains("| 2022 | 9 (9) | $767,638,000 |"), "{md}");
    // Attacker addresses became labels.
    let attacker = ok(chaintrail(
        d,
        &[
            "labels",
            "show",
            "0xB3764761E297D6f121e79C32A65829Cd1dDb4D32",
        ],
    ));
    assert!(attacker.contains("Parity Multisig attacker"), "{attacker}");
}
