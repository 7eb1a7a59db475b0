//! A simulated world made into a store as an analyst's would be before SQL is run over it:
//! imported through the real importers, labelled from its TagPack, with links, clusters, pegs
//! and the screening exposure index built. The SQL tests (embedded and on Ballista) compare
//! their answers with this store's own.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chaintrail_core::Date;
use chaintrail_labels::LabelStore;
use chaintrail_screen::{Direction, ExposureType, Screener};
use chaintrail_sim::SimConfig;
use chaintrail_store::Store;

use crate::{EvalError, import_world, world_prices};

/// Build the screened store of `world` in `dir` (an empty or absent directory), its exposure
/// index for the day `at`, with `threads` threads.
pub fn build_screened_store(
    dir: &Path,
    world: &SimConfig,
    at: Date,
    threads: usize,
) -> Result<(), EvalError> {
    let store = Store::init(dir)?;
    let side = dir.join("sim");
    let summary = chaintrail_sim::write_dir(world, &side)?;
    import_world(&store, &side)?;
    let mut labels = LabelStore::open(dir)?;
    labels.import_tagpacks(&side.join("tagpacks"))?;
    labels.save()?;
    chaintrail_links::refresh(&store)?;
    chaintrail_cluster::refresh(&store, None, chaintrail_cluster::Mode::Incremental)?;
    let pegs = dir.join(chaintrail_trace::PEGS_FILE);
    world_prices(&summary.truth)
        .save_pegs(&pegs)
        .map_err(|source| EvalError::Io {
            path: pegs.clone(),
            action: "write",
            source,
        })?;
    Screener::open(dir)?.build_index(Some(at), threads, true, &|_, _| {})?;
    Ok(())
}

/// One direct exposure's key: chain, address, category, entity, direction (`incoming` /
/// `outgoing`), as the SQL direct-exposure job writes them.
pub type DirectKey = (String, String, String, String, String);

/// The direct exposures of a store's exposure index, to compare the SQL job with.
pub struct IndexedDirect {
    /// USD per exposure, for every address whose walk the index finished.
    pub exposures: BTreeMap<DirectKey, f64>,
    /// The (chain, address) pairs whose walk stopped at its work budget: their exposures are a
    /// lower bound the job (which has no budget) need not equal.
    pub truncated: BTreeSet<(String, String)>,
}

/// The direct exposures of the exposure index of the store in `dir`.
pub fn indexed_direct_exposures(dir: &Path) -> Result<IndexedDirect, EvalError> {
    let screener = Screener::open(dir)?;
    let index = screener
        .index()
        .ok_or_else(|| EvalError::Setup(format!("no fresh exposure index in {}", dir.display())))?;
    let store = Store::open(dir)?;
    let mut indexed = IndexedDirect {
        exposures: BTreeMap::new(),
        truncated: BTreeSet::new(),
    };
    for (chain, reader) in &store.readers()? {
        for id in 1..reader.address_count() as u32 {
            let (Some(found), Some(address)) = (index.get(*chain, id)?, reader.address(id)) else {
                continue;
            };
            let address = address.to_string();
            if found.truncated {
                indexed.truncated.insert((chain.to_string(), address));
                continue;
            }
            for e in found
                .exposures
                .iter()
                .filter(|e| e.exposure_type == ExposureType::Direct)
            {
                let direction = match e.direction {
                    Direction::Incoming => "incoming",
                    Direction::Outgoing => "outgoing",
                };
                let key = (
                    chain.to_string(),
                    address.clone(),
                    e.category.as_str().to_string(),
                    e.entity.clone(),
                    direction.to_string(),
                );
                indexed.exposures.insert(key, e.usd);
            }
        }
    }
    Ok(indexed)
}

impl IndexedDirect {
    /// How the job's `rows` differ from the index (addresses whose walk was truncated aside):
    /// an exposure on one side only, or USD amounts apart by more than 10⁻⁹ of the amount. At
    /// most `limit` differences are described; empty when they agree.
    pub fn differences(&self, rows: &[(DirectKey, f64)], limit: usize) -> Vec<String> {
        let job: BTreeMap<&DirectKey, f64> = rows
            .iter()
            .filter(|(k, _)| !self.truncated.contains(&(k.0.clone(), k.1.clone())))
            .map(|(k, usd)| (k, *usd))
            .collect();
        let index_only = self
            .exposures
            .keys()
            .filter(|k| !job.contains_key(k))
            .map(|k| format!("index only: {k:?}"));
        let job_only = job
            .keys()
            .filter(|k| !self.exposures.contains_key(**k))
            .map(|k| format!("job only: {k:?}"));
        let apart = self.exposures.iter().filter_map(|(k, &expected)| {
            let got = *job.get(k)?;
            ((got - expected).abs() > 1e-9 * expected.abs().max(1.0))
                .then(|| format!("{k:?}: job {got} vs index {expected}"))
        });
        index_only
            .chain(job_only)
            .chain(apart)
            .take(limit)
            .collect()
    }
}
