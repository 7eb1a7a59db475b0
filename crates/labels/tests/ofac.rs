mod common;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use chaintrail_labels::ofac::{OfacSnapshot, read_snapshot};
use chaintrail_labels::{
    Category, Date, LabelError, LabelStore, OfacListing, SanctionStatus, Source, UnknownStart,
};
use common::{csv_rows, data};

const XML: &str = "ofac_sdn/sdn_advanced_2025-11-19.xml.bz2";
const CSV_0304: &str = "ofac_sdn/sdn_digital_currency_addresses_2025-03-04.csv";
const CSV_1119: &str = "ofac_sdn/sdn_digital_currency_addresses_2025-11-19.csv";
const CSV_0820: &str = "ofac_sdn/sdn_digital_currency_addresses_2026-08-20.csv";

fn xml_snapshot() -> &'static OfacSnapshot {
    static SNAPSHOT: OnceLock<OfacSnapshot> = OnceLock::new();
    SNAPSHOT.get_or_init(|| {
        let (snapshot, report) = read_snapshot(&data(XML), None).expect("XML parses");
        assert!(report.rejected.is_empty(), "{:?}", report.rejected);
        snapshot
    })
}

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

#[test]
fn xml_matches_the_derived_csv_row_for_row() {
    let snapshot = xml_snapshot();
    assert_eq!(snapshot.date, d("2025-11-19"));
    // Counts checked independently with python over the CSV: 761 rows, 745 addresses, 79 parties.
    assert_eq!(snapshot.entries.len(), 761);
    let addresses: BTreeSet<&str> = snapshot
        .entries
        .iter()
        .map(|e| e.address.as_str())
        .collect();
    assert_eq!(addresses.len(), 745);
    let parties: BTreeSet<&str> = snapshot
        .entries
        .iter()
        .map(|e| e.sdn_uid.as_str())
        .collect();
    assert_eq!(parties.len(), 79);
    let rows = csv_rows(CSV_1119);
    assert_eq!(rows.len(), 761);
    for row in &rows {
        let found = snapshot
            .entries
            .iter()
            .find(|e| {
                e.address == row["address"]
                    && e.asset == row["asset"]
                    && e.sdn_uid == row["sdn_uid"]
            })
            .unwrap_or_else(|| panic!("{} {} missing", row["address"], row["asset"]));
        assert_eq!(
            found.name, row["primary_name"],
            "name of {}",
            row["sdn_uid"]
        );
        assert_eq!(
            found.programs.join(";"),
            row["programs"],
            "programs of {}",
            row["sdn_uid"]
        );
        assert_eq!(
            found.entry_date.map(|d| d.to_string()).unwrap_or_default(),
            row["entry_date"]
        );
        assert_eq!(
            found.party_type.as_deref(),
            Some(row["party_type"].as_str())
        );
        assert_eq!(
            found.aka.join("|"),
            row["aka_names"],
            "akas of {}",
            row["sdn_uid"]
        );
    }
}

