//! Forta's labelled-dataset CSVs (all three layouts, told by the header).
#![no_main]

use chaintrail_fuzz::{fresh_dir, write_file};
use chaintrail_labels::evm::read_forta;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = write_file(&fresh_dir("forta"), "ethereum_labels.csv", data);
    let _ = read_forta(&path, None);
});
