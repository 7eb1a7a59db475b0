//! OFAC SDN snapshots: the advanced XML (plain or bzip2, told by the magic bytes) and the derived
//! address-list CSVs, then the labels derived from the snapshot.
#![no_main]

use chaintrail_fuzz::{fresh_dir, write_file};
use chaintrail_labels::ofac::{derive_labels, read_snapshot};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = write_file(&fresh_dir("ofac"), "sdn_2025-01-01.csv", data);
    if let Ok((snapshot, _)) = read_snapshot(&path, None) {
        let _ = derive_labels(&[snapshot], &[]);
    }
});
