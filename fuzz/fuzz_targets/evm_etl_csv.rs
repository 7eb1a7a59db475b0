//! ethereum-etl CSV tables (`parse_etl_csv`). Input: a selector byte for the table, then the CSV.
#![no_main]

use chaintrail_evm::parse_etl_csv;
use chaintrail_fuzz::{ETL_TABLES, select};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((table, csv)) = select(data, &ETL_TABLES) {
        let _ = parse_etl_csv(table, csv);
    }
});
