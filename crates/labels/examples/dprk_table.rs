//! Print the DPRK per-year comparison table of docs/labels.md from the incident data.
//! `cargo run -p chaintrail-labels --example dprk_table [DATA_DIR]`

use std::path::PathBuf;

use chaintrail_labels::IncidentLedger;
use chaintrail_labels::incidents::dprk_comparison_markdown;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    let mut ledger = IncidentLedger::in_memory();
    ledger.import(&data.join("incidents/dprk_attributed_incidents.csv"))?;
    print!("{}", dprk_comparison_markdown(&ledger.stats()));
    Ok(())
}
