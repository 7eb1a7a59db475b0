//! The exposure index after an import that appended blocks, and after a follower's block that
//! also changed labels and links: updating it recomputes only the addresses the new records and
//! changes can reach, and answers exactly as a full build does.

use std::collections::BTreeMap;
use std::path::Path;

use chaintrail_core::{Address, BitcoinNetwork, Chain};
use chaintrail_ingest::synthetic;
use chaintrail_labels::{Category, Date, Label, LabelStore, Source};
use chaintrail_links::Link;
use chaintrail_screen::{
    BuildReport, ChainExposure, ExposureIndex, InputChanges, Inputs, Screener, index::INDEX_FORMAT,
};
use chaintrail_store::Store;

const ETH: Chain = Chain::Evm(31337);
const BTC: Chain = Chain::Bitcoin(BitcoinNetwork::Regtest);

fn label(chain: Chain, address: &Address, name: &str, category: Category) -> Label {
    let address = address.to_string();
    Label::new(
        Source::Graphsense,
        "test:update",
        chain,
        &address,
        name,
        vec![category],
    )
}

/// Some of the generator's popular addresses (hubs) are services and illicit actors.
fn labels(dir: &Path) {
    let categories = [
        Category::Exchange,
        Category::Hack,
        Category::Sanctioned,
        Category::Mixer,
    ];
    let mut all = Vec::new();
    for (i, category) in categories.into_iter().enumerate() {
        let name = format!("Entity {i}");
        all.push(label(
            ETH,
            &synthetic::account_address(i as u64 * 3),
            &name,
            category,
        ));
        all.push(label(
            BTC,
            &synthetic::utxo_address(i as u64 * 2),
            &name,
            category,
        ));
    }
    add_labels(dir, "test:update", all);
}

/// Put `labels` in the store's label store as dataset `dataset`.
fn add_labels(dir: &Path, dataset: &str, labels: Vec<Label>) {
    let mut store = LabelStore::open(dir).expect("labels");
    store.replace_labels(dataset, labels);
    store.save().expect("save labels");
}

/// Every stored exposure of an update equals the full build's.
fn assert_same(
    updated: &BTreeMap<(Chain, u32), ChainExposure>,
    full: &BTreeMap<(Chain, u32), ChainExposure>,
) {
    assert_eq!(updated.len(), full.len());
    let differing: Vec<_> = full
        .iter()
        .filter(|(key, exposure)| updated.get(*key) != Some(*exposure))
        .map(|(key, _)| *key)
        .collect();
    assert!(
        differing.is_empty(),
        "{} differ: {differing:?}",
        differing.len()
    );
}

/// Append the transactions of the two generators from `from` (in transactions) to `to`.
fn append(store: &Store, account: &[chaintrail_core::AccountTx], utxo: &[chaintrail_core::UtxoTx]) {
    let mut writer = store.writer(ETH).expect("writer");
    for tx in account {
        writer.append_account_tx(tx).expect("append");
    }
    writer.finish("test", serde_json::json!(0)).expect("finish");
    let mut writer = store.writer(BTC).expect("writer");
    for tx in utxo {
        writer.append_utxo_tx(tx).expect("append");
    }
    writer.finish("test", serde_json::json!(0)).expect("finish");
}

/// Every stored exposure of the index, by chain and id.
fn contents(dir: &Path) -> BTreeMap<(Chain, u32), ChainExposure> {
    let index = ExposureIndex::load(dir).expect("load").expect("an index");
    let mut all = BTreeMap::new();
    for chain in &index.file_meta.chains {
        for id in 1..chain.addresses {
            let mut exposure = index
                .get(chain.chain, id)
                .expect("readable")
                .expect("covered");
            // Exposures of equal level and value come in no particular order.
            exposure.exposures.sort_by_key(|e| format!("{e:?}"));
            all.insert((chain.chain, id), exposure);
        }
    }
    assert!(index.verify().is_empty());
    all
}

