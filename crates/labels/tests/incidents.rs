mod common;

use std::collections::BTreeMap;

use chaintrail_labels::incidents::{DPRK, IncidentFilter, dprk_comparison_markdown};
use chaintrail_labels::{IncidentLedger, LabelStore};
use common::{csv_rows, data};

fn ledger() -> IncidentLedger {
    let mut ledger = IncidentLedger::in_memory();
    let r = ledger
        .import(&data("incidents/dprk_attributed_incidents.csv"))
        .expect("dprk");
    assert_eq!((r.rows_read, r.imported, r.rejected.len()), (86, 86, 0));
    let r = ledger
        .import(&data("incidents/defihacklabs_incidents.csv"))
        .expect("dhl");
    assert_eq!((r.rows_read, r.imported, r.rejected.len()), (856, 856, 0));
    ledger
}

#[test]
fn dprk_per_year_sums_equal_the_csv() {
    // Independent re-read: sum amount_usd per year (first 4 characters of `date`).
    let mut expected: BTreeMap<u16, (u64, u64)> = BTreeMap::new();
    for row in csv_rows("incidents/dprk_attributed_incidents.csv") {
        let year: u16 = row["date"][..4].parse().expect("year");
        let slot = expected.entry(year).or_default();
        slot.0 += 1;
        slot.1 += row["amount_usd"].parse::<u64>().unwrap_or(0);
    }
    let stats = ledger().stats();
    for y in &stats.dprk_by_year {
        let (n, usd) = expected.get(&y.year).copied().unwrap_or_default();
        assert_eq!((y.incidents, y.usd), (n, usd), "year {}", y.year);
    }
    // And the source's published per-year totals (PROVENANCE.md) where its rows add up.
    let usd = |year: u16| {
        stats
            .dprk_by_year
            .iter()
            .find(|y| y.year == year)
            .map(|y| y.usd)
    };
    assert_eq!(usd(2017), Some(109_490_000));
    assert_eq!(usd(2018), Some(430_265_000));
    assert_eq!(usd(2019), Some(191_794_000));
    assert_eq!(usd(2020), Some(306_933_000));
    assert_eq!(usd(2021), Some(477_050_000));
    assert_eq!(usd(2022), Some(767_638_000));
    assert_eq!(usd(2023), Some(649_889_146 - 162_000));
    assert_eq!(usd(2025), Some(1_500_000_000));
    let dprk = stats
        .by_actor
        .iter()
        .find(|t| t.key == DPRK)
        .expect("dprk tally");
    assert_eq!(dprk.incidents, 86);
}

#[test]
fn defihacklabs_rows_keep_their_links() {
    let ledger = ledger();
    let stats = ledger.stats();
    assert_eq!(stats.incidents, 942);
    let per_year: BTreeMap<String, u64> = stats
        .by_year
        .iter()
        .map(|t| (t.key.clone(), t.incidents))
        .collect();
    // PROVENANCE.md per-year DeFiHackLabs counts plus the DPRK rows of each year.
    assert_eq!(per_year["2026"], 113);
    assert_eq!(per_year["2022"], 129 + 9);
    let chains: BTreeMap<String, u64> = stats
        .by_chain
        .iter()
        .map(|t| (t.key.clone(), t.incidents))
        .collect();
    assert_eq!(chains["bsc"], 239);
    assert_eq!(chains["ethereum"], 221);
    assert_eq!(chains["unknown"], 302 + 86);
    let rows = csv_rows("incidents/defihacklabs_incidents.csv");
    let with_attacker = rows
        .iter()
        .filter(|r| !r["attacker_urls"].is_empty())
        .count();
    let with_tx = rows
        .iter()
        .filter(|r| !r["attack_tx_urls"].is_empty())
        .count();
    let incidents = ledger.incidents();
    let linked_attacker = incidents
        .iter()
        .filter(|i| i.addresses.iter().any(|a| a.role == "attacker"))
        .count();
    let linked_tx = incidents.iter().filter(|i| !i.txs.is_empty()).count();
    assert_eq!((with_attacker, with_tx), (560, 503));
    // Rows whose links end in a 20-byte address / 32-byte hash (python re-count: 559 / 493);
    // the other links (Phalcon/CertiK pages without a hash) are kept as references, with a warning.
    assert_eq!((linked_attacker, linked_tx), (559, 493));
    let parity = ledger.get("dhl-0001").expect("first row");
    assert_eq!(parity.victim, "Parity Multisig");
    assert_eq!(parity.amount_usd, Some(30_000_000));
    assert_eq!(parity.txs.len(), 2);
    assert_eq!(
        parity.addresses[0].address,
        "0xB3764761E297D6f121e79C32A65829Cd1dDb4D32"
    );
    let bybit = ledger.list(&IncidentFilter {
        victim: Some("bybit".into()),
        actor: Some("dprk".into()),
        ..IncidentFilter::default()
    });
    assert_eq!(bybit.len(), 1);
    assert_eq!(bybit[0].amount_usd, Some(1_500_000_000));
    let y2022 = ledger.list(&IncidentFilter {
        year: Some(2022),
        actor: Some("dprk".into()),
        ..IncidentFilter::default()
    });
    assert_eq!(y2022.len(), 9);
    // Attacker addresses become `hack` labels in the label store.
    let mut store = LabelStore::in_memory();
    store.replace_labels(
        "incident:defihacklabs_incidents.csv",
        ledger.attacker_labels(),
    );
    let parity_attacker = store.lookup("0xb3764761e297d6f121e79c32a65829cd1ddb4d32");
    assert!(
        parity_attacker[0]
            .name
            .starts_with("Parity Multisig attacker")
    );
}

