//! A scheduler and an executor as processes of their own, for a cluster of machines: Ballista's
//! own servers, started with chaintrail's functions in their registries (the stock
//! `ballista-scheduler` / `ballista-executor` binaries do not know `label_of`, `category_of`
//! or `usd`, and a plan naming them fails there).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use ballista_core::config::TaskSchedulingPolicy;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use chaintrail_sql::datafusion::execution::SessionStateBuilder;
use chaintrail_sql::datafusion::prelude::SessionConfig;

use crate::DistributedError;
use crate::cluster::functions_state;

/// Serve as the scheduler on `bind` until the process is stopped, planning with the functions
/// of the store at `store_dir`; `external_host` is the name executors and clients reach it by.
pub async fn run_scheduler(
    store_dir: &Path,
    bind: SocketAddr,
    external_host: &str,
) -> Result<(), DistributedError> {
    let state = functions_state(store_dir)?;
    let config = SchedulerConfig {
        bind_host: bind.ip().to_string(),
        external_host: external_host.to_string(),
        bind_port: bind.port(),
        // Executors ask for tasks (as in-process clusters do): no connection from the
        // scheduler to the executors is needed.
        scheduling_policy: TaskSchedulingPolicy::PullStaged,
        ..SchedulerConfig::default()
    }
    .with_override_session_builder(Arc::new(move |config: SessionConfig| {
        Ok(SessionStateBuilder::new_from_existing(state.clone())
            .with_config(config)
            .build())
    }));
    let cluster = BallistaCluster::new_from_config(&config).await?;
    start_server(cluster, bind, Arc::new(config)).await?;
    Ok(())
}

/// Where an executor serves and which scheduler it works for.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler, `host:port`.
    pub scheduler: String,
    /// The address to serve on; its port is the Arrow Flight port other executors and the
    /// client fetch results from, and the next port up is the executor's gRPC port.
    pub bind: SocketAddr,
    /// The name others reach this executor by, when not the address the scheduler sees.
    pub external_host: Option<String>,
    /// Task slots (partitions run at once); 0 for one per core.
    pub vcores: usize,
    /// Where shuffle files go (a temporary directory when none).
    pub work_dir: Option<String>,
    /// Bytes of memory for query operators, shared by the task slots; 70 % of the machine's
    /// memory when none (Ballista's default).
    pub memory_pool_bytes: Option<u64>,
}

/// Serve as an executor until the process is stopped, with the functions of the store at
/// `store_dir`.
pub async fn run_executor(
    store_dir: &Path,
    options: ExecutorOptions,
) -> Result<(), DistributedError> {
    let (scheduler_host, scheduler_port) = options
        .scheduler
        .rsplit_once(':')
        .and_then(|(host, port)| Some((host.to_string(), port.parse::<u16>().ok()?)))
        .ok_or_else(|| {
            DistributedError::Usage(format!(
                "scheduler `{}`: give it as host:port (e.g. scheduler.internal:50050)",
                options.scheduler
            ))
        })?;
    let state = functions_state(store_dir)?;
    let defaults = ExecutorProcessConfig::default();
    let config = ExecutorProcessConfig {
        bind_host: options.bind.ip().to_string(),
        external_host: options.external_host,
        port: options.bind.port(),
        grpc_port: options.bind.port().saturating_add(1),
        scheduler_host,
        scheduler_port,
        vcores: if options.vcores == 0 {
            defaults.vcores
        } else {
            options.vcores
        },
        work_dir: options.work_dir,
        task_scheduling_policy: TaskSchedulingPolicy::PullStaged,
        memory_pool_size: options.memory_pool_bytes,
        override_function_registry: Some(Arc::new((&state).into())),
        ..defaults
    };
    start_executor_process(Arc::new(config)).await?;
    Ok(())
}