/// A store in a new directory holding `account` and `utxo`, its hubs labelled ([`labels`]).
fn labelled_store(
    account: &[chaintrail_core::AccountTx],
    utxo: &[chaintrail_core::UtxoTx],
) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("init");
    append(&store, account, utxo);
    labels(dir.path());
    (dir, store)
}

/// Open the screener of `dir` and update its index (or build it in full, with `full`) for
/// 2023-12-01 (the generator's blocks are from 2023-11-14 on).
fn build(dir: &Path, full: bool) -> (Screener, BuildReport) {
    let mut screener = Screener::open(dir).expect("screener");
    let at: Date = "2023-12-01".parse().expect("date");
    let report = screener
        .build_index(Some(at), 2, full, &|_, _| {})
        .expect("build");
    (screener, report)
}

#[test]
fn an_update_after_appended_blocks_equals_a_full_build() {
    let account: Vec<_> = synthetic::account_txs(7, 4_500).collect();
    let utxo: Vec<_> = synthetic::utxo_txs(7, 4_000).collect();
    let (account_split, utxo_split) = (account.len() * 9 / 10, utxo.len() * 9 / 10);
    let (dir, store) = labelled_store(&account[..account_split], &utxo[..utxo_split]);

    let (_, first) = build(dir.path(), false);
    assert_eq!(
        first.computed, first.addresses,
        "a first build computes everything"
    );
    assert!(first.with_exposure > 100, "{first:?}");

    append(&store, &account[account_split..], &utxo[utxo_split..]);
    assert!(
        Screener::open(dir.path())
            .expect("screener")
            .index_status()
            .starts_with("stale")
    );
    let (screener, updated) = build(dir.path(), false);
    assert!(
        updated.computed < updated.addresses && updated.computed > 0,
        "an update computes only what the new blocks change: {updated:?}"
    );
    assert!(
        screener.index_status().starts_with("built"),
        "{}",
        screener.index_status()
    );
    drop(screener);
    let after_update = contents(dir.path());

    let (_, full) = build(dir.path(), true);
    assert_eq!(full.computed, full.addresses);
    assert_eq!(
        (full.with_exposure, full.truncated),
        (updated.with_exposure, updated.truncated)
    );
    let after_full = contents(dir.path());
    assert_same(&after_update, &after_full);
}

/// An index another chaintrail version wrote (another format) does not stop screening: it is
/// stale, and an update builds it again in full.
#[test]
fn an_index_of_another_format_is_stale_and_built_again() {
    let account: Vec<_> = synthetic::account_txs(8, 600).collect();
    let utxo: Vec<_> = synthetic::utxo_txs(8, 600).collect();
    let (dir, _store) = labelled_store(&account, &utxo);
    let (_, first) = build(dir.path(), true);
    let path = ExposureIndex::path(dir.path());
    let mut bytes = std::fs::read(&path).expect("index");
    let format = INDEX_FORMAT.as_bytes();
    let at = bytes
        .windows(format.len())
        .position(|w| w == format)
        .expect("the format in the metadata");
    bytes[at + format.len() - 1] = b'3';
    std::fs::write(&path, &bytes).expect("write");

    let screener = Screener::open(dir.path()).expect("a screener despite the old index");
    assert!(
        screener.index_status().starts_with("stale: exposure index")
            && screener
                .index_status()
                .contains("is in format `chaintrail-exposure-index/3`"),
        "{}",
        screener.index_status()
    );
    drop(screener);
    let (screener, again) = build(dir.path(), false);
    assert_eq!(again.computed, again.addresses, "built in full");
    assert_eq!(again.with_exposure, first.with_exposure);
    assert!(
        screener.index_status().starts_with("built"),
        "{}",
        screener.index_status()
    );
}

