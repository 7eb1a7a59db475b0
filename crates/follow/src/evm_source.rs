//! Following an EVM node over JSON-RPC (`eth_blockNumber`, `eth_getBlockByNumber`, receipts and
//! traces as the node offers them), stored through the RPC importer's own path
//! ([`chaintrail_evm::BlockAppender`]).

use alloy_primitives::Address as EvmAddress;
use chaintrail_core::Chain;
use chaintrail_evm::{
    BlockAppender, BlockBundle, EvmError, Fetcher, ReceiptSource, RpcClient, TraceSource,
};
use chaintrail_store::{ChainWriter, Store};

use crate::{ChainSource, NodeBlock};

/// An EVM node (any chain id) reached with the workspace's JSON-RPC client.
pub struct EvmSource {
    fetcher: Fetcher,
    chain_id: u64,
    wrapped_native: Vec<EvmAddress>,
}

impl EvmSource {
    /// Connect to the node behind `client`, check that it serves `chain` (its `eth_chainId`)
    /// and probe which receipt and trace methods it answers. `wrapped_native`: wrapped-native
    /// contracts besides the chain's known WETH.
    pub fn connect(
        client: RpcClient,
        chain: Chain,
        wrapped_native: Vec<EvmAddress>,
    ) -> Result<EvmSource, EvmError> {
        let mut fetcher = Fetcher::new(client, ReceiptSource::BlockReceipts, TraceSource::None);
        let chain_id = fetcher.chain_id()?;
        if chain != Chain::Evm(chain_id) {
            return Err(EvmError::Input(format!(
                "the node serves {} (chain id {chain_id}), not {chain}: pass --chain {}",
                Chain::Evm(chain_id),
                Chain::Evm(chain_id)
            )));
        }
        let head = fetcher.head()?;
        fetcher.detect(head)?;
        Ok(EvmSource {
            fetcher,
            chain_id,
            wrapped_native,
        })
    }
}

fn missing(what: &str, height: u64) -> anyhow::Error {
    anyhow::anyhow!("the node's block {height} has no {what}")
}

impl ChainSource for EvmSource {
    type Txs = BlockBundle;

    fn chain(&self) -> Chain {
        Chain::Evm(self.chain_id)
    }

    fn head(&self) -> anyhow::Result<u64> {
        Ok(self.fetcher.head()?)
    }

    fn hash_at(&self, height: u64) -> anyhow::Result<[u8; 32]> {
        Ok(self.fetcher.block_hash(height)?.0)
    }

    fn block(&self, height: u64) -> anyhow::Result<NodeBlock<BlockBundle>> {
        let bundle = self
            .fetcher
            .bundles(height, height)?
            .pop()
            .ok_or_else(|| anyhow::anyhow!("the node returned no block {height}"))?;
        Ok(NodeBlock {
            height,
            hash: bundle.block.hash.ok_or_else(|| missing("hash", height))?.0,
            parent: bundle
                .block
                .parent_hash
                .ok_or_else(|| missing("parent hash", height))?
                .0,
            txs: bundle,
        })
    }

    fn append(
        &mut self,
        store: &Store,
        writer: &mut ChainWriter,
        bundle: &BlockBundle,
    ) -> anyhow::Result<()> {
        // Opened per block: after a rollback the events files must be cut back to the restored
        // cursor, which opening does.
        let mut appender = BlockAppender::open(store, writer, self.chain_id, &self.wrapped_native)?;
        match appender.append(writer, &self.fetcher, std::slice::from_ref(bundle))? {
            None => Ok(()),
            Some(forked) => Err(EvmError::Fork(forked).into()),
        }
    }
}
