//! SQL over a chaintrail store, with Apache DataFusion embedded.
//!
//! This crate owns the mapping of the store to SQL tables and the forensic functions. It opens a
//! store as a [`Catalog`]: the canonical tables of every chain (`blocks`, `transactions`,
//! `transfers`, `inputs`, `outputs`, `addresses`) are DataFusion table providers over the
//! store's mapped columns, read batch by batch as a query runs — no copy, no export to keep
//! up to date; beside them `labels`, `links`, `attributions`, `clusters` (when built) and
//! `exposure` (the screening index, when built and fresh). The functions `label_of`,
//! `category_of` and `usd` answer with the screener's own label resolution, clusters and prices.
//! [`direct_exposure_sql`] is the direct exposure of every address as one SQL query, checked
//! against the exposure index by the tests. Tables and columns: docs/sql.md.
//!
//! The crate is a workspace member outside the default build of `chaintrail` (DataFusion is a
//! large build); its binary is `chaintrail-sql`.

#![warn(missing_docs)]

mod attributions;
mod chain_tables;
mod columns;
mod direct;
mod provider;
mod side_tables;
mod udf;

use std::path::Path;
use std::sync::Arc;

use chaintrail_core::Chain;
use chaintrail_labels::Date;
use chaintrail_screen::Screener;
use datafusion::arrow::array::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::{SessionConfig, SessionContext};

pub use chain_tables::asset_key;
pub use datafusion;
pub use direct::direct_exposure_sql;

/// Why a catalog could not be opened or a query failed.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    /// The store (chains, labels, links, clusters or exposure index) cannot be opened.
    #[error("cannot open the store: {0}")]
    Store(#[from] chaintrail_screen::ScreenError),
    /// DataFusion refused or failed the query (a syntax error, an unknown table or column, …).
    #[error("{0}\n(tables: {TABLES}; see docs/sql.md)")]
    Query(#[from] DataFusionError),
}

/// The tables a catalog registers, as the error hint lists them.
const TABLES: &str = "blocks, transactions, transfers, inputs, outputs, addresses, labels, \
                      links, attributions, clusters, exposure";

/// What the tables and functions read: the store as the screener opens it.
pub(crate) struct World {
    screener: Screener,
    /// The day roles are judged on: the exposure index's date when one is built, else today.
    at: Date,
    /// Chains that labels name, for `label_of` on addresses the store does not hold.
    label_chains: Vec<Chain>,
}

/// A store opened for SQL: a DataFusion session with the store's tables and functions.
pub struct Catalog {
    world: Arc<World>,
    session: SessionContext,
}

impl Catalog {
    /// Open the store at `dir` (its chains, labels, links, clusters and exposure index).
    pub fn open(dir: &Path) -> Result<Catalog, SqlError> {
        let screener = Screener::open(dir)?;
        let at = screener
            .index()
            .map_or_else(Date::today, |index| index.file_meta.at);
        let mut label_chains: Vec<Chain> = screener
            .labels()
            .labels()
            .iter()
            .filter_map(|l| l.chain)
            .collect();
        label_chains.sort();
        label_chains.dedup();
        let world = Arc::new(World {
            screener,
            at,
            label_chains,
        });
        let session =
            SessionContext::new_with_config(SessionConfig::new().with_information_schema(true));
        let tables: Vec<(&str, Arc<dyn TableProvider>)> = vec![
            ("blocks", Arc::new(chain_tables::blocks(&world))),
            ("transactions", Arc::new(chain_tables::transactions(&world))),
            ("transfers", Arc::new(chain_tables::transfers(&world))),
            ("inputs", Arc::new(chain_tables::inputs(&world))),
            ("outputs", Arc::new(chain_tables::outputs(&world))),
            ("addresses", Arc::new(chain_tables::addresses(&world))),
            ("labels", Arc::new(side_tables::labels(&world)?)),
            ("links", Arc::new(side_tables::links(&world)?)),
            ("attributions", Arc::new(attributions::attributions(&world))),
            ("clusters", Arc::new(side_tables::clusters(&world))),
            ("exposure", Arc::new(side_tables::exposure(&world))),
        ];
        for (name, table) in tables {
            session.register_table(name, table)?;
        }
        for function in udf::all(&world) {
            session.register_udf(function);
        }
        Ok(Catalog { world, session })
    }

    /// The forensic functions (`label_of`, `category_of`, `usd`) bound to this store, for
    /// another session to register: a Ballista executor opens the store's catalog from its path
    /// and registers these, so the functions answer there as they do here.
    pub fn functions(&self) -> Vec<ScalarUDF> {
        udf::all(&self.world)
    }

    /// The DataFusion session, for the DataFrame API or registering more tables.
    pub fn session(&self) -> &SessionContext {
        &self.session
    }

    /// The day `attributions` judges roles on and `exposure` was built for.
    pub fn at(&self) -> Date {
        self.world.at
    }

    /// Is an exposure index built and fresh (the `exposure` table is empty otherwise)?
    pub fn has_exposure_index(&self) -> bool {
        self.world.screener.index().is_some()
    }

    /// [`direct_exposure_sql`] with this store's screening day, dust threshold and share floor.
    pub fn direct_exposure_query(&self) -> String {
        let params = self.world.screener.params();
        direct_exposure_sql(
            chaintrail_screen::end_of_day(self.world.at),
            params.dust_usd,
            params.min_share,
        )
    }

    /// Run one SQL statement and collect its result.
    pub async fn query(&self, sql: &str) -> Result<Vec<RecordBatch>, SqlError> {
        Ok(self.session.sql(sql).await?.collect().await?)
    }
}
