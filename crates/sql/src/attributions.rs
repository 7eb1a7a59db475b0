//! The `attributions` table: every address of the store that the screener attributes, with the
//! entity and each category it counts under — its role (as of the catalog's date) and each flag
//! with the days it holds. It is what screening joins transfers against, so SQL can do the
//! same (see [`crate::direct_exposure_sql`]).

use std::ops::Range;
use std::sync::Arc;

use chaintrail_screen::Attributor;
use datafusion::arrow::array::{ArrayRef, Date32Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::error::Result;

use crate::World;
use crate::chain_tables::{ChainSource, table};
use crate::columns::{field, record_batch, text, text_all};
use crate::provider::{RowSource, StoreTable};

pub(crate) fn attributions(world: &Arc<World>) -> StoreTable {
    let schema = Schema::new(vec![
        field("chain", DataType::Utf8, false),
        field("address", DataType::Utf8, false),
        field("entity", DataType::Utf8, false),
        field("category", DataType::Utf8, false),
        field("kind", DataType::Utf8, false),
        field("valid_from", DataType::Date32, true),
        field("valid_to", DataType::Date32, true),
        field("via_cluster", DataType::Utf8, true),
    ]);
    table(world, None, schema, Attributions)
}

struct Attributions(ChainSource);

/// One category an entity counts under: a role (any day) or a flag (on the days it holds;
/// from the start when its start is unknown, as screening counts it out of caution).
struct Row {
    address: String,
    entity: String,
    category: &'static str,
    role: bool,
    valid_from: Option<i32>,
    valid_to: Option<i32>,
    via_cluster: Option<String>,
}

fn days(date: Option<chaintrail_labels::Date>) -> Option<i32> {
    date.and_then(|d| i32::try_from(d.days_since_epoch()).ok())
}

impl RowSource for Attributions {
    fn units(&self) -> u64 {
        self.0.reader().address_count() as u64
    }

    fn batch(
        &self,
        units: Range<u64>,
        projection: &[usize],
        schema: &SchemaRef,
    ) -> Result<RecordBatch> {
        let reader = self.0.reader();
        let attributor = Attributor {
            labels: self.0.world.screener.labels(),
            clusters: self.0.world.screener.clusters(),
            at: self.0.world.at,
        };
        let mut rows = Vec::new();
        for id in units
            .filter_map(|id| u32::try_from(id).ok())
            .filter(|&id| id != 0)
        {
            let Some(address) = reader.address(id).map(|a| a.to_string()) else {
                continue;
            };
            let Some(entity) = attributor.entity(self.0.chain, &address) else {
                continue;
            };
            if let Some(role) = entity.role {
                rows.push(Row {
                    address: address.clone(),
                    entity: entity.name.clone(),
                    category: role.as_str(),
                    role: true,
                    valid_from: None,
                    valid_to: None,
                    via_cluster: entity.via_cluster.clone(),
                });
            }
            // A flag of the role's own category adds no day the role does not already count.
            for flag in entity.flags.iter().filter(|f| Some(f.flag) != entity.role) {
                rows.push(Row {
                    address: address.clone(),
                    entity: entity.name.clone(),
                    category: flag.flag.as_str(),
                    role: false,
                    valid_from: if flag.unknown_start.is_some() {
                        None
                    } else {
                        days(flag.valid_from)
                    },
                    valid_to: days(flag.valid_to),
                    via_cluster: entity.via_cluster.clone(),
                });
            }
        }
        let dates = |f: fn(&Row) -> Option<i32>| -> ArrayRef {
            Arc::new(Date32Array::from_iter(rows.iter().map(f)))
        };
        let columns = projection
            .iter()
            .map(|&c| match c {
                0 => self.0.chain_column(rows.len()),
                1 => text_all(rows.iter().map(|r| r.address.as_str())),
                2 => text_all(rows.iter().map(|r| r.entity.as_str())),
                3 => text_all(rows.iter().map(|r| r.category)),
                4 => text_all(rows.iter().map(|r| if r.role { "role" } else { "flag" })),
                5 => dates(|r| r.valid_from),
                6 => dates(|r| r.valid_to),
                _ => text(rows.iter().map(|r| r.via_cluster.as_deref())),
            })
            .collect();
        record_batch(schema, columns, rows.len())
    }
}
