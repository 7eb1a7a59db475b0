//! A simulated world arriving a few blocks at a time, as a follower sees a chain: its export
//! written in block-range partitions (the layout of `ethereumetl export_all` and `bitcoinetl
//! export_all`), and each batch of partitions imported as an export of its own.

use std::path::{Path, PathBuf};

use chaintrail_core::BitcoinNetwork;
use chaintrail_ingest::{ImportOptions, Importer};
use chaintrail_sim::{EtlLayout, SimConfig, SimSummary};
use chaintrail_store::Store;

use crate::EvalError;

/// One chain's partitioned export.
#[derive(Debug, Clone)]
pub struct PartitionedExport {
    /// `ethereum` or `bitcoin`: the export's directory under the world's.
    pub chain: &'static str,
    /// The export (`<world>/<chain>`).
    pub dir: PathBuf,
    /// The first block of every partition, in order.
    pub starts: Vec<u64>,
}

fn io<'a>(path: &'a Path, action: &'static str) -> impl FnOnce(std::io::Error) -> EvalError + 'a {
    move |source| EvalError::Io {
        path: path.to_path_buf(),
        action,
        source,
    }
}

/// Every file under `dir`, by path.
fn files(dir: &Path) -> Result<Vec<PathBuf>, EvalError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir, "list"))? {
        let path = entry.map_err(io(dir, "list"))?.path();
        if path.is_dir() {
            out.extend(files(&path)?);
        } else {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// The first block of a partition file (`blocks_00001000_00001999.csv` → 1000).
fn partition_start(path: &Path) -> Option<u64> {
    let stem = path.file_stem()?.to_str()?;
    let mut parts = stem.rsplitn(3, '_');
    let _end = parts.next()?;
    parts.next()?.parse().ok()
}

impl PartitionedExport {
    /// The partitions of `world`'s `chain` export.
    pub fn open(world: &Path, chain: &'static str) -> Result<PartitionedExport, EvalError> {
        let dir = world.join(chain);
        let mut starts: Vec<u64> = files(&dir)?
            .iter()
            .filter_map(|f| partition_start(f))
            .collect();
        starts.sort_unstable();
        starts.dedup();
        Ok(PartitionedExport { chain, dir, starts })
    }

    /// Copy the partitions starting at `starts` to `to`, laid out as in the export, and import
    /// them into `store` as an export of their own.
    pub fn import(&self, starts: &[u64], to: &Path, store: &Store) -> Result<(), EvalError> {
        for file in files(&self.dir)? {
            if partition_start(&file).is_some_and(|s| starts.contains(&s)) {
                let relative = file.strip_prefix(&self.dir).unwrap_or(&file);
                let target = to.join(relative);
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(io(parent, "create"))?;
                }
                std::fs::copy(&file, &target).map_err(io(&target, "write"))?;
            }
        }
        let options = ImportOptions::default();
        if self.chain == "ethereum" {
            chaintrail_evm::EthereumEtl.import(store, to, &options)?;
        } else {
            chaintrail_bitcoin::BitcoinEtl {
                network: BitcoinNetwork::Regtest,
            }
            .import(store, to, &options)?;
        }
        Ok(())
    }
}

/// Write `world` under `dir` twice, Ethereum in partitions of `eth_blocks` blocks and Bitcoin
/// of `btc_blocks` (the simulator's worlds are deterministic); returns the world's summary (its
/// TagPacks are in the Ethereum one's directory) and the two exports.
pub fn write_partitioned(
    world: &SimConfig,
    dir: &Path,
    (eth_blocks, btc_blocks): (u64, u64),
) -> Result<(SimSummary, PathBuf, [PartitionedExport; 2]), EvalError> {
    let write = |blocks: u64| {
        let path = dir.join(format!("export-{blocks}"));
        let layout = EtlLayout::Partitioned { blocks };
        chaintrail_sim::write_dir_as(world, &path, layout).map(|summary| (summary, path))
    };
    let (summary, eth_world) = write(eth_blocks)?;
    let btc_world = if btc_blocks == eth_blocks {
        eth_world.clone()
    } else {
        write(btc_blocks)?.1
    };
    let exports = [
        PartitionedExport::open(&eth_world, "ethereum")?,
        PartitionedExport::open(&btc_world, "bitcoin")?,
    ];
    Ok((summary, eth_world, exports))
}
