//! Reading cryo's Parquet values: which physical column shapes are accepted, one row's values
//! found by column key ([`RowView`]), and each value as an integer, address, hash, data, text,
//! boolean or U256 amount (binary big-endian, decimal or `0x` text, or an integer).

use std::collections::HashMap;

use alloy_primitives::{Address as EvmAddress, B256, Bytes, U256};
use parquet::basic::{ConvertedType, LogicalType, Type as PhysicalType};
use parquet::record::Field;
use parquet::schema::types::ColumnDescriptor;

use crate::rpcjson::u256_text;

/// The physical shape of a Parquet column (only shapes the row API converts without panicking).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    Binary,
    Text,
    Bool,
    Float,
}

pub(crate) fn kind_of(column: &ColumnDescriptor) -> Option<Kind> {
    use ConvertedType as C;
    use PhysicalType as P;
    if column.max_rep_level() > 0 || column.path().parts().len() != 1 {
        return None;
    }
    match (column.physical_type(), column.converted_type()) {
        (P::BOOLEAN, C::NONE) => Some(Kind::Bool),
        (
            P::INT32,
            C::NONE | C::INT_8 | C::INT_16 | C::INT_32 | C::UINT_8 | C::UINT_16 | C::UINT_32,
        ) => Some(Kind::Int),
        (P::INT64, C::NONE | C::INT_64 | C::UINT_64) => Some(Kind::Int),
        (P::BYTE_ARRAY, C::UTF8) => Some(Kind::Text),
        (P::BYTE_ARRAY, C::NONE | C::BSON) => Some(Kind::Binary),
        (P::FIXED_LEN_BYTE_ARRAY, C::NONE)
            if column.logical_type_ref() != Some(&LogicalType::Float16) =>
        {
            Some(Kind::Binary)
        }
        (P::FLOAT | P::DOUBLE, C::NONE) => Some(Kind::Float),
        _ => None,
    }
}

pub(crate) fn describe_column(column: &ColumnDescriptor) -> String {
    if column.max_rep_level() > 0 || column.path().parts().len() != 1 {
        return "a nested or repeated column".to_string();
    }
    match column.converted_type() {
        ConvertedType::NONE => format!("{}", column.physical_type()),
        converted => format!("{} ({converted})", column.physical_type()),
    }
}

/// One row, with its values found by spec key.
pub(crate) struct RowView<'a> {
    pub(crate) fields: &'a [(String, Field)],
    /// spec key → (position in `fields`, column name)
    pub(crate) index: &'a HashMap<&'static str, (usize, String)>,
}

impl RowView<'_> {
    pub(crate) fn field(&self, key: &str) -> Option<(&Field, &str)> {
        let (i, name) = self.index.get(key)?;
        let (_, field) = self.fields.get(*i)?;
        Some((field, name.as_str()))
    }

    pub(crate) fn get<T>(
        &self,
        key: &str,
        read: fn(&Field) -> Result<Option<T>, String>,
    ) -> Result<Option<T>, String> {
        match self.field(key) {
            None => Ok(None),
            Some((field, name)) => read(field).map_err(|e| format!("column `{name}`: {e}")),
        }
    }

    pub(crate) fn need<T>(
        &self,
        key: &str,
        read: fn(&Field) -> Result<Option<T>, String>,
    ) -> Result<T, String> {
        let name = self.index.get(key).map(|(_, n)| n.as_str()).unwrap_or(key);
        self.get(key, read)?
            .ok_or_else(|| format!("column `{name}` is null"))
    }

    pub(crate) fn int(&self, key: &str) -> Result<Option<u64>, String> {
        self.get(key, int_of)
    }
    pub(crate) fn amount(&self, key: &str) -> Result<Option<U256>, String> {
        self.get(key, amount_of)
    }
    pub(crate) fn address(&self, key: &str) -> Result<Option<EvmAddress>, String> {
        self.get(key, address_of)
    }
    pub(crate) fn hash(&self, key: &str) -> Result<Option<B256>, String> {
        self.get(key, hash_of)
    }
    pub(crate) fn text(&self, key: &str) -> Result<Option<String>, String> {
        self.get(key, text_of)
    }
}

