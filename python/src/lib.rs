//! `chaintrail._native`: the extension module behind the `chaintrail` Python package. It opens a
//! store and calls the same library functions as the CLI and the server, in-process, with the
//! GIL released while they work. Structured results cross as JSON text (the CLI's `--format
//! json`, byte for byte the same serialisation) and transfers as column batches; the Python side
//! (`chaintrail/__init__.py`) turns them into Arrow tables.

use std::path::PathBuf;
use std::sync::Arc;

use chaintrail_core::{Chain, ChainModel, TxHash};
use chaintrail_labels::Date;
use chaintrail_query::{QueryError, TransferScan};
use chaintrail_screen::{Query, Screener};
use chaintrail_store::StoreError;
use chaintrail_trace::{Policy, Seed, TraceRequest};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyDict;

create_exception!(
    chaintrail,
    ChaintrailError,
    PyException,
    "An error of chaintrail, with the CLI's message; `hint` says what to do, when known."
);

/// The CLI's error line (without `error: `): the error and its causes, joined by `: `, with the
/// CLI's hint as the exception's `hint` attribute.
fn to_py_err(err: &(dyn std::error::Error + 'static)) -> PyErr {
    let message = e_chain(err);
    let mut hint = None;
    let mut next = Some(err);
    while let Some(cause) = next {
        if let Some(store) = cause.downcast_ref::<StoreError>() {
            hint = hint.or_else(|| store.hint());
        }
        next = cause.source();
    }
    Python::attach(|py| {
        let err = ChaintrailError::new_err(message);
        match err.value(py).setattr("hint", hint) {
            Ok(()) => err,
            Err(setattr_failed) => setattr_failed,
        }
    })
}

/// An error that is only a message (a bad argument).
fn message_err(message: impl Into<String>) -> PyErr {
    let err: Box<dyn std::error::Error> = message.into().into();
    to_py_err(err.as_ref())
}

fn json<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| to_py_err(&e))
}

fn parse_chain(text: Option<&str>) -> PyResult<Option<Chain>> {
    text.map(|t| t.parse::<Chain>().map_err(|e| to_py_err(&e)))
        .transpose()
}

fn parse_date(text: Option<&str>) -> PyResult<Option<Date>> {
    text.map(|t| t.parse::<Date>().map_err(|e| to_py_err(&e)))
        .transpose()
}

/// An open store: its chains, labels, clusters, links and prices, read once.
#[pyclass(frozen, module = "chaintrail._native")]
struct Store {
    store: chaintrail_store::Store,
    screener: Arc<Screener>,
}

#[pyfunction]
fn open(py: Python<'_>, data_dir: PathBuf) -> PyResult<Store> {
    py.detach(|| {
        let store = chaintrail_store::Store::open(&data_dir).map_err(|e| to_py_err(&e))?;
        let screener = Screener::open(&data_dir).map_err(|e| to_py_err(&e))?;
        Ok(Store {
            store,
            screener: Arc::new(screener),
        })
    })
}

#[pymethods]
impl Store {
    /// The store's directory.
    #[getter]
    fn data_dir(&self) -> PathBuf {
        self.store.dir().to_path_buf()
    }

    #[pyo3(signature = (chain=None))]
    fn stats(&self, py: Python<'_>, chain: Option<&str>) -> PyResult<String> {
        let chain = parse_chain(chain)?;
        py.detach(|| {
            let stats = self.store.stats(chain).map_err(|e| to_py_err(&e))?;
            json(&stats)
        })
    }

    #[pyo3(signature = (address, chain=None, top=10))]
    fn address(
        &self,
        py: Python<'_>,
        address: &str,
        chain: Option<&str>,
        top: usize,
    ) -> PyResult<String> {
        let chain = parse_chain(chain)?;
        py.detach(|| {
            let s = &self.screener;
            let views = chaintrail_query::address_views(
                &self.store,
                s.labels(),
                s.clusters(),
                address,
                chain,
                top,
            )
            .map_err(|e| to_py_err(&e))?;
            json(&views)
        })
    }

