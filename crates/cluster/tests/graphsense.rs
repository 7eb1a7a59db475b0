//! GraphSense's own multi-input clustering (`gs_clustering`, PyPI graphsense-clustering,
//! installed into .tools/venv-graphsense by tests/setup-graphsense.sh) and this crate's give the
//! same partition of a simulated Bitcoin chain, fed the same input-set file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use chaintrail_cluster::inputs::{InputSets, for_each_input_set, write_input_sets};
use chaintrail_cluster::multi_input_partition;
use chaintrail_sim::{BTC_CHAIN, SimConfig, write_store};
use chaintrail_store::Store;

/// The member sets of a partition column (cluster id per address id), over `addresses` only.
fn groups(column: &[u32], addresses: &BTreeSet<u32>) -> BTreeSet<BTreeSet<u32>> {
    let mut by_cluster: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
    for &a in addresses {
        by_cluster.entry(column[a as usize]).or_default().insert(a);
    }
    by_cluster.into_values().collect()
}

/// The addresses of `column` sharing a cluster with another.
fn clustered(column: &[u32]) -> BTreeSet<u32> {
    let mut sizes: BTreeMap<u32, u32> = BTreeMap::new();
    for &c in column {
        *sizes.entry(c).or_default() += 1;
    }
    (0..column.len() as u32)
        .filter(|&a| sizes[&column[a as usize]] > 1)
        .collect()
}

#[test]
fn graphsense_and_chaintrail_give_identical_multi_input_partitions() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..");
    let setup = Command::new("bash")
        .arg(manifest.join("tests/setup-graphsense.sh"))
        .status()
        .expect("run setup-graphsense.sh");
    assert!(setup.success(), "installing graphsense-clustering failed");

    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::init(&dir.path().join("store")).expect("store");
    write_store(&SimConfig::new(3, 30_000), &store, &dir.path().join("side")).expect("simulate");
    let reader = store.reader(BTC_CHAIN).expect("bitcoin");

    let file = dir.path().join("inputs.bin");
    let counts = write_input_sets(&reader, &file).expect("write input sets");
    let mut in_sets = BTreeSet::new();
    let (mut sets_seen, mut ids_seen, mut multi_sets) = (0u64, 0u64, 0);
    for_each_input_set(&reader, |set| {
        in_sets.extend(set.iter().copied());
        sets_seen += 1;
        ids_seen += set.len() as u64;
        multi_sets += usize::from(set.len() > 1);
    });
    assert_eq!((counts.sets, counts.ids), (sets_seen, ids_seen));
    assert!(multi_sets > 100, "{multi_sets} multi-input transactions");

    let ours = multi_input_partition(&reader);
    let sets = InputSets::open(&file).expect("open input sets");
    assert_eq!(sets.counts(), counts);
    assert_eq!(
        sets.partition(),
        ours,
        "the file gives the store's partition"
    );

    let mapping = dir.path().join("gs.u32");
    let run = Command::new(root.join(".tools/venv-graphsense/bin/python"))
        .arg(manifest.join("tests/graphsense/partition.py"))
        .args([&file, &mapping])
        .output()
        .expect("run partition.py");
    assert!(
        run.status.success(),
        "partition.py failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let bytes = std::fs::read(&mapping).expect("gs mapping");
    let theirs: Vec<u32> = bytes
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    // One row per id 0..=max id: every address of the store, those in no input set included.
    assert_eq!(theirs.len(), reader.address_count());

    let expected = groups(&ours, &in_sets);
    assert_eq!(groups(&theirs, &in_sets), expected);
    let multi_clusters = expected.iter().filter(|g| g.len() > 1).count();
    assert!(
        multi_clusters > 50,
        "{multi_clusters} clusters of two or more addresses"
    );
    // Addresses in no input set are singletons on both sides.
    assert!(clustered(&ours).is_subset(&in_sets));
    assert!(clustered(&theirs).is_subset(&in_sets));
    let report = String::from_utf8_lossy(&run.stdout);
    assert!(
        report.contains(&format!("\"multi_address_clusters\": {multi_clusters}")),
        "{report}"
    );
}
