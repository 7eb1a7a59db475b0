//! The sanction status of an address at a past date, with the real OFAC data: known listed from
//! the first snapshot that holds the address, unknown before it (OFAC's files date no address),
//! never "not sanctioned" by mistake.

use std::path::{Path, PathBuf};

use chaintrail_labels::{Category, Date, LabelStore};
use chaintrail_screen::{Query, RiskLevel, Screener, Screening};
use chaintrail_store::Store;

/// The Ronin bridge exploiter (Lazarus Group), added to the SDN list on 2022-04-14 — a date in
/// no OFAC file: the advanced XML gives the address no date, only the party's 2019-09-13 entry.
const RONIN: &str = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/ofac_sdn")
        .join(rel)
}

fn d(text: &str) -> Date {
    text.parse().expect("date")
}

fn screen(screener: &Screener, at: &str) -> Screening {
    screener
        .screen(&Query {
            address: RONIN.to_string(),
            chain: None,
            at: Some(d(at)),
            paths: false,
        })
        .expect("screen")
}

/// A store with no chains, the 2025-03-04 snapshot and the advanced XML of 2025-11-19, and,
/// if `dated`, ultrasoundmoney's dated list of sanctioned Ethereum addresses.
fn screener(dir: &Path, dated: bool) -> Screener {
    Store::init(dir).expect("init");
    let mut labels = LabelStore::open(dir).expect("labels");
    for file in [
        "sdn_digital_currency_addresses_2025-03-04.csv",
        "sdn_advanced_2025-11-19.xml.bz2",
    ] {
        labels.import_ofac(&data(file), None).expect(file);
    }
    if dated {
        labels
            .import_ofac_dates(&data("ultrasoundmoney_eth_2024-08-20.csv"))
            .expect("dates");
    }
    labels.save().expect("save");
    Screener::open(dir).expect("open")
}

#[test]
fn before_the_first_snapshot_listing_it_the_ronin_exploiter_is_of_unknown_status() {
    let dir = tempfile::tempdir().expect("tmp");
    let screener = screener(dir.path(), false);

    for at in ["2019-01-01", "2022-01-01", "2022-05-01", "2025-03-03"] {
        let s = screen(&screener, at);
        assert_eq!(
            serde_json::to_value(s.sanctions).expect("json"),
            serde_json::json!({"status": "unknown", "listed_from": "2025-03-04"}),
            "{at}"
        );
        assert!(!s.sanctioned(), "{at}");
        assert_eq!(s.ownership, vec![], "{at}");
        assert_eq!(s.risk, RiskLevel::Low, "{at}");
        let unknown = &s.ownership_unknown;
        assert_eq!(unknown.len(), 1, "{at}");
        assert_eq!(
            (
                unknown[0].category,
                unknown[0].name.as_str(),
                unknown[0].valid_from
            ),
            (Category::Sanctioned, "Lazarus Group", Some(d("2025-03-04")))
        );
        assert_eq!(
            unknown[0].description,
            "OFAC SDN entry 27307: Lazarus Group (Entity); programs DPRK3; in the SDN list from \
             snapshot 2025-03-04; listed before 2025-03-04 (date unknown); SDN entry 27307 dated \
             2019-09-13 (the party's, not this address's); also known \
             as Hidden Cobra, Office 91, Guardians of Peace, The New Romantic Cyber Army Team, \
             WhoIs Hacking Team, Red Dot, TEMP.Hermit, Group 77, Zinc, APT-C-26, Appleworm"
        );
        // The sanctions check (the Chainalysis-shaped answer) has nothing to identify.
        let (_, identified) = screener
            .identify(&Query {
                address: RONIN.to_string(),
                chain: None,
                at: Some(d(at)),
                paths: false,
            })
            .expect("identify");
        assert_eq!(identified, vec![]);
    }
    let listed = screen(&screener, "2025-03-04");
    assert!(listed.sanctioned());
    assert_eq!(
        serde_json::to_value(listed.sanctions).expect("json"),
        serde_json::json!({"status": "sanctioned"})
    );
    assert_eq!(listed.ownership_unknown, vec![]);
    assert_eq!(listed.risk, RiskLevel::Severe);
}

#[test]
fn with_its_designation_date_the_ronin_exploiter_is_clean_before_and_sanctioned_after() {
    let dir = tempfile::tempdir().expect("tmp");
    let screener = screener(dir.path(), true);
    let before = screen(&screener, "2022-01-01");
    assert_eq!(
        serde_json::to_value(before.sanctions).expect("json"),
        serde_json::json!({"status": "not_sanctioned"})
    );
    assert_eq!(
        (before.ownership.len(), before.ownership_unknown.len()),
        (0, 0)
    );
    assert_eq!(before.risk, RiskLevel::Low);
    let after = screen(&screener, "2022-05-01");
    assert!(after.sanctioned());
    assert_eq!(after.risk, RiskLevel::Severe);
    assert_eq!(after.ownership[0].valid_from, Some(d("2022-04-14")));
    assert_eq!(after.ownership[0].unknown_start, None);
    assert!(
        after.ownership[0]
            .description
            .contains("designated 2022-04-14 (ultrasoundmoney_eth_2024-08-20.csv:25)"),
        "{}",
        after.ownership[0].description
    );
}