    #[pyo3(signature = (hash, chain=None))]
    fn tx(&self, py: Python<'_>, hash: &str, chain: Option<&str>) -> PyResult<String> {
        let chain = parse_chain(chain)?;
        let parsed: TxHash = hash.parse().map_err(|e| to_py_err(&e))?;
        py.detach(|| {
            let summary = chaintrail_query::find_tx(&self.store, &parsed, chain)
                .and_then(|found| found.ok_or_else(|| QueryError::TxNotInStore(hash.to_string())))
                .map_err(|e| to_py_err(&e))?;
            json(&summary)
        })
    }

    #[pyo3(signature = (address, date=None))]
    fn labels(&self, address: &str, date: Option<&str>) -> PyResult<String> {
        let at = parse_date(date)?;
        json(&self.screener.labels().show(address, at))
    }

    #[pyo3(signature = (seeds, policy, max_hops, min_value, until, backward, min_confidence, budget))]
    #[allow(clippy::too_many_arguments)] // one per keyword argument of `Store.trace`
    fn trace(
        &self,
        py: Python<'_>,
        seeds: Vec<String>,
        policy: &str,
        max_hops: u32,
        min_value: String,
        until: Option<&str>,
        backward: bool,
        min_confidence: f64,
        budget: u64,
    ) -> PyResult<String> {
        let seeds = seeds
            .iter()
            .map(|text| text.parse::<Seed>().map_err(|e| to_py_err(&e)))
            .collect::<PyResult<Vec<_>>>()?;
        if seeds.is_empty() {
            return Err(message_err(
                "give at least one seed: <chain>:<tx hash | address | txid:vout>",
            ));
        }
        let policy: Policy = policy.parse().map_err(|e| to_py_err(&e))?;
        let until = until
            .map(chaintrail_trace::parse_until)
            .transpose()
            .map_err(message_err)?;
        let request = TraceRequest {
            seeds,
            policy,
            max_hops,
            min_value,
            until,
            backward,
            budget,
            min_confidence,
            ..TraceRequest::default()
        };
        py.detach(|| {
            let report = self.screener.trace(&request).map_err(|e| to_py_err(&e))?;
            json(&report)
        })
    }

    #[pyo3(signature = (addresses, date=None, chain=None, paths=false))]
    fn screen(
        &self,
        py: Python<'_>,
        addresses: Vec<String>,
        date: Option<&str>,
        chain: Option<&str>,
        paths: bool,
    ) -> PyResult<String> {
        let at = parse_date(date)?;
        let chain = parse_chain(chain)?;
        py.detach(|| {
            let mut results = Vec::with_capacity(addresses.len());
            for address in addresses {
                let query = Query {
                    address: address.clone(),
                    chain,
                    at,
                    paths,
                };
                let screening = self.screener.screen(&query).map_err(|e| {
                    // The CLI's context for a failed screening.
                    message_err(format!("screening {address}: {}", e_chain(&e)))
                })?;
                results.push(screening);
            }
            json(&results)
        })
    }

    #[pyo3(signature = (address=None, since=None, until=None, chain=None, batch_rows=65_536))]
    fn transfers(
        &self,
        py: Python<'_>,
        address: Option<&str>,
        since: Option<u64>,
        until: Option<u64>,
        chain: Option<&str>,
        batch_rows: usize,
    ) -> PyResult<TransferStream> {
        let only = parse_chain(chain)?;
        if batch_rows == 0 {
            return Err(message_err("batch_rows must be at least 1"));
        }
        py.detach(|| {
            let readers = self.screener.readers();
            let mut scans = Vec::new();
            match address {
                Some(text) => {
                    let found = chaintrail_query::address_chains(&self.store, text, only)
                        .map_err(|e| to_py_err(&e))?;
                    for (chain, parsed) in found {
                        let reader = self.reader(chain)?;
                        scans.push(TransferScan::new(reader, Some(&parsed), since, until));
                    }
                }
                None => {
                    if let Some(chain) = only {
                        self.reader(chain)?;
                    }
                    for (chain, reader) in readers {
                        if only.is_none_or(|o| o == *chain) && reader.model() == ChainModel::Account
                        {
                            scans.push(TransferScan::new(reader, None, since, until));
                        }
                    }
                }
            }
            scans.reverse();
            Ok(TransferStream {
                screener: self.screener.clone(),
                scans,
                batch_rows,
            })
        })
    }

