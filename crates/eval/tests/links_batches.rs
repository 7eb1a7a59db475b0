//! Links kept up to date batch after batch of blocks, as `chaintrail follow` keeps them with a
//! [`chaintrail_links::Builder`], equal what one build over the same store finds, after every
//! batch: a simulated world (heists through THORChain, the Avalanche Bridge, Tornado pools and a
//! custodial mixer, exchanges with deposit addresses) is written as a partitioned
//! ethereum-etl/bitcoin-etl export and imported a few partitions at a time.

use std::collections::BTreeMap;

use chaintrail_eval::batches::write_partitioned;
use chaintrail_labels::LabelStore;
use chaintrail_sim::SimConfig;
use chaintrail_store::Store;

/// What a build leaves in the links directory, but when it was built and its version.
fn saved(store: &Store) -> (String, String, String, String) {
    let dir = chaintrail_links::store::links_dir(store.dir());
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect("links file");
    let mut manifest = chaintrail_links::store::manifest(store.dir())
        .expect("manifest")
        .expect("built");
    (manifest.built_at, manifest.version) = (0, 0);
    (
        read("links.jsonl"),
        read("pending.jsonl"),
        read("attributions.jsonl"),
        format!("{manifest:#?}"),
    )
}

/// Every chain's cluster manifest (its files' checksums included), but when it was written.
fn clusters(store: &Store) -> Vec<String> {
    store
        .chains()
        .expect("chains")
        .into_iter()
        .map(|chain| {
            let dir = chaintrail_cluster::layout::chain_dir(store.dir(), chain);
            let mut manifest = chaintrail_cluster::layout::manifest(&dir)
                .expect("manifest")
                .expect("clustered");
            (manifest.updated_at, manifest.rebuilt_at) = (0, 0);
            format!("{manifest:#?}")
        })
        .collect()
}

/// The first line where the kept and the built files differ, if any.
fn assert_same(
    batch: usize,
    kept: &(String, String, String, String),
    built: &(String, String, String, String),
) {
    let files = [
        ("links", &kept.0, &built.0),
        ("pending", &kept.1, &built.1),
        ("attributions", &kept.2, &built.2),
        ("manifest", &kept.3, &built.3),
    ];
    for (name, kept, built) in files {
        let first = kept.lines().zip(built.lines()).position(|(a, b)| a != b);
        assert!(
            first.is_none() && kept.lines().count() == built.lines().count(),
            "batch {batch}: the kept {name} differ from one build's ({} and {} lines), first at \
             line {first:?}:\n{}\n{}",
            kept.lines().count(),
            built.lines().count(),
            first.and_then(|i| kept.lines().nth(i)).unwrap_or(""),
            first.and_then(|i| built.lines().nth(i)).unwrap_or(""),
        );
    }
}

