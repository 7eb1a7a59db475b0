//! `chaintrail bench label-hubs`: the table over `chaintrail_eval::hubs::label_hubs`.

use crate::commands::Global;
use crate::output::{Format, Table, emit};

/// Label the hubs of worlds generated with `transfers` and `utxo_records` (the sizes given to
/// `bench store`).
pub fn label_hubs(global: &Global, transfers: u64, utxo_records: u64) -> anyhow::Result<()> {
    let result = chaintrail_eval::hubs::label_hubs(&global.data_dir, transfers, utxo_records)?;
    let mut table = Table::new(&["chain", "labelled hubs"]);
    for r in &result {
        table.row(vec![r.chain.to_string(), r.hubs.to_string()]);
    }
    emit(global.format.unwrap_or(Format::Table), &result, &[table])
}