/// The store's derived links, as `chaintrail links build` leaves them.
fn write_links(dir: &Path, links: &[Link]) {
    let links_dir = chaintrail_links::store::links_dir(dir);
    std::fs::create_dir_all(&links_dir).expect("links dir");
    let mut lines = String::new();
    for link in links {
        lines.push_str(&serde_json::to_string(link).expect("json"));
        lines.push('\n');
    }
    std::fs::write(links_dir.join("links.jsonl"), lines).expect("write links");
}

fn bridge(
    from_chain: Chain,
    from_tx: chaintrail_core::TxHash,
    to_chain: Chain,
    to_tx: chaintrail_core::TxHash,
) -> Link {
    Link {
        kind: "bridge".to_string(),
        via: "Test Bridge".to_string(),
        decoder: "test".to_string(),
        from_chain,
        from_tx,
        to_chain,
        to_tx,
        to_address: None,
        confidence: 1.0,
        evidence: "test".to_string(),
        share: 1.0,
    }
}

#[test]
fn an_update_after_a_block_that_changed_labels_and_links_equals_a_full_build() {
    let account: Vec<_> = synthetic::account_txs(11, 4_500).collect();
    let utxo: Vec<_> = synthetic::utxo_txs(11, 4_000).collect();
    let (account_split, utxo_split) = (account.len() - 3, utxo.len() - 3);
    let (dir, store) = labelled_store(&account[..account_split], &utxo[..utxo_split]);
    // A bridge from Ethereum to Bitcoin, and one back, in the indexed part.
    let kept = bridge(ETH, account[100].hash, BTC, utxo[120].hash);
    let dropped = bridge(BTC, utxo[200].hash, ETH, account[300].hash);
    write_links(dir.path(), &[kept.clone(), dropped]);
    // The walk crosses a link where value reaches a converter: the inbounds pay bridges.
    add_labels(
        dir.path(),
        "test:bridge",
        vec![
            label(
                ETH,
                account[100].transfers[0].to.as_ref().expect("a recipient"),
                "Bridge A",
                Category::Bridge,
            ),
            label(
                ETH,
                account[500].transfers[0].to.as_ref().expect("a recipient"),
                "Bridge B",
                Category::Bridge,
            ),
            label(
                BTC,
                &utxo[200].outputs[0].address,
                "Bridge C",
                Category::Bridge,
            ),
        ],
    );
    let (_, first) = build(dir.path(), false);
    assert_eq!(first.links, 2);
    let before = Inputs::read(&store).expect("inputs");

    // The block: more transactions, a new label, one link gone and one that points into the
    // new transactions (a payout that just arrived).
    append(&store, &account[account_split..], &utxo[utxo_split..]);
    add_labels(
        dir.path(),
        "test:block",
        vec![label(
            ETH,
            account[10].transfers[0].to.as_ref().expect("a recipient"),
            "Newly Seen Exchange",
            Category::Exchange,
        )],
    );
    let arrived = bridge(ETH, account[500].hash, BTC, utxo[utxo.len() - 5].hash);
    write_links(dir.path(), &[kept, arrived]);
    let changes = InputChanges::between(&before, &Inputs::read(&store).expect("inputs"));
    assert_eq!(changes.counts(), (1, 0, 2), "{changes:?}");

    let mut screener = Screener::open(dir.path()).expect("screener");
    let at: Date = "2023-12-01".parse().expect("date");
    let updated = screener
        .update_index(&changes, Some(at), 2, &|_, _| {})
        .expect("update");
    assert!(
        updated.computed < updated.addresses && updated.computed > 0,
        "an update computes only what the block changed: {updated:?}"
    );
    assert!(screener.index_status().starts_with("built"));
    drop(screener);
    let after_update = contents(dir.path());

    let (_, full) = build(dir.path(), true);
    assert_eq!(full.computed, full.addresses);
    let after_full = contents(dir.path());
    assert_same(&after_update, &after_full);

    // Changes that do not lead from the index's inputs to the current ones are not trusted:
    // another label, and the block's changes passed again, build in full.
    add_labels(
        dir.path(),
        "test:later",
        vec![label(
            ETH,
            &synthetic::account_address(41),
            "Later",
            Category::Mixer,
        )],
    );
    let mut screener = Screener::open(dir.path()).expect("screener");
    let report = screener
        .update_index(&changes, Some(at), 2, &|_, _| {})
        .expect("build");
    assert_eq!(report.computed, report.addresses);
}

