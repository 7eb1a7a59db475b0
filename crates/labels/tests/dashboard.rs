//! The DPRK dashboard on the real DPRK list (shared/data/incidents) plus a curated row that
//! names the attack's chain and transaction, as an investigator's copy of the list may.

mod common;

use chaintrail_labels::IncidentLedger;
use chaintrail_labels::dashboard::dprk_dashboard;
use common::data;

const CURATED: &str = "date,victim,amount_usd,amount_as_written,vector_icon,source_path,note,chain,attack_tx_urls,attacker_urls
2022-03-23,Ronin Bridge (curated),625000000,\"$625,000,000\",👛,README.md,theft date,ethereum,https://etherscan.io/tx/0xc28fad5e8d5e0ce6a2eaf67b6687be5d58113e16be590824d6cfa1a94467d0b7 https://example.org/writeup,0x098B716B8Aaf21512996dC57EB0615e2383E2f96
";

#[test]
fn the_ledger_per_year_stands_beside_the_published_totals_with_their_status() {
    let dir = tempfile::tempdir().expect("tempdir");
    let curated = dir.path().join("dprk_curated.csv");
    std::fs::write(&curated, CURATED).expect("write");
    let mut ledger = IncidentLedger::in_memory();
    ledger
        .import(&data("incidents/dprk_attributed_incidents.csv"))
        .expect("dprk");
    let report = ledger.import(&curated).expect("curated");
    assert_eq!((report.imported, report.rejected.len()), (1, 0));
    // The link without a hash is kept as a reference, with a warning naming it.
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);

    let dashboard = dprk_dashboard(&ledger);
    let ids: Vec<&str> = dashboard.series.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["ledger", "Chainalysis", "MSMT (Oct 2025)"]);

    // The ledger: the DPRK list's own per-year sums (docs/labels.md) plus the curated Ronin row.
    let ledger_series = &dashboard.series[0];
    let year = |y: u16| {
        ledger_series
            .points
            .iter()
            .find(|p| p.year == y)
            .expect("year")
    };
    assert_eq!(
        (year(2021).usd, year(2021).incidents),
        (477_050_000, Some(14))
    );
    assert_eq!(
        (year(2022).usd, year(2022).incidents),
        (767_638_000 + 625_000_000, Some(10))
    );
    assert_eq!(year(2025).usd, 1_500_000_000);
    assert_eq!(ledger_series.points.len(), 9);

    // Chainalysis' 2022 figure is marked unverified with anchors.md's word; 2023 is verified.
    let chainalysis = &dashboard.series[1];
    let years: Vec<(u16, u64, bool)> = chainalysis
        .points
        .iter()
        .map(|p| (p.year, p.usd, p.verified))
        .collect();
    assert_eq!(
        years,
        [
            (2021, 400_000_000, true),
            (2022, 1_700_000_000, false),
            (2023, 660_500_000, true),
            (2024, 1_340_000_000, true)
        ]
    );
    assert!(
        chainalysis.points[1]
            .citation
            .starts_with("reference/anchors.md §6")
    );
    assert_eq!(
        chainalysis.points[0].published.as_deref(),
        Some("Chainalysis 2022 report (early 2022)")
    );

    // The UN Panel's totals span years: beside the ledger's sum over the same whole years.
    let un = &dashboard.spans[0];
    assert_eq!(
        (un.publisher.as_str(), un.since, un.until, un.published.usd),
        (
            "UN Panel of Experts (S/2024/215)",
            2017,
            2023,
            3_000_000_000
        )
    );
    assert!(!un.published.verified);
    assert_eq!(un.ledger_usd, 2_932_897_146 + 625_000_000);
    assert_eq!(un.ledger_incidents, 83);

    // Incidents: the curated one carries its seed; the list's own rows name none.
    assert_eq!(dashboard.incidents.len(), 87);
    let ronin = dashboard
        .incidents
        .iter()
        .find(|i| i.victim == "Ronin Bridge (curated)")
        .expect("curated row");
    assert_eq!(ronin.chains, ["ethereum"]);
    assert_eq!(
        ronin.seeds,
        ["ethereum:0xc28fad5e8d5e0ce6a2eaf67b6687be5d58113e16be590824d6cfa1a94467d0b7"]
    );
    assert_eq!(
        dashboard
            .incidents
            .iter()
            .filter(|i| !i.seeds.is_empty())
            .count(),
        1
    );
}
