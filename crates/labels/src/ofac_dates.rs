//! Designation dates of SDN addresses, from a dated address list (`date_added,address[,name]`:
//! ultrasoundmoney's list of OFAC-sanctioned Ethereum addresses, 2024-08-20 version): the date
//! an address itself was put on the SDN list, which none of OFAC's own files carries (the
//! advanced XML dates only a party's SDN entry).

use std::path::Path;

use chaintrail_core::Date;
use serde::{Deserialize, Serialize};

use crate::error::{LabelError, Result};
use crate::ofac::{csv_error, display_name};
use crate::report::ImportReport;

/// One address's designation date, with where it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesignationDate {
    /// The address.
    pub address: String,
    /// Its designation date.
    pub date: Date,
    /// The file that says so.
    pub file: String,
    /// Its line there.
    pub line: u64,
}

impl DesignationDate {
    /// `file:line`, for provenance.
    pub fn source(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// Read a dated SDN address list: columns `address` and `date_added` (or `designated`), any
/// others ignored. Rows without an address or with a date that does not exist are rejected,
/// with file, line and field.
pub fn read_designation_dates(path: &Path) -> Result<(Vec<DesignationDate>, ImportReport)> {
    let file = display_name(path);
    let mut report = ImportReport::new("ofac_dates");
    report.files.push(file.clone());
    let input = std::fs::File::open(path).map_err(|e| LabelError::io(path, e))?;
    let mut reader = csv::Reader::from_reader(input);
    let headers = reader.headers().map_err(|e| csv_error(&file, &e))?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(address_col), Some(date_col)) = (
        col("address"),
        col("date_added").or_else(|| col("designated")),
    ) else {
        return Err(LabelError::Format {
            file,
            message: format!(
                "expected a dated SDN address list with columns address and date_added; found {}",
                headers.iter().collect::<Vec<_>>().join(",")
            ),
        });
    };
    let mut dates = Vec::new();
    for record in reader.records() {
        let Some((record, line)) = report.csv_row(&file, record) else {
            continue;
        };
        let get = |i: usize| record.get(i).map(str::trim).unwrap_or("");
        let address = get(address_col);
        if address.is_empty() {
            report.reject(&file, line, Some("address"), "empty `address`".to_string());
            continue;
        }
        match get(date_col).parse::<Date>() {
            Ok(date) => dates.push(DesignationDate {
                address: address.to_string(),
                date,
                file: file.clone(),
                line,
            }),
            Err(e) => report.reject(&file, line, Some("date_added"), e.to_string()),
        }
    }
    report.imported = dates.len() as u64;
    Ok((dates, report))
}
