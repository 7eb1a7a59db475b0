//! The JSON-RPC client of chaintrail, shared by every source that talks to a node: EVM nodes
//! (`chaintrail-evm`) and Bitcoin Core (`chaintrail-bitcoin`).
//!
//! - [`RpcClient`]: blocking JSON-RPC over HTTP (`minreq`, no async runtime); single calls and
//!   batches, batches split at [`RpcClient::with_max_batch`] calls per request;
//! - retries with doubling backoff ([`RpcOptions`]) on transport failures: connection refused
//!   or reset, timeouts, HTTP 429/502/503/504, a 5xx without a JSON body, and node errors that say
//!   "try again" ([`TRANSIENT_CODES`]: Bitcoin Core's −28 "warming up");
//! - authentication ([`RpcAuth`]): none, HTTP basic user/password (also from `user:pass@` in the
//!   URL), Bitcoin Core's cookie file, or a bearer token;
//! - errors ([`RpcError`]) that name the node's URL (never its credentials) and the call.
//!
//! Why a crate of its own rather than a module of `chaintrail-ingest`: the client is transport
//! only. It needs neither the store nor the value-flow model, `chaintrail-ingest` is about
//! writing into the store, and a crate with no chaintrail dependency can be used by any crate
//! (both ingestion crates today, a label fetcher or the server tomorrow) without a cycle and
//! without pulling the store in.

#![warn(missing_docs)]

mod auth;
mod call;
mod client;
mod error;
mod exchange;

pub use auth::RpcAuth;
pub use call::Call;
pub use client::{DEFAULT_MAX_BATCH, RpcClient, RpcOptions, TRANSIENT_CODES};
pub use error::RpcError;
