//! The tables beside the chains: `labels` (the label store), `links` (derived and given
//! converter links), `clusters` (the address clustering, when built) and `exposure` (the
//! screening exposure index, when built).

use std::ops::Range;
use std::sync::Arc;

use chaintrail_core::Chain;
use chaintrail_labels::Date;
use chaintrail_screen::{Direction, ExposureType};
use datafusion::arrow::array::{ArrayRef, Date32Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::datasource::MemTable;
use datafusion::error::{DataFusionError, Result};

use crate::World;
use crate::chain_tables::{ChainSource, table};
use crate::columns::{boolean, field, float, opt_float, record_batch, text, text_all, uint32};
use crate::provider::{RowSource, StoreTable};

fn date32(values: impl Iterator<Item = Option<Date>>) -> ArrayRef {
    let days = values.map(|d| d.and_then(|d| i32::try_from(d.days_since_epoch()).ok()));
    Arc::new(Date32Array::from_iter(days))
}

fn memory(schema: Schema, columns: Vec<ArrayRef>) -> Result<MemTable> {
    let schema = Arc::new(schema);
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    MemTable::try_new(schema, vec![vec![batch]])
}

/// Every label of the label store, one row per label (a label names one address).
pub(crate) fn labels(world: &World) -> Result<MemTable> {
    let labels = world.screener.labels().labels();
    let schema = Schema::new(vec![
        field("address", DataType::Utf8, false),
        field("chain", DataType::Utf8, true),
        field("currency", DataType::Utf8, false),
        field("name", DataType::Utf8, false),
        field("category", DataType::Utf8, false),
        field("role", DataType::Utf8, true),
        field("flags", DataType::Utf8, false),
        field("source", DataType::Utf8, false),
        field("dataset", DataType::Utf8, false),
        field("confidence", DataType::UInt32, false),
        field("valid_from", DataType::Date32, true),
        field("valid_to", DataType::Date32, true),
    ]);
    let flags = |l: &chaintrail_labels::Label| {
        l.flags
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    memory(
        schema,
        vec![
            text_all(labels.iter().map(|l| l.address.as_str())),
            text(labels.iter().map(|l| l.chain.map(|c| c.to_string()))),
            text_all(labels.iter().map(|l| l.currency.as_str())),
            text_all(labels.iter().map(|l| l.name.as_str())),
            text_all(labels.iter().map(|l| l.category.as_str())),
            text(labels.iter().map(|l| l.role.map(|r| r.as_str()))),
            text_all(labels.iter().map(flags)),
            text_all(labels.iter().map(|l| l.source.to_string())),
            text_all(labels.iter().map(|l| l.dataset.as_str())),
            uint32(labels.iter().map(|l| u32::from(l.confidence))),
            date32(labels.iter().map(|l| l.valid_from)),
            date32(labels.iter().map(|l| l.valid_to)),
        ],
    )
}

/// Every converter link the screener crosses (derived by `chaintrail links build`, or given).
pub(crate) fn links(world: &World) -> Result<MemTable> {
    let links = world.screener.links().converter().links();
    let schema = Schema::new(vec![
        field("kind", DataType::Utf8, false),
        field("via", DataType::Utf8, false),
        field("decoder", DataType::Utf8, false),
        field("from_chain", DataType::Utf8, false),
        field("from_tx", DataType::Utf8, false),
        field("to_chain", DataType::Utf8, false),
        field("to_tx", DataType::Utf8, false),
        field("to_address", DataType::Utf8, true),
        field("confidence", DataType::Float64, false),
        field("share", DataType::Float64, false),
        field("evidence", DataType::Utf8, false),
    ]);
    let tx = |chain: Chain, hash: chaintrail_core::TxHash| match chain {
        Chain::Evm(_) => hash.to_hex_prefixed(),
        Chain::Bitcoin(_) => hash.to_hex(),
    };
    memory(
        schema,
        vec![
            text_all(links.iter().map(|l| l.kind.as_str())),
            text_all(links.iter().map(|l| l.via.as_str())),
            text_all(links.iter().map(|l| l.decoder.as_str())),
            text_all(links.iter().map(|l| l.from_chain.to_string())),
            text_all(links.iter().map(|l| tx(l.from_chain, l.from_tx))),
            text_all(links.iter().map(|l| l.to_chain.to_string())),
            text_all(links.iter().map(|l| tx(l.to_chain, l.to_tx))),
            text(links.iter().map(|l| l.to_address.as_deref())),
            float(links.iter().map(|l| l.confidence)),
            float(links.iter().map(|l| l.share)),
            text_all(links.iter().map(|l| l.evidence.as_str())),
        ],
    )
}

/// The cluster id of every clustered address: the smallest address id of its cluster, so two
/// addresses of a chain are one entity when their `cluster` is equal.
pub(crate) fn clusters(world: &Arc<World>) -> StoreTable {
    let schema = Schema::new(vec![
        field("chain", DataType::Utf8, false),
        field("address", DataType::Utf8, false),
        field("cluster", DataType::UInt32, false),
    ]);
    table(world, None, schema, Clusters)
}

struct Clusters(ChainSource);

impl RowSource for Clusters {
    fn units(&self) -> u64 {
        self.0.reader().address_count() as u64
    }

    fn batch(
        &self,
        units: Range<u64>,
        projection: &[usize],
        schema: &SchemaRef,
    ) -> Result<RecordBatch> {
        let Some(clusters) = self.0.world.screener.clusters() else {
            return Ok(RecordBatch::new_empty(schema.clone()));
        };
        let reader = self.0.reader();
        let rows: Vec<(String, u32)> = units
            .filter_map(|id| u32::try_from(id).ok())
            .filter_map(|id| {
                let cluster = clusters.cluster_id(self.0.chain, id)?;
                Some((reader.address(id)?.to_string(), cluster))
            })
            .collect();
        let columns = projection
            .iter()
            .map(|&c| match c {
                0 => self.0.chain_column(rows.len()),
                1 => text_all(rows.iter().map(|(a, _)| a.as_str())),
                _ => uint32(rows.iter().map(|&(_, c)| c)),
            })
            .collect();
        record_batch(schema, columns, rows.len())
    }
}

/// The screening exposure index, one row per (address, category, entity, direction, type): what
/// `chaintrail screen` answers from, as of the index's date.
pub(crate) fn exposure(world: &Arc<World>) -> StoreTable {
    let schema = Schema::new(vec![
        field("chain", DataType::Utf8, false),
        field("address", DataType::Utf8, false),
        field("category", DataType::Utf8, false),
        field("entity", DataType::Utf8, false),
        field("direction", DataType::Utf8, false),
        field("exposure_type", DataType::Utf8, false),
        field("min_hops", DataType::UInt32, false),
        field("usd", DataType::Float64, false),
        field("direct_usd", DataType::Float64, true),
        field("share", DataType::Float64, false),
        field("level", DataType::Utf8, false),
        field("alert", DataType::Boolean, false),
        field("first_day", DataType::Date32, true),
        field("last_day", DataType::Date32, true),
        field("via_cluster", DataType::Utf8, true),
        field("truncated", DataType::Boolean, false),
    ]);
    table(world, None, schema, Exposures)
}

struct Exposures(ChainSource);

impl RowSource for Exposures {
    fn units(&self) -> u64 {
        match self.0.world.screener.index() {
            Some(_) => self.0.reader().address_count() as u64,
            None => 0,
        }
    }

    fn batch(
        &self,
        units: Range<u64>,
        projection: &[usize],
        schema: &SchemaRef,
    ) -> Result<RecordBatch> {
        let Some(index) = self.0.world.screener.index() else {
            return Ok(RecordBatch::new_empty(schema.clone()));
        };
        let reader = self.0.reader();
        let mut rows = Vec::new();
        for id in units.filter_map(|id| u32::try_from(id).ok()) {
            let found = index
                .get(self.0.chain, id)
                .map_err(|e| DataFusionError::External(Box::new(e)))?;
            let (Some(found), Some(address)) = (found, reader.address(id)) else {
                continue;
            };
            let address = address.to_string();
            for e in found.exposures {
                rows.push((address.clone(), e, found.truncated));
            }
        }
        let direct =
            |e: &chaintrail_screen::Exposure| e.by_hop.iter().find(|h| h.hops == 1).map(|h| h.usd);
        let columns = projection
            .iter()
            .map(|&c| match c {
                0 => self.0.chain_column(rows.len()),
                1 => text_all(rows.iter().map(|(a, _, _)| a.as_str())),
                2 => text_all(rows.iter().map(|(_, e, _)| e.category.as_str())),
                3 => text_all(rows.iter().map(|(_, e, _)| e.entity.as_str())),
                4 => text_all(rows.iter().map(|(_, e, _)| match e.direction {
                    Direction::Incoming => "incoming",
                    Direction::Outgoing => "outgoing",
                })),
                5 => text_all(rows.iter().map(|(_, e, _)| match e.exposure_type {
                    ExposureType::Direct => "direct",
                    ExposureType::Indirect => "indirect",
                })),
                6 => uint32(rows.iter().map(|(_, e, _)| e.min_hops)),
                7 => float(rows.iter().map(|(_, e, _)| e.usd)),
                8 => opt_float(rows.iter().map(|(_, e, _)| direct(e))),
                9 => float(rows.iter().map(|(_, e, _)| e.share)),
                10 => text_all(rows.iter().map(|(_, e, _)| e.level.as_str())),
                11 => boolean(rows.iter().map(|(_, e, _)| e.alert)),
                12 => date32(rows.iter().map(|(_, e, _)| e.first_day)),
                13 => date32(rows.iter().map(|(_, e, _)| e.last_day)),
                14 => text(rows.iter().map(|(_, e, _)| e.via_cluster.as_deref())),
                _ => boolean(rows.iter().map(|&(_, _, t)| t)),
            })
            .collect();
        record_batch(schema, columns, rows.len())
    }
}
