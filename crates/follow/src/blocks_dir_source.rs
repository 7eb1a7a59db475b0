//! Following a Bitcoin node by reading its blocks directory (`blk*.dat`), without RPC: each poll
//! reads what the node appended since the last ([`BestChain::refresh`]) and the node's chain is
//! the indexed headers' chain with the most work.

use std::path::Path;

use bitcoin::hashes::Hash;
use chaintrail_bitcoin::BestChain;
use chaintrail_core::{BitcoinNetwork, Chain, UtxoTx};
use chaintrail_store::{ChainWriter, Store};

use crate::bitcoin_source::append_utxo_txs;
use crate::{ChainSource, NodeBlock};

/// The blocks directory of a Bitcoin Core node on `network`, read as the node writes it.
pub struct BlocksDirSource {
    chain: BestChain,
    network: BitcoinNetwork,
}

impl BlocksDirSource {
    /// Index `dir` (the node's `blocks/` directory, or its data directory holding one).
    pub fn open(dir: &Path, network: BitcoinNetwork) -> anyhow::Result<BlocksDirSource> {
        Ok(BlocksDirSource {
            chain: BestChain::open_live(dir, network)?,
            network,
        })
    }
}

impl ChainSource for BlocksDirSource {
    type Txs = Vec<UtxoTx>;

    fn chain(&self) -> Chain {
        Chain::Bitcoin(self.network)
    }

    fn poll(&mut self) -> anyhow::Result<()> {
        let read = self.chain.refresh()?;
        if read > 0 {
            tracing::debug!(
                read,
                tip = self.chain.tip_height(),
                "read new records from the block files"
            );
        }
        Ok(())
    }

    fn head(&self) -> anyhow::Result<u64> {
        Ok(self.chain.tip_height())
    }

    fn hash_at(&self, height: u64) -> anyhow::Result<[u8; 32]> {
        self.chain
            .hash_at(height)
            .map(|h| h.to_byte_array())
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "the best chain of {} has no block {height} (its tip is {})",
                    self.chain.dir.display(),
                    self.chain.tip_height()
                )
            })
    }

    fn block(&self, height: u64) -> anyhow::Result<NodeBlock<Vec<UtxoTx>>> {
        let (header, txs) = self.chain.block_at(height)?;
        Ok(NodeBlock {
            height,
            hash: header.block_hash().to_byte_array(),
            parent: header.prev_blockhash.to_byte_array(),
            txs,
        })
    }

    fn append(
        &mut self,
        _store: &Store,
        writer: &mut ChainWriter,
        txs: &Vec<UtxoTx>,
    ) -> anyhow::Result<()> {
        append_utxo_txs(writer, txs)
    }
}