#[test]
fn every_csv_address_is_found_with_its_entity_after_importing_the_xml() {
    let mut store = LabelStore::in_memory();
    store.import_ofac(&data(XML), None).expect("xml");
    for row in csv_rows(CSV_1119) {
        let labels = store.lookup(&row["address"]);
        assert!(
            labels.iter().any(|l| l.source == Source::Ofac
                && l.name == row["primary_name"]
                && l.details["sdn_uid"] == row["sdn_uid"]),
            "{} not found as {}",
            row["address"],
            row["primary_name"]
        );
        assert_eq!(labels[0].category, Category::Sanctioned);
        assert!(store.show(&row["address"], None).sanctioned);
    }
    // Named entities of interest (PROVENANCE.md).
    let ronin = store.lookup("0x098B716B8Aaf21512996dC57EB0615e2383E2f96");
    assert_eq!(ronin[0].name, "Lazarus Group");
    assert_eq!(ronin[0].details["programs"], "DPRK3");
    // Known listed from the snapshot; the party's 2019 SDN entry date is kept, not taken for it.
    assert_eq!(ronin[0].valid_from, Some(d("2025-11-19")));
    assert_eq!(ronin[0].details["entry_date"], "2019-09-13");
    // lower-case query finds the checksummed listing
    assert_eq!(
        store.lookup("0x098b716b8aaf21512996dc57eb0615e2383e2f96")[0].name,
        "Lazarus Group"
    );
    let count = |name: &str| store.labels().iter().filter(|l| l.name == name).count();
    // 46 Blender.io rows, one address listed twice (3F6bbvS1…, checked with python): 45 labels;
    // 761 rows are 760 distinct (address, asset, party) labels.
    assert_eq!(count("Blender.io"), 45);
    assert_eq!(store.labels().len(), 760);
    assert_eq!(count("Sinbad"), 2);
    // Tron USDT of Cheil Credit Bank: a raw (unmodelled-chain) entry, still found by string.
    let cheil = store.lookup("TA3941uFAvmVibSkQ6fMJXxmaSNovX86mz");
    assert_eq!(cheil[0].name, "CHEIL CREDIT BANK");
    assert_eq!(cheil[0].chain, None);
    assert_eq!(cheil[0].currency, "USDT");
}

#[test]
fn tornado_cash_is_delisted_since_the_first_snapshot_without_it() {
    let mut store = LabelStore::in_memory();
    // Out of order on purpose: intervals are derived from all snapshots sorted by date.
    store.import_ofac(&data(XML), None).expect("xml");
    let report = store
        .import_ofac(&data(CSV_0304), None)
        .expect("2025-03-04");
    assert_eq!(report.rows_read, 717);
    assert_eq!(report.imported, 717);
    let tornado: Vec<_> = csv_rows(CSV_0304)
        .into_iter()
        .filter(|r| r["primary_name"] == "TORNADO CASH")
        .collect();
    assert_eq!(tornado.len(), 90);
    for row in &tornado {
        let all = store.lookup(&row["address"]);
        let label = all
            .iter()
            .find(|l| l.name == "TORNADO CASH")
            .expect("tornado label kept");
        assert_eq!(label.valid_to, Some(d("2025-11-19")), "{}", row["address"]);
        // The first snapshot holding it; the party's 2022-11-08 SDN entry (the re-designation;
        // first listed 2022-08-08) dates neither.
        assert_eq!(label.valid_from, Some(d("2025-03-04")));
        assert_eq!(label.details["entry_date"], "2022-11-08");
        assert!(!store.lookup_at(&row["address"], d("2025-03-04")).is_empty());
        assert!(
            store
                .lookup_at(&row["address"], d("2025-11-19"))
                .iter()
                .all(|l| l.source != Source::Ofac)
        );
        let now = store.show(&row["address"], None);
        assert!(!now.sanctioned);
        assert_eq!(now.delisted_since, Some(d("2025-11-19")));
        assert!(
            now.labels
                .iter()
                .any(|v| v.status == "delisted since 2025-11-19")
        );
        let then = store.show(&row["address"], Some(d("2025-06-01")));
        assert!(then.sanctioned);
        let before = store.show(&row["address"], Some(d("2024-01-01")));
        assert_eq!(
            before.sanction_status,
            SanctionStatus::Unknown {
                listed_from: d("2025-03-04")
            }
        );
    }
    // The other 627 rows of 2025-03-04 are still listed with the same entity.
    for row in csv_rows(CSV_0304)
        .iter()
        .filter(|r| r["primary_name"] != "TORNADO CASH")
    {
        let at = store.show(&row["address"], Some(d("2025-03-04")));
        assert!(at.sanctioned, "{}", row["address"]);
        assert!(
            store
                .lookup(&row["address"])
                .iter()
                .any(|l| l.name == row["primary_name"] && l.valid_to.is_none())
        );
    }
    let stats = store.stats();
    assert_eq!(stats.ofac_snapshots.len(), 2);
    assert_eq!(stats.ofac_delisted_labels, 90);
}

