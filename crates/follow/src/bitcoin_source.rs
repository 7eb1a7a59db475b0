//! Following a Bitcoin node over Core's JSON-RPC (`getblockcount`, `getblockhash`, `getblock`).

use bitcoin::hashes::Hash;
use chaintrail_bitcoin::{BitcoinRpc, BlockFormat, RpcClient, block_txs};
use chaintrail_core::{BitcoinNetwork, Chain, UtxoTx};
use chaintrail_store::{ChainWriter, Store};

use crate::{ChainSource, NodeBlock};

/// A Bitcoin Core (or compatible) node on `network`.
pub struct BitcoinSource {
    client: RpcClient,
    network: BitcoinNetwork,
}

impl BitcoinSource {
    /// Follow `network` from the node behind `client`.
    pub fn new(client: RpcClient, network: BitcoinNetwork) -> BitcoinSource {
        BitcoinSource { client, network }
    }
}

impl ChainSource for BitcoinSource {
    type Txs = Vec<UtxoTx>;

    fn chain(&self) -> Chain {
        Chain::Bitcoin(self.network)
    }

    fn head(&self) -> anyhow::Result<u64> {
        Ok(self.client.get_block_count()?)
    }

    fn hash_at(&self, height: u64) -> anyhow::Result<[u8; 32]> {
        let hash = self.client.get_block_hashes(height..height + 1)?.pop();
        hash.map(|h| h.to_byte_array())
            .ok_or_else(|| anyhow::anyhow!("the node returned no hash for height {height}"))
    }

    fn block(&self, height: u64) -> anyhow::Result<NodeBlock<Vec<UtxoTx>>> {
        let hash = self
            .client
            .get_block_hashes(height..height + 1)?
            .pop()
            .ok_or_else(|| anyhow::anyhow!("the node returned no hash for height {height}"))?;
        let block = self
            .client
            .get_blocks(&[(height, hash)], BlockFormat::Raw)?
            .pop()
            .ok_or_else(|| anyhow::anyhow!("the node returned no block {hash}"))??;
        let txs = block_txs(&block, height, self.network)
            .map_err(|e| anyhow::anyhow!("block {hash} (height {height}): {e}"))?;
        Ok(NodeBlock {
            height,
            hash: hash.to_byte_array(),
            parent: block.header.prev_blockhash.to_byte_array(),
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

/// Append a Bitcoin block's transactions (the follower commits).
pub(crate) fn append_utxo_txs(writer: &mut ChainWriter, txs: &[UtxoTx]) -> anyhow::Result<()> {
    for tx in txs {
        writer.append_utxo_tx(tx)?;
    }
    Ok(())
}