pub(crate) fn int_of(field: &Field) -> Result<Option<u64>, String> {
    let signed = |v: i64| {
        u64::try_from(v).map_err(|_| format!("{v} is negative, expected a non-negative integer"))
    };
    Ok(Some(match field {
        Field::Null => return Ok(None),
        Field::Byte(v) => signed(i64::from(*v))?,
        Field::Short(v) => signed(i64::from(*v))?,
        Field::Int(v) => signed(i64::from(*v))?,
        Field::Long(v) => signed(*v)?,
        Field::UByte(v) => u64::from(*v),
        Field::UShort(v) => u64::from(*v),
        Field::UInt(v) => u64::from(*v),
        Field::ULong(v) => *v,
        other => return Err(format!("expected an integer, found {other}")),
    }))
}

fn bytes_of(field: &Field) -> Result<Option<Vec<u8>>, String> {
    Ok(Some(match field {
        Field::Null => return Ok(None),
        Field::Bytes(b) => b.data().to_vec(),
        Field::Str(text) => {
            let hex_text = text.strip_prefix("0x").unwrap_or(text);
            hex::decode(hex_text).map_err(|_| format!("`{text}` is not hex data"))?
        }
        other => return Err(format!("expected binary data, found {other}")),
    }))
}

pub(crate) fn address_of(field: &Field) -> Result<Option<EvmAddress>, String> {
    let Some(bytes) = bytes_of(field)? else {
        return Ok(None);
    };
    match bytes.len() {
        20 => Ok(Some(EvmAddress::from_slice(&bytes))),
        // An address as a 32-byte word (cryo writes 32 zero bytes for a failed create's
        // address in `native_transfers`).
        32 if bytes[..12].iter().all(|b| *b == 0) => Ok(Some(EvmAddress::from_slice(&bytes[12..]))),
        n => Err(format!(
            "0x{} is {n} bytes, not a 20-byte address",
            hex::encode(&bytes)
        )),
    }
}

pub(crate) fn hash_of(field: &Field) -> Result<Option<B256>, String> {
    let Some(bytes) = bytes_of(field)? else {
        return Ok(None);
    };
    if bytes.len() != 32 {
        return Err(format!(
            "0x{} is {} bytes, not a 32-byte hash",
            hex::encode(&bytes),
            bytes.len()
        ));
    }
    Ok(Some(B256::from_slice(&bytes)))
}

pub(crate) fn data_of(field: &Field) -> Result<Option<Bytes>, String> {
    Ok(bytes_of(field)?.map(Bytes::from))
}

pub(crate) fn text_of(field: &Field) -> Result<Option<String>, String> {
    Ok(Some(match field {
        Field::Null => return Ok(None),
        Field::Str(s) => s.clone(),
        Field::Bytes(b) => String::from_utf8(b.data().to_vec())
            .map_err(|_| "expected UTF-8 text, found binary data".to_string())?,
        other => return Err(format!("expected text, found {other}")),
    }))
}

pub(crate) fn bool_of(field: &Field) -> Result<Option<bool>, String> {
    Ok(Some(match field {
        Field::Null => return Ok(None),
        Field::Bool(b) => *b,
        other => match int_of(other)? {
            Some(0) => false,
            Some(1) => true,
            _ => return Err(format!("expected a boolean, found {other}")),
        },
    }))
}

pub(crate) fn amount_of(field: &Field) -> Result<Option<U256>, String> {
    Ok(Some(match field {
        Field::Null => return Ok(None),
        Field::Bytes(b) => {
            let data = b.data();
            U256::try_from_be_slice(data)
                .ok_or_else(|| format!("{} bytes do not fit a 256-bit amount", data.len()))?
        }
        Field::Str(text) => u256_text(text)?,
        other => match int_of(other)? {
            Some(v) => U256::from(v),
            None => return Ok(None),
        },
    }))
}