#[test]
fn the_2026_list_is_a_later_snapshot() {
    let mut store = LabelStore::in_memory();
    store
        .import_ofac(&data(CSV_1119), None)
        .expect("2025-11-19 csv");
    let report = store
        .import_ofac(&data(CSV_0820), None)
        .expect("2026-08-20 csv");
    assert_eq!(report.imported, 977);
    for row in csv_rows(CSV_0820) {
        let labels = store.lookup(&row["address"]);
        assert!(
            labels
                .iter()
                .any(|l| l.name == row["entity"] && l.valid_to.is_none()),
            "{}",
            row["address"]
        );
    }
    // One row of 2025-11-19 is gone in 2026-08-20 (Sokolovski, Rolan; checked with python).
    let delisted: Vec<_> = store
        .labels()
        .iter()
        .filter(|l| l.valid_to.is_some())
        .collect();
    assert_eq!(delisted.len(), 1);
    assert_eq!(delisted[0].name, "Sokolovski, Rolan");
    assert_eq!(delisted[0].valid_to, Some(d("2026-08-20")));
}

#[test]
fn bad_xml_names_file_and_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let truncated = dir.path().join("sdn_2025-01-01.xml");
    std::fs::write(&truncated, "<?xml version=\"1.0\"?>\n<Sanctions>\n  <DateOfIssue><Year>2025</Year>\n  <Oops></Wrong>\n").expect("write");
    let err = read_snapshot(&truncated, None).expect_err("malformed");
    let text = err.to_string();
    assert!(matches!(err, LabelError::Xml { line: 4, .. }), "{text}");
    assert!(text.starts_with("sdn_2025-01-01.xml:4:"), "{text}");
    let wrong_root = dir.path().join("other.xml");
    std::fs::write(&wrong_root, "<html>\n</html>\n").expect("write");
    let err = read_snapshot(&wrong_root, None).expect_err("not sdn");
    assert!(
        err.to_string().contains("root element <Sanctions>"),
        "{err}"
    );
    let bad_csv = dir.path().join("list_2025-01-01.csv");
    std::fs::write(&bad_csv, "address,asset,sdn_uid,primary_name,entry_date\n1abc,XBT,1,X,2020-01-01\n,XBT,2,Y,2020-01-01\n2abc,XBT,3,Z,not-a-date\n").expect("write");
    let (snapshot, report) = read_snapshot(&bad_csv, None).expect("csv with bad rows");
    assert_eq!(
        (report.rows_read, report.imported, report.rejected.len()),
        (3, 1, 2)
    );
    assert_eq!(report.rejected[0].line, 3);
    assert_eq!(report.rejected[0].field.as_deref(), Some("address"));
    assert_eq!(report.rejected[1].field.as_deref(), Some("entry_date"));
    assert_eq!(snapshot.date, d("2025-01-01"));
}

const RONIN: &str = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96";
/// A CHEIL CREDIT BANK address: absent from the 2025-03-04 snapshot, in the 2025-11-19 one.
const CHEIL: &str = "TA3941uFAvmVibSkQ6fMJXxmaSNovX86mz";

