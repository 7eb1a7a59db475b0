//! Tornado Cash's contract list CSV.
#![no_main]

use chaintrail_fuzz::{fresh_dir, write_file};
use chaintrail_labels::evm::read_tornado;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = write_file(&fresh_dir("tornado"), "tornado_cash_contracts.csv", data);
    let _ = read_tornado(&path);
});
