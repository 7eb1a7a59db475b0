//! Rendering of command results as a table, JSON or CSV.

use std::io::Write;

use clap::ValueEnum;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Rows of text with headers, for the table and CSV renderings.
#[derive(Clone)]
pub struct Table {
    pub title: Option<String>,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            title: None,
            headers: headers.iter().map(ToString::to_string).collect(),
            rows: Vec::new(),
        }
    }

    pub fn titled(mut self, title: impl Into<String>) -> Table {
        self.title = Some(title.into());
        self
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if let Some(title) = &self.title {
            writeln!(out, "{title}")?;
        }
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let line = |cells: &[String]| {
            cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        writeln!(out, "{}", line(&self.headers))?;
        writeln!(
            out,
            "{}",
            widths
                .iter()
                .map(|w| "-".repeat(*w))
                .collect::<Vec<_>>()
                .join("  ")
        )?;
        for row in &self.rows {
            writeln!(out, "{}", line(row))?;
        }
        Ok(())
    }

    fn write_csv(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let escape = |cell: &String| {
            if cell.contains([',', '"', '\n']) {
                format!("\"{}\"", cell.replace('"', "\"\""))
            } else {
                cell.clone()
            }
        };
        writeln!(
            out,
            "{}",
            self.headers
                .iter()
                .map(escape)
                .collect::<Vec<_>>()
                .join(",")
        )?;
        for row in &self.rows {
            writeln!(
                out,
                "{}",
                row.iter().map(escape).collect::<Vec<_>>().join(",")
            )?;
        }
        Ok(())
    }
}

/// Print a result: JSON from the value itself; table and CSV from its tabular views.
pub fn emit<T: Serialize>(format: Format, value: &T, tables: &[Table]) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, value)?;
            writeln!(out)?;
        }
        Format::Table => {
            for (i, table) in tables.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                table.write_text(&mut out)?;
            }
        }
        Format::Csv => {
            for table in tables {
                table.write_csv(&mut out)?;
            }
        }
    }
    Ok(())
}
