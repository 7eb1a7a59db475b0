mod common;

use chaintrail_core::Chain;
use chaintrail_labels::{Category, LabelStore, Source};
use common::data;

#[test]
fn explorer_label_clouds_of_seven_chains() {
    let mut store = LabelStore::in_memory();
    let report = store
        .import_explorer(&data("evm_labels/etherscan_labels"), None)
        .expect("import");
    assert!(report.failed_files.is_empty(), "{:?}", report.failed_files);
    assert_eq!(report.files.len(), 14);
    // 47,498 JSON keys; 10 are scrape artefacts ("", "genesis", "No matching records found", …)
    // — counted with python — and are rejected with a reason, not dropped.
    assert_eq!(report.rows_read, 47_498);
    assert_eq!(report.rejected.len(), 10);
    assert_eq!(report.imported, 47_488);
    assert!(
        report
            .rejected
            .iter()
            .any(|i| i.file == "bscscan_account_labels.json"
                && i.field.as_deref() == Some("There are no matching entries"))
    );
    let tornado = store
        .labels()
        .iter()
        .filter(|l| {
            l.file == "etherscan_account_labels.json"
                && l.details["labels"].split(',').any(|s| s == "tornado-cash")
        })
        .count();
    assert_eq!(tornado, 63);
    let donate = store.lookup("0x8589427373d6d84e98730d7795d8f6f8731fda16");
    let l = donate
        .iter()
        .find(|l| l.source == Source::Explorer)
        .expect("explorer label");
    assert_eq!(l.name, "Tornado.Cash: Donate");
    assert_eq!(l.chain, Some(Chain::ETHEREUM));
    assert_eq!(l.category, Category::Sanctioned);
    assert!(l.categories.contains(&Category::Mixer));
    // Per-chain: the same address on BSC is a different label with chain bsc.
    assert!(
        store
            .labels()
            .iter()
            .any(|l| l.chain == Some(Chain::Evm(56)))
    );
    assert!(
        store
            .labels()
            .iter()
            .any(|l| l.chain == Some(Chain::Evm(250)))
    );
}

#[test]
fn forta_datasets() {
    let mut store = LabelStore::in_memory();
    let report = store
        .import_forta(&data("evm_labels/forta_labelled_datasets"), None)
        .expect("import");
    assert!(report.failed_files.is_empty(), "{:?}", report.failed_files);
    assert!(
        report.rejected.is_empty(),
        "{:?}",
        &report.rejected[..report.rejected.len().min(3)]
    );
    // Two addresses fail their EIP-55 checksum (4 rows, checked with grep): kept, with a
    // warning; each is also listed in lower case, so the address has 4 labels.
    assert_eq!(report.warnings.len(), 4);
    assert_eq!(
        store
            .lookup("0xa0df9ca52e8ab5dde22c55d9b3c2cdf814b9b773")
            .len(),
        4
    );
    // 7,780 + 6,726 + 753 + 1 rows; each malicious contract also labels its creator.
    assert_eq!(report.rows_read, 7_780 + 6_726 + 753 + 1);
    assert_eq!(report.imported, 7_780 + 6_726 + 2 * 753 + 2);
    let heist = store
        .labels()
        .iter()
        .filter(|l| {
            l.details
                .get("data_source")
                .is_some_and(|s| s == "etherscan-heist-list")
        })
        .count();
    assert_eq!(heist, 71);
    let phishing = store.lookup("0x80d7bb18521acbef32d7906502ebe94928690e93");
    assert_eq!(phishing[0].name, "Fake_Phishing1772");
    assert_eq!(phishing[0].category, Category::Phishing);
    let exploiter = store.lookup("0x04ae3226c80e8c04d35e6e56089345bdd06da6de");
    assert_eq!(exploiter[0].name, "Multichain Exploiter 10");
    assert_eq!(exploiter[0].category, Category::Hack);
    let op = store.lookup("0x4f3a120e72c76c22ae802d129f599bfdbc31cb81");
    assert_eq!(op[0].chain, Some(Chain::Evm(10)));
}

#[test]
fn tornado_cash_contracts() {
    let mut store = LabelStore::in_memory();
    let report = store
        .import_tornado(&data("tornado_cash/tornado_cash_contracts.csv"))
        .expect("import");
    assert_eq!((report.rows_read, report.imported), (107, 107));
    // The 0.1 ETH/BNB pool address is reused on Arbitrum, Optimism and BSC: three labels.
    let reused = store.lookup("0x84443CFd09A48AF6eF360C6976C5392aC5023a1F");
    let chains: Vec<_> = reused.iter().filter_map(|l| l.chain).collect();
    assert!(
        chains.contains(&Chain::Evm(42161))
            && chains.contains(&Chain::Evm(10))
            && chains.contains(&Chain::Evm(56)),
        "{chains:?}"
    );
    let pool = store.lookup("0x12d66f87a04a9e220743712ce6d9bb1b5616b8fc");
    assert_eq!(pool[0].category, Category::Mixer);
    assert_eq!(pool[0].details["denomination"], "0.1");
    assert_eq!(
        store
            .labels()
            .iter()
            .filter(|l| l.details.get("role").is_some_and(|r| r == "pool"))
            .count(),
        28 + 4 * 3 + 4 + 4 + 3 + 19
    );
}
