//! Etherscan-family label clouds (`<explorer>_{account,token}_labels.json`).
#![no_main]

use chaintrail_fuzz::{fresh_dir, write_file};
use chaintrail_labels::evm::read_explorer_labels;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = write_file(
        &fresh_dir("explorer"),
        "etherscan_account_labels.json",
        data,
    );
    let _ = read_explorer_labels(&path, None);
});