#[test]
fn listing_dates_say_what_is_known_and_no_more() {
    // What the advanced XML carries for the Ronin exploiter (listed by OFAC on 2022-04-14): the
    // address as a "Digital Currency Address - ETH" feature of party 27307 (Lazarus Group),
    // with no date of its own; the party's SDN entry has one EntryEvent, 2019-09-13.
    let entry = xml_snapshot()
        .entries
        .iter()
        .find(|e| e.address == RONIN)
        .expect("the Ronin exploiter is in the XML");
    assert_eq!(
        (
            entry.sdn_uid.as_str(),
            entry.asset.as_str(),
            entry.entry_date
        ),
        ("27307", "ETH", Some(d("2019-09-13")))
    );

    let mut store = LabelStore::in_memory();
    store.import_ofac(&data(XML), None).expect("xml");
    // With the XML alone, the listing is known from its date on.
    let label = store
        .lookup(RONIN)
        .into_iter()
        .find(|l| l.source == Source::Ofac)
        .expect("ofac label")
        .clone();
    assert_eq!(label.valid_from, Some(d("2025-11-19")));
    assert_eq!(label.unknown_start, Some(UnknownStart { absent_on: None }));
    store.import_ofac(&data(CSV_0304), None).expect("csv");
    let ofac: Vec<_> = store
        .lookup(RONIN)
        .into_iter()
        .filter(|l| l.source == Source::Ofac)
        .collect();
    assert_eq!(ofac.len(), 1);
    assert_eq!(ofac[0].valid_from, Some(d("2025-03-04")));
    assert_eq!(ofac[0].valid_to, None);
    assert_eq!(
        ofac[0].unknown_start,
        Some(UnknownStart { absent_on: None })
    );

    let unknown = SanctionStatus::Unknown {
        listed_from: d("2025-03-04"),
    };
    for (at, status) in [
        ("2019-01-01", unknown),
        ("2022-01-01", unknown),
        ("2022-05-01", unknown),
        ("2025-03-03", unknown),
        ("2025-03-04", SanctionStatus::Sanctioned),
        ("2026-01-01", SanctionStatus::Sanctioned),
    ] {
        let shown = store.show(RONIN, Some(d(at)));
        assert_eq!(shown.sanction_status, status, "{at}");
        assert_eq!(
            shown.sanctioned,
            status == SanctionStatus::Sanctioned,
            "{at}"
        );
    }
    assert_eq!(
        unknown.to_string(),
        "unknown before 2025-03-04 (listed before 2025-03-04, date unknown)"
    );
    let before = store.show(RONIN, Some(d("2022-05-01")));
    assert_eq!(
        before.labels[0].status,
        "unknown: listed before 2025-03-04 (date unknown)"
    );
    assert_eq!(before.categories, vec![]);
    let resolved = before.resolved.expect("known address");
    assert_eq!(resolved.flags, vec![]);
    assert_eq!(
        resolved
            .unknown
            .iter()
            .map(|f| (f.flag, f.source, f.name.as_str()))
            .collect::<Vec<_>>(),
        vec![(Category::Sanctioned, Source::Ofac, "Lazarus Group")]
    );
    let now = store.show(RONIN, None);
    assert_eq!(now.sanction_status, SanctionStatus::Sanctioned);
    assert_eq!(
        now.listings,
        vec![OfacListing {
            name: "Lazarus Group".into(),
            sdn_uid: "27307".into(),
            asset: "ETH".into(),
            first_snapshot: d("2025-03-04"),
            last_snapshot: d("2025-11-19"),
            delisted_since: None,
            designated: None,
            designated_by: None,
            sdn_entry_date: Some(d("2019-09-13")),
            listed: "in the SDN list from snapshot 2025-03-04; listed before 2025-03-04 (date \
                     unknown); SDN entry 27307 dated 2019-09-13 (the party's, not this address's)"
                .into(),
        }]
    );

    // Absent from the 2025-03-04 snapshot, present in the 2025-11-19 one: not listed on
    // 2025-03-04 (nor, as far as any snapshot tells, before), unknown in between.
    let cheil = SanctionStatus::Unknown {
        listed_from: d("2025-11-19"),
    };
    for (at, status) in [
        ("2024-01-01", SanctionStatus::NotSanctioned),
        ("2025-03-04", SanctionStatus::NotSanctioned),
        ("2025-03-05", cheil),
        ("2025-11-18", cheil),
        ("2025-11-19", SanctionStatus::Sanctioned),
    ] {
        assert_eq!(
            store.show(CHEIL, Some(d(at))).sanction_status,
            status,
            "{at}"
        );
    }
}

/// ultrasoundmoney's list of OFAC-sanctioned Ethereum addresses with the date each was added.
const DATED: &str = "ofac_sdn/ultrasoundmoney_eth_2024-08-20.csv";