    #[pyo3(signature = (address, chain=None))]
    fn clusters(&self, address: &str, chain: Option<&str>) -> PyResult<String> {
        let chain = parse_chain(chain)?;
        let clusters = self.screener.clusters().ok_or_else(|| {
            message_err("no clusters were built for this store: run `chaintrail cluster build`")
        })?;
        json(&clusters.find(address, chain))
    }

    fn links(&self, py: Python<'_>, what: &str) -> PyResult<String> {
        py.detach(|| {
            let shown = chaintrail_links::derived_about(self.store.dir(), what)
                .map_err(|e| to_py_err(&e))?;
            json(&shown)
        })
    }
}

impl Store {
    fn reader(&self, chain: Chain) -> PyResult<&chaintrail_store::ChainReader> {
        match self.screener.readers().get(&chain) {
            Some(reader) => Ok(reader),
            None => Err(to_py_err(&StoreError::NoSuchChain {
                chain,
                present: self
                    .screener
                    .readers()
                    .keys()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            })),
        }
    }
}

/// An error with its causes, as one line.
fn e_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

/// The transfers of `Store.transfers`, read batch by batch: each call to `next_batch` reads up to
/// `batch_rows` more rows from the store.
#[pyclass(module = "chaintrail._native")]
struct TransferStream {
    screener: Arc<Screener>,
    /// The chains still to read, the current one last.
    scans: Vec<TransferScan>,
    batch_rows: usize,
}

#[pymethods]
impl TransferStream {
    /// The next batch as columns (name → list), or `None` when every chain is read.
    fn next_batch<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let rows = py.detach(|| -> Result<_, StoreError> {
            while let Some(scan) = self.scans.last_mut() {
                let Some(reader) = self.screener.readers().get(&scan.chain()) else {
                    self.scans.pop();
                    continue;
                };
                let rows = scan.next_batch(reader, self.batch_rows);
                // A batch read from a damaged segment is refused, not returned.
                reader.ensure_intact()?;
                if rows.is_empty() {
                    self.scans.pop();
                    continue;
                }
                return Ok(rows);
            }
            Ok(Vec::new())
        });
        let rows = rows.map_err(|e| to_py_err(&e))?;
        if rows.is_empty() {
            return Ok(None);
        }
        let columns = PyDict::new(py);
        macro_rules! column {
            ($name:literal, $value:expr) => {
                columns.set_item($name, rows.iter().map($value).collect::<Vec<_>>())?
            };
        }
        column!("chain", |r| r.chain.to_string());
        column!("block", |r| r.block.height);
        column!("time", |r| r.block.timestamp);
        column!("tx", |r| r.tx.clone());
        column!("position", |r| r.position);
        column!("from", |r| r.from.clone());
        column!("to", |r| r.to.clone());
        column!("kind", |r| r.kind.to_string());
        column!("asset", |r| r.value.asset.clone());
        column!("contract", |r| r.value.contract.clone());
        column!("decimals", |r| r.value.decimals);
        column!("amount", |r| r.value.amount.to_string());
        column!("units", |r| r.value.units.clone());
        column!("success", |r| r.success);
        Ok(Some(columns))
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(open, m)?)?;
    m.add_class::<Store>()?;
    m.add_class::<TransferStream>()?;
    m.add("ChaintrailError", m.py().get_type::<ChaintrailError>())?;
    m.add(
        "DEFAULT_MIN_CONFIDENCE",
        chaintrail_trace::DEFAULT_MIN_CONFIDENCE,
    )?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
