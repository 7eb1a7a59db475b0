//! Sessions, a scheduler and executors that know chaintrail's functions.
//!
//! `label_of`, `category_of` and `usd` read the store's labels, clusters, chain assets and
//! prices, so they cannot travel inside a plan: a plan names them and every process that plans
//! or runs a part of it (the client, the scheduler, each executor) resolves the name in its own
//! function registry. Each process builds its registry with [`functions_state`] from a path to
//! the store, read-only — on a cluster, the same store directory mounted or copied on every
//! machine (docs/distributed.md).

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use ballista::prelude::SessionContextExt;
use ballista_core::extension::SessionConfigExt;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use chaintrail_sql::Catalog;
use chaintrail_sql::datafusion::execution::SessionStateBuilder;
use chaintrail_sql::datafusion::execution::session_state::SessionState;
use chaintrail_sql::datafusion::logical_expr::ScalarUDF;
use chaintrail_sql::datafusion::prelude::{SessionConfig, SessionContext};

use crate::DistributedError;
use crate::tables::register_export;

/// How long a new executor tries to reach the scheduler before giving up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A session state for Ballista with DataFusion's functions and chaintrail's, bound to the store
/// at `store_dir`: what the scheduler and every executor are built from.
pub fn functions_state(store_dir: &Path) -> Result<SessionState, DistributedError> {
    Ok(state_with(&Catalog::open(store_dir)?.functions()))
}

fn state_with(functions: &[ScalarUDF]) -> SessionState {
    let mut config = SessionConfig::new_with_ballista().with_information_schema(true);
    // Text columns read as the catalog's `Utf8`, so results have the embedded run's types.
    config
        .options_mut()
        .execution
        .parquet
        .schema_force_view_types = false;
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .build();
    let session = SessionContext::new_with_state(state);
    for function in functions {
        session.register_udf(function.clone());
    }
    session.state()
}

/// A scheduler and executors in this process, on 127.0.0.1 with ports the system picks: a
/// cluster for tests and for one machine. They run on the caller's Tokio runtime and stop with
/// it.
pub struct LocalCluster {
    scheduler: SocketAddr,
}

impl LocalCluster {
    /// Start a scheduler and `executors` executors of `vcores` task slots each, every one with
    /// the functions of the store at `store_dir` (each opens it itself, as a remote one would).
    pub async fn start(
        store_dir: &Path,
        executors: usize,
        vcores: usize,
    ) -> Result<LocalCluster, DistributedError> {
        let scheduler = ballista_scheduler::standalone::new_standalone_scheduler_from_state(
            &functions_state(store_dir)?,
        )
        .await?;
        let url = format!("http://127.0.0.1:{}", scheduler.port());
        for _ in 0..executors {
            let client = connect(&url).await?;
            ballista_executor::new_standalone_executor_from_state(
                client,
                vcores,
                &functions_state(store_dir)?,
            )
            .await?;
        }
        Ok(LocalCluster { scheduler })
    }

    /// The scheduler's address, as `df://host:port` for [`remote_session`].
    pub fn scheduler_url(&self) -> String {
        format!("df://127.0.0.1:{}", self.scheduler.port())
    }
}

async fn connect(
    url: &str,
) -> Result<SchedulerGrpcClient<tonic::transport::Channel>, DistributedError> {
    let deadline = tokio::time::Instant::now() + CONNECT_TIMEOUT;
    loop {
        match SchedulerGrpcClient::connect(url.to_string()).await {
            Ok(client) => return Ok(client),
            Err(e) if tokio::time::Instant::now() >= deadline => {
                return Err(DistributedError::Usage(format!(
                    "cannot reach the scheduler at {url} within {CONNECT_TIMEOUT:?}: {e}"
                )));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// A session on the Ballista scheduler at `scheduler_url` (`df://host:port`) with chaintrail's
/// functions (of the store at `store_dir`) and the export at `export_root` registered under the
/// catalog's table names.
pub async fn remote_session(
    scheduler_url: &str,
    store_dir: &Path,
    export_root: &str,
) -> Result<SessionContext, DistributedError> {
    let functions = Catalog::open(store_dir)?.functions();
    let session = SessionContext::remote_with_state(scheduler_url, state_with(&functions)).await?;
    // Making the state Ballista's resets its scalar functions to Ballista's defaults.
    for function in functions {
        session.register_udf(function);
    }
    register_export(&session, export_root).await?;
    Ok(session)
}