#[test]
fn a_dated_address_list_gives_the_designation_date_the_xml_lacks() {
    let mut store = LabelStore::in_memory();
    store.import_ofac(&data(CSV_0304), None).expect("csv");
    store.import_ofac(&data(XML), None).expect("xml");
    let report = store.import_ofac_dates(&data(DATED)).expect("dates");
    // 157 rows (checked with python), all with an address and a real date.
    assert_eq!((report.rows_read, report.imported), (157, 157));
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let warnings: Vec<&str> = report.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        warnings,
        vec![
            "2 of 157 dated addresses are in no stored SDN snapshot: their dates apply once a \
             snapshot lists them"
        ]
    );
    // Of the 850 OFAC labels (address, asset, party, interval) of the two snapshots, 164 get
    // their address's date; the other 686 stay "listed before … (date unknown)" (python).
    let ofac: Vec<_> = store
        .labels()
        .iter()
        .filter(|l| l.source == Source::Ofac)
        .collect();
    assert_eq!(ofac.len(), 850);
    let dated = ofac.iter().filter(|l| l.unknown_start.is_none()).count();
    assert_eq!((dated, ofac.len() - dated), (164, 686));

    // The Ronin exploiter: listed on 2022-04-14 (line 25 of the list).
    for (at, status) in [
        ("2022-01-01", SanctionStatus::NotSanctioned),
        ("2022-04-13", SanctionStatus::NotSanctioned),
        ("2022-04-14", SanctionStatus::Sanctioned),
        ("2022-05-01", SanctionStatus::Sanctioned),
    ] {
        assert_eq!(
            store.show(RONIN, Some(d(at))).sanction_status,
            status,
            "{at}"
        );
    }
    let listing = &store.show(RONIN, None).listings[0];
    assert_eq!(listing.designated, Some(d("2022-04-14")));
    assert_eq!(
        listing.listed,
        "in the SDN list from snapshot 2025-03-04; designated 2022-04-14 \
         (ultrasoundmoney_eth_2024-08-20.csv:25); SDN entry 27307 dated 2019-09-13 (the party's, \
         not this address's)"
    );
    // Tornado Cash's router: designated 2022-08-08 (before the party's 2022-11-08 entry),
    // delisted by the 2025-11-19 snapshot.
    let router = "0xd90e2f925DA726b50C4Ed8D0Fb90Ad053324F31b";
    assert_eq!(
        store.show(router, Some(d("2022-09-01"))).sanction_status,
        SanctionStatus::Sanctioned
    );
    assert_eq!(
        store.show(router, Some(d("2022-08-07"))).sanction_status,
        SanctionStatus::NotSanctioned
    );
    // An address the list does not date (CHEIL CREDIT BANK's Tron USDT) stays unknown.
    assert_eq!(
        store.show(CHEIL, Some(d("2025-06-01"))).sanction_status,
        SanctionStatus::Unknown {
            listed_from: d("2025-11-19")
        }
    );

    // A date after a snapshot that already lists the address contradicts it: not used, said.
    let dir = tempfile::tempdir().expect("tmp");
    let late = dir.path().join("late.csv");
    std::fs::write(
        &late,
        format!("date_added,address\n2025-06-01,{RONIN}\n2022-02-30,{RONIN}\n"),
    )
    .expect("write");
    let mut store = LabelStore::in_memory();
    store.import_ofac(&data(CSV_0304), None).expect("csv");
    let report = store.import_ofac_dates(&late).expect("dates");
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].line, 3);
    assert!(
        report.rejected[0]
            .message
            .contains("`2022-02-30` is not a date"),
        "{:?}",
        report.rejected
    );
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(
        report.warnings[0].message.contains(
            "late.csv:2: 0x098B716B8Aaf21512996dC57EB0615e2383E2f96 dated 2025-06-01, but the SDN \
             snapshot of 2025-03-04 already lists it: the date is not used"
        ),
        "{:?}",
        report.warnings
    );
    assert_eq!(
        store.show(RONIN, Some(d("2025-03-03"))).sanction_status,
        SanctionStatus::Unknown {
            listed_from: d("2025-03-04")
        }
    );
}