#[test]
fn an_update_follows_known_links_back_from_the_chain_that_grew() {
    let account: Vec<_> = synthetic::account_txs(13, 4_500).collect();
    let utxo: Vec<_> = synthetic::utxo_txs(13, 4_000).collect();
    let account_split = account.len() * 9 / 10;
    let (dir, store) = labelled_store(&account[..account_split], &utxo);
    // Bitcoin value bridged onto Ethereum: the outgoing walks of the Bitcoin addresses upstream
    // of the inbound continue on Ethereum, into whatever it receives later.
    let links: Vec<Link> = (0..20)
        .map(|i| {
            bridge(
                BTC,
                utxo[100 + 40 * i].hash,
                ETH,
                account[200 + 60 * i].hash,
            )
        })
        .collect();
    write_links(dir.path(), &links);
    // The walk crosses a link where value reaches a converter: the inbounds pay a bridge.
    let bridges = (0..20)
        .filter_map(|i| utxo[100 + 40 * i].outputs.first())
        .map(|output| label(BTC, &output.address, "Test Bridge", Category::Bridge))
        .collect();
    add_labels(dir.path(), "test:bridge", bridges);
    build(dir.path(), false);
    // Only Ethereum grows.
    append(&store, &account[account_split..], &[]);
    let (_, updated) = build(dir.path(), false);
    let btc_addresses = store.reader(BTC).expect("reader").address_count() as u64;
    assert!(
        updated.computed < updated.addresses && updated.computed > btc_addresses / 10,
        "Bitcoin addresses upstream of the links are computed again: {updated:?}"
    );
    let after_update = contents(dir.path());
    build(dir.path(), true);
    let after_full = contents(dir.path());
    assert_same(&after_update, &after_full);
}

#[test]
fn other_labels_or_a_later_label_boundary_build_in_full() {
    let account: Vec<_> = synthetic::account_txs(3, 900).collect();
    let utxo: Vec<_> = synthetic::utxo_txs(3, 900).collect();
    let (dir, _store) = labelled_store(&account, &utxo);
    build(dir.path(), false);
    add_labels(
        dir.path(),
        "test:more",
        vec![label(
            ETH,
            &synthetic::account_address(1),
            "Late Exchange",
            Category::Exchange,
        )],
    );
    let (_, report) = build(dir.path(), false);
    assert_eq!(
        report.computed, report.addresses,
        "labels changed: a full build"
    );
}

#[test]
fn a_damaged_index_is_named_when_read_and_by_verify() {
    let account: Vec<_> = synthetic::account_txs(5, 600).collect();
    let (dir, _store) = labelled_store(&account, &[]);
    build(dir.path(), false);
    let path = ExposureIndex::path(dir.path());
    let mut bytes = std::fs::read(&path).expect("read");
    // The body's first byte, after the 16-byte header.
    bytes[16] ^= 0x20;
    std::fs::write(&path, &bytes).expect("write");
    let index = ExposureIndex::load(dir.path())
        .expect("opens: nothing read")
        .expect("index");
    let damage = index.verify();
    assert_eq!(damage.len(), 1, "{damage:?}");
    assert!(damage[0].contains("segment 1 of 1"), "{damage:?}");
    let chain = index
        .file_meta
        .chains
        .iter()
        .find(|c| c.chain == ETH)
        .expect("eth")
        .clone();
    let err = (1..chain.addresses)
        .find_map(|id| index.get(chain.chain, id).err())
        .expect("a read of the damaged segment fails");
    assert!(err.to_string().contains("damaged"), "{err}");
}
