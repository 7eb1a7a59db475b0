//! A DataFusion table whose rows are produced from the store batch by batch, as a query reads
//! them: nothing is materialised up front, only the projected columns are built, and the rows
//! are split into partitions that DataFusion reads in parallel.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::error::Result;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};

/// Units a batch is cut from (transfers, transactions, address ids, …).
const BATCH_UNITS: u64 = 1 << 16;

/// One chain's part of a table: a run of units, each producing zero or more rows.
pub(crate) trait RowSource: Send + Sync + 'static {
    /// How many units there are (`0..units()` are passed to [`RowSource::batch`]).
    fn units(&self) -> u64;
    /// The rows of `units`, with only the columns of `projection` (indexes into the table's
    /// schema) in that order, matching `schema`.
    fn batch(
        &self,
        units: Range<u64>,
        projection: &[usize],
        schema: &SchemaRef,
    ) -> Result<RecordBatch>;
}

/// A table over one [`RowSource`] per chain.
pub(crate) struct StoreTable {
    schema: SchemaRef,
    sources: Vec<Arc<dyn RowSource>>,
}

impl StoreTable {
    pub(crate) fn new(schema: SchemaRef, sources: Vec<Arc<dyn RowSource>>) -> StoreTable {
        StoreTable { schema, sources }
    }
}

impl fmt::Debug for StoreTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreTable")
            .field("schema", &self.schema)
            .field("sources", &self.sources.len())
            .finish()
    }
}

#[async_trait]
impl TableProvider for StoreTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let projection: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.schema.fields().len()).collect(),
        };
        let schema = Arc::new(self.schema.project(&projection)?);
        let wanted = state.config().target_partitions().max(1) as u64;
        let total: u64 = self.sources.iter().map(|s| s.units()).sum();
        // Ranges no smaller than a batch, about `wanted` of them over all chains.
        let span = total.div_ceil(wanted).max(BATCH_UNITS);
        let mut partitions: Vec<Arc<dyn PartitionStream>> = Vec::new();
        for source in &self.sources {
            let units = source.units();
            let mut start = 0;
            while start < units {
                let end = units.min(start + span);
                partitions.push(Arc::new(Partition {
                    source: source.clone(),
                    units: start..end,
                    projection: projection.clone(),
                    schema: schema.clone(),
                }));
                start = end;
            }
        }
        if partitions.is_empty() {
            partitions.push(Arc::new(Partition {
                source: Arc::new(Empty),
                units: 0..0,
                projection,
                schema: schema.clone(),
            }));
        }
        Ok(Arc::new(StreamingTableExec::try_new(
            schema,
            partitions,
            None,
            Vec::new(),
            false,
            limit,
        )?))
    }
}

struct Empty;

impl RowSource for Empty {
    fn units(&self) -> u64 {
        0
    }

    fn batch(&self, _: Range<u64>, _: &[usize], schema: &SchemaRef) -> Result<RecordBatch> {
        Ok(RecordBatch::new_empty(schema.clone()))
    }
}

struct Partition {
    source: Arc<dyn RowSource>,
    units: Range<u64>,
    projection: Vec<usize>,
    schema: SchemaRef,
}

impl fmt::Debug for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Partition")
            .field("units", &self.units)
            .field("projection", &self.projection)
            .finish()
    }
}

impl PartitionStream for Partition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let (source, projection, schema) = (
            self.source.clone(),
            self.projection.clone(),
            self.schema.clone(),
        );
        let Range { start, end } = self.units.clone();
        let batches = (start..end)
            .step_by(BATCH_UNITS as usize)
            .map(move |from| source.batch(from..end.min(from + BATCH_UNITS), &projection, &schema));
        Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            futures::stream::iter(batches),
        ))
    }
}
