//! Arrow arrays from iterators, and the column types the tables share.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray, TimestampSecondArray,
    UInt32Array, UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, Field, TimeUnit};

/// The time zone of every timestamp column: block times are UTC.
pub(crate) const UTC: &str = "UTC";

pub(crate) fn field(name: &str, data_type: DataType, nullable: bool) -> Field {
    Field::new(name, data_type, nullable)
}

pub(crate) fn time_type() -> DataType {
    DataType::Timestamp(TimeUnit::Second, Some(UTC.into()))
}

pub(crate) fn text<S: AsRef<str>>(values: impl Iterator<Item = Option<S>>) -> ArrayRef {
    Arc::new(StringArray::from_iter(values))
}

pub(crate) fn text_all<S: AsRef<str>>(values: impl Iterator<Item = S>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(values))
}

pub(crate) fn uint(values: impl Iterator<Item = u64>) -> ArrayRef {
    Arc::new(UInt64Array::from_iter_values(values))
}

pub(crate) fn uint32(values: impl Iterator<Item = u32>) -> ArrayRef {
    Arc::new(UInt32Array::from_iter_values(values))
}

pub(crate) fn opt_uint(values: impl Iterator<Item = Option<u64>>) -> ArrayRef {
    Arc::new(UInt64Array::from_iter(values))
}

pub(crate) fn opt_int(values: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(Int64Array::from_iter(values))
}

pub(crate) fn float(values: impl Iterator<Item = f64>) -> ArrayRef {
    Arc::new(Float64Array::from_iter_values(values))
}

pub(crate) fn opt_float(values: impl Iterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(Float64Array::from_iter(values))
}

pub(crate) fn boolean(values: impl Iterator<Item = bool>) -> ArrayRef {
    Arc::new(values.map(Some).collect::<BooleanArray>())
}

/// Seconds since the epoch as a UTC timestamp; times past `i64::MAX` seconds are null.
pub(crate) fn time(values: impl Iterator<Item = u64>) -> ArrayRef {
    let seconds = values.map(|s| i64::try_from(s).ok());
    Arc::new(TimestampSecondArray::from_iter(seconds).with_timezone(UTC))
}

/// A batch of `rows` rows; `rows` matters when a query projects no column (`count(*)`).
pub(crate) fn record_batch(
    schema: &datafusion::arrow::datatypes::SchemaRef,
    columns: Vec<ArrayRef>,
    rows: usize,
) -> datafusion::error::Result<datafusion::arrow::array::RecordBatch> {
    let options = datafusion::arrow::array::RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(datafusion::arrow::array::RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &options,
    )?)
}