#[test]
fn links_kept_up_to_date_batch_by_batch_equal_one_build_after_every_batch() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Ethereum in partitions of 1,000 blocks, Bitcoin (a block for fifty of Ethereum's) of 25.
    let (summary, world, exports) =
        write_partitioned(&SimConfig::new(3, 4_000), dir.path(), (1_000, 25)).expect("world");
    let store = Store::init(&dir.path().join("store")).expect("store");
    // The same batches, clustered without a links builder: what an import does.
    let plain = Store::init(&dir.path().join("plain")).expect("store");
    for store in [&store, &plain] {
        let mut labels = LabelStore::open(store.dir()).expect("labels");
        labels
            .import_tagpacks(&world.join("tagpacks"))
            .expect("tagpacks");
        labels.save().expect("save");
    }

    // Each batch brings a share of one chain's partitions: Ethereum, then Bitcoin, and so on.
    const BATCHES: usize = 5;
    assert!(
        exports.iter().all(|e| e.starts.len() >= BATCHES),
        "{exports:?}"
    );
    let mut builder = chaintrail_links::Builder::new();
    let mut kept_clusters = chaintrail_cluster::Kept::default();
    let mut reused: BTreeMap<&str, usize> = BTreeMap::new();
    let mut deposit_addresses = Vec::new();
    for batch in 0..BATCHES {
        for export in &exports {
            let cut = |b: usize| export.starts.len() * b / BATCHES;
            let staged = dir.path().join(format!("batch-{batch}")).join(export.chain);
            for (store, staged) in [(&store, staged.clone()), (&plain, staged.join("plain"))] {
                export
                    .import(&export.starts[cut(batch)..cut(batch + 1)], &staged, store)
                    .expect("import a batch");
            }
            let kept = builder.refresh(&store).expect("kept up to date");
            // The clusters read the deposit addresses the builder keeps instead of scanning the
            // chain for them, and come out as those clustered without it.
            chaintrail_cluster::refresh_with(&store, &builder, &mut kept_clusters)
                .expect("clusters kept");
            chaintrail_cluster::refresh(&plain, None, chaintrail_cluster::Mode::Incremental)
                .expect("clusters");
            assert_eq!(clusters(&store), clusters(&plain), "batch {batch}");
            let kept_files = saved(&store);
            let once = chaintrail_links::refresh(&store).expect("one build");
            assert_same(batch, &kept_files, &saved(&store));
            assert_eq!(kept.set.fingerprint(), once.set.fingerprint());
            for decoder in kept.reused {
                *reused.entry(decoder).or_default() += 1;
            }
            deposit_addresses.push(once.manifest.decoders["deposit-account"].attributions);
        }
    }
    let manifest = chaintrail_links::store::manifest(store.dir())
        .expect("manifest")
        .expect("built");
    // An investigator labels a derived deposit address on each chain as a desk of its own:
    // the decoders reading that chain's labels run again and its scan starts over, with the
    // result of one build. The UTXO service scan reads only the UTXO chains' labels.
    let mut kept_files = saved(&store);
    for (detector, untouched) in [
        ("deposit-account", vec!["services-utxo"]),
        ("deposit-utxo", vec![]),
    ] {
        let deposit = chaintrail_links::store::load_attributions(store.dir())
            .expect("attributions")
            .into_iter()
            .find(|a| a.detector == detector)
            .expect("a deposit address");
        let mut labels = LabelStore::open(store.dir()).expect("labels");
        labels.replace_labels(
            &format!("test:{detector}"),
            vec![chaintrail_labels::Label::new(
                chaintrail_labels::Source::Graphsense,
                &format!("test:{detector}"),
                deposit.chain,
                &deposit.address,
                "Late Desk",
                vec![chaintrail_labels::Category::Otc],
            )],
        );
        labels.save().expect("save");
        let kept = builder.refresh(&store).expect("kept after a label");
        kept_files = saved(&store);
        chaintrail_links::refresh(&store).expect("one build");
        assert_same(BATCHES, &kept_files, &saved(&store));
        assert_eq!(kept.reused, untouched, "{detector}");
        assert!(
            !kept_files
                .2
                .contains(&format!("\"address\":\"{}\"", deposit.address)),
            "a labelled address is no deposit address"
        );
    }

    // A reorg drops each chain's last commits in turn: the kept scans cannot extend what they
    // saw and scan the chain again, with the result of one build on the rolled-back store.
    for chain in store.chains().expect("chains") {
        let writer = store.writer(chain).expect("writer");
        let back_to = writer.checkpoints().len().saturating_sub(3);
        let txs_before = store.reader(chain).expect("reader").tx_count();
        writer.roll_back(back_to, &[]).expect("roll back");
        assert!(store.reader(chain).expect("reader").tx_count() < txs_before);
        builder.refresh(&store).expect("kept after a rollback");
        let rolled_back = saved(&store);
        chaintrail_links::refresh(&store).expect("one build");
        assert_same(BATCHES + 1, &rolled_back, &saved(&store));
        assert_ne!(
            rolled_back.2, kept_files.2,
            "{chain}: the rollback dropped no derived attribution: the step tests nothing"
        );
        kept_files = rolled_back;
    }

    // Blocks of one chain leave the other chain's decoders alone.
    for decoder in [
        "tornado",
        "protocol-events",
        "services-utxo",
        "custodial-mixer",
    ] {
        assert!(
            reused.get(decoder).copied().unwrap_or(0) >= BATCHES - 1,
            "{decoder}: {reused:?}"
        );
    }
    // Deposit addresses are found and lost as the batches arrive, not only found once.
    assert!(
        deposit_addresses.windows(2).filter(|w| w[1] > w[0]).count() >= 3,
        "{deposit_addresses:?}"
    );
    let deposit_addresses = deposit_addresses.last().copied().unwrap_or(0);
    // The world reached every decoder the batches exercised.
    let found = |decoder: &str| manifest.decoders.get(decoder).map_or(0, |d| d.links);
    assert!(deposit_addresses > 50, "{manifest:#?}");
    for decoder in ["thorchain", "tornado", "custodial-mixer"] {
        assert!(found(decoder) > 0, "{decoder}: {manifest:#?}");
    }
    assert!(summary.truth.heists.len() >= 2);
}
