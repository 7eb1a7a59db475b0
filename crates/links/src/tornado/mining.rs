//! TORN anonymity mining (Tutela, methods.md §3.2): a note earns anonymity points (AP) at its
//! pool's rate for every block between its deposit and its withdrawal. A user who claims a
//! note's points and swaps exactly them for TORN publishes `rate × blocks` in the RewardSwap
//! contract's `Swap(address indexed recipient, uint256 pTORN, uint256 TORN)` event: the
//! (deposit, withdrawal) pairs of a pool that are that many blocks apart are the candidates.
//!
//! Mining ran on Ethereum mainnet only, for the pools below (rates per block as the
//! governance set them, methods.md §3.2); other pools and chains earn nothing to claim.

use std::collections::HashMap;

use alloy_primitives::{Address as RawAddress, B256, U256, address, b256};
use chaintrail_core::{Address, Chain, TxHash};
use chaintrail_evm::events::KeptLog;

use super::{Candidate, Deposit, Heuristic, Pools};

/// `Swap(address,uint256,uint256)`.
const SWAP_TOPIC: B256 = b256!("77f92a1b6a1a11de8ca49515ad4c1fad45632dd3442167d74b90b304a3c7a758");
/// Tornado Cash's RewardSwap on Ethereum (../shared/data/tornado_cash, "Reward Swap").
const REWARD_SWAP: RawAddress = address!("0x5cab7692d4e94096462119ab7bf57319726eed2a");
/// The confidence when exactly one pair fits a claim.
const PRIOR: f64 = 0.9;

/// Mainnet pools and the anonymity points a note earns there per block.
const RATES: [(RawAddress, u64); 12] = [
    (address!("0x12d66f87a04a9e220743712ce6d9bb1b5616b8fc"), 4), // 0.1 ETH
    (address!("0x47ce0c6ed5b0ce3d3a51fdb1c52dc66a7c3c2936"), 20), // 1 ETH
    (address!("0x910cbd523d972eb0a6f4cae4618ad62622b39dbf"), 50), // 10 ETH
    (address!("0xa160cdab225685da1d56aa342ad8841c3b53f291"), 400), // 100 ETH
    (address!("0xd4b88df4d29f5cedd6857912842cff3b20c8cfa3"), 2), // 100 DAI
    (address!("0xfd8610d20aa15b7b2e3be39b396a1bc3516c7144"), 10), // 1,000 DAI
    (address!("0x07687e702b410fa43f4cb4af7fa097918ffd2730"), 40), // 10,000 DAI
    (address!("0x23773e65ed146a459791799d01336db287f25334"), 250), // 100,000 DAI
    (address!("0x22aaa7720ddd5388a3c0a3333430953c68f1849b"), 2), // 5,000 cDAI
    (address!("0x03893a7c7463ae47d46bc7f091665f1893656003"), 10), // 50,000 cDAI
    (address!("0x2717c5e28cf931547b621a5dddb772ab6a35b701"), 40), // 500,000 cDAI
    (address!("0xd21be7248e0197ee08e0c20d4a96debdac3d20af"), 250), // 5,000,000 cDAI
];

/// Anonymity points swapped for TORN: a claim of `points` in transaction `tx`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MiningClaim {
    /// The swap transaction.
    pub tx: TxHash,
    /// Its block height.
    pub block: u64,
    /// Who received the TORN.
    pub recipient: Address,
    /// The anonymity points swapped.
    pub points: u64,
}

/// The RewardSwap's swaps among `logs` (Ethereum mainnet). A log of another layout, or with more
/// points than any note can earn in a `u64`, is no claim.
pub fn claims(logs: &[KeptLog]) -> Vec<MiningClaim> {
    logs.iter()
        .filter(|l| {
            l.chain == Chain::ETHEREUM
                && l.address == Address::Evm(REWARD_SWAP.into_array())
                && l.topics.len() == 2
                && l.topics[0] == SWAP_TOPIC
                && l.data.len() == 64
        })
        .filter_map(|l| {
            let points = U256::from_be_slice(&l.data[..32]);
            let mut recipient = [0u8; 20];
            recipient.copy_from_slice(&l.topics[1][12..]);
            Some(MiningClaim {
                tx: l.tx,
                block: l.block.height,
                recipient: Address::Evm(recipient),
                points: u64::try_from(points).ok()?,
            })
        })
        .collect()
}

/// Every (deposit, withdrawal) pair of a mining pool whose gap in blocks, times the pool's rate,
/// is a claim's points, withdrawn before the claim; confidence `PRIOR` over the pairs that fit.
pub(super) fn torn_mining(p: &Pools, claims: &[MiningClaim], out: &mut Vec<Candidate>) {
    if p.chain != Chain::ETHEREUM || claims.is_empty() {
        return;
    }
    let rate_of = |pool: &Address| {
        RATES
            .iter()
            .find(|(address, _)| Address::Evm(address.into_array()) == *pool)
            .map(|(_, rate)| *rate)
    };
    let mut by_block: HashMap<(&Address, u64), Vec<&Deposit>> = HashMap::new();
    for d in &p.deposits {
        by_block.entry((&d.pool, d.block)).or_default().push(d);
    }
    for claim in claims {
        let mut fits = Vec::new();
        for w in p.withdrawals.iter().filter(|w| w.block <= claim.block) {
            let Some(rate) = rate_of(&w.pool) else {
                continue;
            };
            if claim.points % rate != 0 {
                continue;
            }
            let blocks = claim.points / rate;
            let Some(deposited) = w.block.checked_sub(blocks) else {
                continue;
            };
            for d in by_block.get(&(&w.pool, deposited)).into_iter().flatten() {
                fits.push((*d, w, rate, blocks));
            }
        }
        let confidence = PRIOR / fits.len().max(1) as f64;
        for (d, w, rate, blocks) in &fits {
            out.push(Candidate {
                chain: p.chain,
                deposit: d.tx,
                withdrawal: w.tx,
                heuristic: Heuristic::TornMining,
                confidence,
                share: 1.0,
                reason: format!(
                    "{} anonymity points swapped for TORN in {} = {rate} a block × {blocks} blocks, the gap between the deposit and the withdrawal ({} pair(s) fit)",
                    claim.points,
                    claim.tx,
                    fits.len()
                ),
            });
        }
    }
}