#[test]
fn docs_table_is_generated_from_the_data() {
    let table = dprk_comparison_markdown(&ledger().stats());
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/labels.md"))
            .expect("docs/labels.md");
    assert!(
        docs.contains(&table),
        "docs/labels.md is out of date; regenerate with `cargo run -p chaintrail-labels --example dprk_table`:\n{table}"
    );
}

#[test]
fn ledger_persists() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut ledger = IncidentLedger::open(dir.path()).expect("open");
    ledger
        .import(&data("incidents/dprk_attributed_incidents.csv"))
        .expect("import");
    ledger.save().expect("save");
    let again = IncidentLedger::open(dir.path()).expect("reopen");
    assert_eq!(again.incidents(), ledger.incidents());
}

/// Found by fuzzing (fuzz target `labels_incidents`): two DPRK rows near u64::MAX dollars were
/// accepted and `stats` overflowed adding them up.
#[test]
fn absurd_amounts_are_rejected_and_tallies_cannot_overflow() {
    use chaintrail_labels::incidents::MAX_INCIDENT_USD;
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("dprk.csv");
    let header = "date,victim,amount_usd,amount_as_written,vector_icon,source_path,note\n";
    std::fs::write(
        &path,
        format!(
            "{header}2017,A,18446744073709549616,x,,README.md,\n2018,B,18446744073709549616,x,,README.md,\n\
             2019,C,{},x,,README.md,\n2020,D,5300000,x,,README.md,\n",
            MAX_INCIDENT_USD - 1
        ),
    )
    .expect("write");
    let mut ledger = IncidentLedger::in_memory();
    let report = ledger.import(&path).expect("import");
    assert_eq!((report.rows_read, report.imported), (4, 2));
    assert_eq!(report.rejected.len(), 2);
    assert_eq!(report.rejected[0].field.as_deref(), Some("amount_usd"));
    assert!(
        report.rejected[0].message.contains("more than any theft"),
        "{:?}",
        report.rejected[0]
    );
    let stats = ledger.stats();
    assert_eq!(stats.usd, MAX_INCIDENT_USD - 1 + 5_300_000);

    // Amounts each below the bound that together pass u64::MAX: the file is refused whole.
    let rows = u64::MAX / (MAX_INCIDENT_USD - 1) + 1;
    let mut text = header.to_string();
    for n in 0..rows {
        text.push_str(&format!(
            "2021,V{n},{},x,,README.md,\n",
            MAX_INCIDENT_USD - 1
        ));
    }
    std::fs::write(&path, text).expect("write");
    let error = ledger.import(&path).expect_err("the total does not fit");
    assert!(error.to_string().contains("add up past"), "{error}");
    assert_eq!(
        ledger.stats().usd,
        MAX_INCIDENT_USD - 1 + 5_300_000,
        "the ledger is unchanged"
    );
}
