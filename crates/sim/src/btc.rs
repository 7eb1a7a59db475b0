//! The Bitcoin ledger of the simulated world: wallets owning UTXOs, address generation with
//! mixed script types, fee estimation by virtual size, and the transaction builder that keeps
//! Σ inputs − Σ outputs = fee ≥ 0 for every transaction.

use std::collections::HashMap;

use chaintrail_core::{
    Address, BitcoinAddress, BitcoinNetwork, BlockRef, OutPoint, TxHash, UtxoInput, UtxoOutput,
    UtxoTx,
};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::SimError;
use crate::model::{BtcBlock, BtcTx};
use crate::seeded::derived;
use crate::software::Software;

pub(crate) const COIN: u64 = 100_000_000;
pub(crate) const DUST: u64 = 546;
pub(crate) const SUBSIDY: u64 = 312_500_000;
/// Bitcoin Core's standard limit on OP_RETURN data (THORChain memos on Bitcoin must fit it).
pub(crate) const MAX_OP_RETURN: usize = 80;
/// The highest fee rate of the simulated mempool (sat/vB); each block draws one from 2 up to it.
pub(crate) const MAX_FEERATE: u64 = 25;
/// The most coins one payment spends.
const MAX_COINS_PER_PAYMENT: usize = 60;

/// The script type a wallet receives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Script {
    P2wpkh,
    P2pkh,
    P2sh,
    P2tr,
}

impl Script {
    pub(crate) fn random(rng: &mut ChaCha8Rng) -> Script {
        match rng.random_range(0..100) {
            0..60 => Script::P2wpkh,
            60..75 => Script::P2pkh,
            75..90 => Script::P2sh,
            _ => Script::P2tr,
        }
    }
}

/// The costliest input (P2PKH) and output (P2TR) in virtual bytes.
const P2PKH_INPUT_VBYTES: u64 = 148;
const P2TR_OUTPUT_VBYTES: u64 = 43;

/// The most a payment to one address with change and `op_return` bytes of data can cost in
/// fees: the most coins a payment spends, each of the costliest input type, at the highest fee
/// rate.
pub(crate) fn max_payment_fee(op_return: usize) -> u64 {
    let data = if op_return > 0 {
        11 + op_return as u64
    } else {
        0
    };
    let vbytes =
        11 + MAX_COINS_PER_PAYMENT as u64 * P2PKH_INPUT_VBYTES + 2 * P2TR_OUTPUT_VBYTES + data;
    vbytes * MAX_FEERATE
}

/// Virtual bytes one input of an address of this kind costs (P2SH assumed P2SH-P2WPKH).
pub(crate) fn input_vbytes(address: &Address) -> u64 {
    match address {
        Address::Bitcoin { kind, .. } => match kind {
            BitcoinAddress::P2pkh(_) => P2PKH_INPUT_VBYTES,
            BitcoinAddress::P2sh(_) => 91,
            BitcoinAddress::P2tr(_) => 58,
            _ => 68,
        },
        Address::Evm(_) => 68,
    }
}

pub(crate) fn output_vbytes(address: &Address) -> u64 {
    match address {
        Address::Bitcoin { kind, .. } => match kind {
            BitcoinAddress::P2pkh(_) => 34,
            BitcoinAddress::P2sh(_) => 32,
            BitcoinAddress::P2tr(_) => P2TR_OUTPUT_VBYTES,
            _ => 31,
        },
        Address::Evm(_) => 31,
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Utxo {
    pub outpoint: OutPoint,
    pub value: u64,
    pub addr: Address,
}

#[derive(Debug, Clone)]
pub(crate) struct Wallet {
    pub script: Script,
    /// What builds its transactions: their nVersion, nLockTime and nSequence.
    pub software: Software,
    pub utxos: Vec<Utxo>,
}

impl Wallet {
    pub(crate) fn balance(&self) -> u64 {
        self.utxos.iter().map(|u| u.value).sum()
    }
}

/// Where the change of a payment goes.
pub(crate) enum Change {
    /// A fresh address of the paying wallet.
    Fresh,
    /// This address (of the paying wallet).
    To(Address),
    /// Back to the address of the first input (VIN0), as THORChain asks of its users.
    FirstInput,
}

/// Which coins a payment spends.
pub(crate) enum Select {
    /// Random coins of the wallet until the amount and fee are covered.
    Random,
    /// The wallet's largest coins until the amount and fee are covered (what a vault falls back
    /// to when random coins do not cover a payout).
    Largest,
    /// Every coin of the wallet.
    All,
}

/// The result of a payment.
pub(crate) struct Paid {
    pub txid: TxHash,
    /// The address of the first input.
    pub vin0: Address,
    pub fee: u64,
    pub change: Option<(Address, u64)>,
    pub spent: u64,
}

pub(crate) struct Btc {
    pub wallets: Vec<Wallet>,
    /// The wallet that controls each address generated (for the wallet truth): the wallet that
    /// made it, unless [`Btc::assign`] handed it to the user whose coin it holds.
    pub owners: HashMap<Address, usize>,
    pub block: BtcBlock,
    pub feerate: u64,
    block_fees: u64,
    seed: u64,
    addr_counter: u64,
    tx_counter: u64,
}

pub(crate) const NETWORK: BitcoinNetwork = BitcoinNetwork::Regtest;

/// The address of an OP_RETURN output (none): also what a wallet address is before setup.
pub(crate) fn null_data() -> Address {
    Address::Bitcoin {
        network: NETWORK,
        kind: BitcoinAddress::NullData,
    }
}

impl Btc {
    pub(crate) fn new(seed: u64) -> Btc {
        Btc {
            wallets: Vec::new(),
            owners: HashMap::new(),
            block: BtcBlock {
                height: 0,
                timestamp: 0,
                hash: [0; 32],
                parent_hash: [0; 32],
                txs: Vec::new(),
            },
            feerate: 5,
            block_fees: 0,
            seed,
            addr_counter: 0,
            tx_counter: 0,
        }
    }

    pub(crate) fn new_wallet(&mut self, script: Script, software: Software) -> usize {
        self.wallets.push(Wallet {
            script,
            software,
            utxos: Vec::new(),
        });
        self.wallets.len() - 1
    }

    fn new_address(&mut self, script: Script) -> Address {
        let h = derived(self.seed, "btc-address", self.addr_counter);
        self.addr_counter += 1;
        let mut h20 = [0u8; 20];
        h20.copy_from_slice(&h[..20]);
        let kind = match script {
            Script::P2wpkh => BitcoinAddress::P2wpkh(h20),
            Script::P2pkh => BitcoinAddress::P2pkh(h20),
            Script::P2sh => BitcoinAddress::P2sh(h20),
            Script::P2tr => BitcoinAddress::P2tr(h),
        };
        Address::Bitcoin {
            network: NETWORK,
            kind,
        }
    }

    /// A fresh receiving address of wallet `w`.
    pub(crate) fn fresh(&mut self, w: usize) -> Address {
        let script = self.wallets[w].script;
        let a = self.new_address(script);
        self.owners.insert(a.clone(), w);
        a
    }

    /// Record that `address`, made by a shared wallet (Whirlpool's premix and postmix), holds
    /// a coin of wallet `owner`.
    pub(crate) fn assign(&mut self, address: &Address, owner: usize) {
        self.owners.insert(address.clone(), owner);
    }

    /// The wallet controlling `address` (one the simulator generated).
    pub(crate) fn owner(&self, address: &Address) -> Option<usize> {
        self.owners.get(address).copied()
    }

    pub(crate) fn balance(&self, w: usize) -> u64 {
        self.wallets[w].balance()
    }

    fn block_ref(&self) -> BlockRef {
        BlockRef {
            height: self.block.height,
            timestamp: self.block.timestamp,
        }
    }

    /// Fee for a transaction with these inputs and outputs at the block's fee rate.
    pub(crate) fn fee_for(
        &self,
        inputs: &[&Address],
        outputs: &[&Address],
        op_return: usize,
    ) -> u64 {
        let mut vbytes = 11;
        vbytes += inputs.iter().map(|a| input_vbytes(a)).sum::<u64>();
        vbytes += outputs.iter().map(|a| output_vbytes(a)).sum::<u64>();
        if op_return > 0 {
            vbytes += 11 + op_return as u64;
        }
        vbytes * self.feerate
    }

    /// The seed of the world (user wallets draw their software from it).
    pub(crate) fn seed(&self) -> u64 {
        self.seed
    }

    /// Record a transaction spending `inputs` to `outputs` (owner wallet, address, value),
    /// built by the software of the wallet owning the first input (for a CoinJoin, the first
    /// participant's). The fee is whatever the inputs hold beyond the outputs.
    pub(crate) fn emit(
        &mut self,
        inputs: Vec<Utxo>,
        outputs: Vec<(usize, Address, u64)>,
        op_return: Option<Vec<u8>>,
    ) -> Result<TxHash, SimError> {
        let total_in: u64 = inputs.iter().map(|u| u.value).sum();
        let total_out: u64 = outputs.iter().map(|o| o.2).sum();
        let fee = total_in.checked_sub(total_out).ok_or_else(|| {
            SimError::Invariant(format!("outputs {total_out} exceed inputs {total_in}"))
        })?;
        if inputs.is_empty() {
            return Err(SimError::Invariant("transaction without inputs".into()));
        }
        if let Some(payload) = op_return.as_ref().filter(|p| p.len() > MAX_OP_RETURN) {
            return Err(SimError::Invariant(format!(
                "OP_RETURN payload of {} bytes exceeds the standard {MAX_OP_RETURN}",
                payload.len()
            )));
        }
        self.block_fees += fee;
        let txid = TxHash(derived(self.seed, "btc-tx", self.tx_counter));
        self.tx_counter += 1;
        let software = self
            .owner(&inputs[0].addr)
            .map_or(Software::Legacy, |w| self.wallets[w].software);
        let fingerprint = software.fingerprint(self.block.height, &txid.0);
        let mut flow_outputs = Vec::with_capacity(outputs.len() + 1);
        for (vout, (w, addr, value)) in outputs.into_iter().enumerate() {
            flow_outputs.push(UtxoOutput {
                value,
                address: addr.clone(),
                data: None,
            });
            self.wallets[w].utxos.push(Utxo {
                outpoint: OutPoint {
                    tx: txid,
                    vout: vout as u32,
                },
                value,
                addr,
            });
        }
        if let Some(payload) = op_return {
            flow_outputs.push(UtxoOutput {
                value: 0,
                address: null_data(),
                data: Some(payload),
            });
        }
        let flow = UtxoTx {
            fingerprint: Some(fingerprint),
            hash: txid,
            block: self.block_ref(),
            inputs: inputs
                .into_iter()
                .map(|u| UtxoInput {
                    prevout: Some(u.outpoint),
                    value: Some(u.value),
                    address: Some(u.addr),
                })
                .collect(),
            outputs: flow_outputs,
        };
        self.block.txs.push(BtcTx { flow });
        Ok(txid)
    }

    /// Take coins of wallet `w` worth at least `amount` plus the fee of the resulting
    /// transaction; `None` (and nothing taken) when the wallet cannot pay.
    fn take(
        &mut self,
        rng: &mut ChaCha8Rng,
        w: usize,
        select: &Select,
        amount: u64,
        outputs: &[&Address],
        op_return: usize,
    ) -> Option<Vec<Utxo>> {
        let feerate = self.feerate;
        // Enough for `amount` and the fee of a transaction spending `coins` coins.
        let covers = |sum: u64, coins: usize| sum >= amount + (coins as u64 * 150 + 200) * feerate;
        let wallet = &mut self.wallets[w];
        if wallet.utxos.is_empty() {
            return None;
        }
        let mut taken = Vec::new();
        match select {
            Select::All => taken = std::mem::take(&mut wallet.utxos),
            Select::Random => {
                let mut sum = 0u64;
                while !wallet.utxos.is_empty() && taken.len() < MAX_COINS_PER_PAYMENT {
                    let i = rng.random_range(0..wallet.utxos.len());
                    let u = wallet.utxos.swap_remove(i);
                    sum += u.value;
                    taken.push(u);
                    if covers(sum, taken.len()) {
                        break;
                    }
                }
            }
            Select::Largest => {
                let mut by_value: Vec<usize> = (0..wallet.utxos.len()).collect();
                by_value.sort_by_key(|&i| std::cmp::Reverse(wallet.utxos[i].value));
                let (mut sum, mut picked) = (0u64, Vec::new());
                for i in by_value.into_iter().take(MAX_COINS_PER_PAYMENT) {
                    sum += wallet.utxos[i].value;
                    picked.push(i);
                    if covers(sum, picked.len()) {
                        break;
                    }
                }
                taken = take_indices(&mut wallet.utxos, &picked);
            }
        }
        let addrs: Vec<&Address> = taken.iter().map(|u| &u.addr).collect();
        let fee = self.fee_for(&addrs, outputs, op_return) + P2TR_OUTPUT_VBYTES * self.feerate;
        let sum: u64 = taken.iter().map(|u| u.value).sum();
        if sum < amount + fee {
            self.wallets[w].utxos.extend(taken);
            return None;
        }
        Some(taken)
    }

    /// Pay `outputs` from wallet `w`, with change as asked (dropped to the fee when dust).
    pub(crate) fn pay(
        &mut self,
        rng: &mut ChaCha8Rng,
        w: usize,
        select: Select,
        outputs: Vec<(usize, Address, u64)>,
        op_return: Option<Vec<u8>>,
        change: Change,
    ) -> Result<Option<Paid>, SimError> {
        let amount: u64 = outputs.iter().map(|o| o.2).sum();
        let out_addrs: Vec<&Address> = outputs.iter().map(|o| &o.1).collect();
        let op_len = op_return.as_ref().map_or(0, Vec::len);
        let Some(inputs) = self.take(rng, w, &select, amount, &out_addrs, op_len) else {
            return Ok(None);
        };
        self.pay_from(w, inputs, outputs, op_return, change)
    }

    /// Pay `outputs` from coins of wallet `w` already chosen, with change as asked (dropped to the
    /// fee when dust); `None` (and the coins back in the wallet) when they do not cover it.
    pub(crate) fn pay_from(
        &mut self,
        w: usize,
        inputs: Vec<Utxo>,
        outputs: Vec<(usize, Address, u64)>,
        op_return: Option<Vec<u8>>,
        change: Change,
    ) -> Result<Option<Paid>, SimError> {
        let Some(vin0) = inputs.first().map(|u| u.addr.clone()) else {
            return Ok(None);
        };
        let amount: u64 = outputs.iter().map(|o| o.2).sum();
        let op_len = op_return.as_ref().map_or(0, Vec::len);
        let spent: u64 = inputs.iter().map(|u| u.value).sum();
        let in_addrs: Vec<&Address> = inputs.iter().map(|u| &u.addr).collect();
        let out_addrs: Vec<&Address> = outputs.iter().map(|o| &o.1).collect();
        // A change output costs at most a P2TR output: with this much the fee is covered.
        if spent
            < amount
                + self.fee_for(&in_addrs, &out_addrs, op_len)
                + P2TR_OUTPUT_VBYTES * self.feerate
        {
            self.wallets[w].utxos.extend(inputs);
            return Ok(None);
        }
        let change_addr = match change {
            Change::Fresh => self.fresh(w),
            Change::To(a) => a,
            Change::FirstInput => vin0.clone(),
        };
        let in_addrs: Vec<&Address> = inputs.iter().map(|u| &u.addr).collect();
        let mut all_out: Vec<&Address> = outputs.iter().map(|o| &o.1).collect();
        all_out.push(&change_addr);
        let fee = self.fee_for(&in_addrs, &all_out, op_len);
        let rest = spent - amount - fee;
        let mut outputs = outputs;
        let change = if rest > DUST {
            outputs.push((w, change_addr.clone(), rest));
            Some((change_addr, rest))
        } else {
            None
        };
        let fee = spent - outputs.iter().map(|o| o.2).sum::<u64>();
        let txid = self.emit(inputs, outputs, op_return)?;
        Ok(Some(Paid {
            txid,
            vin0,
            fee,
            change,
            spent,
        }))
    }

    /// A custodial wallet's payment (an exchange's or a custodial mixer's hot wallet): its
    /// largest coin at one of its `initial` addresses plus up to `extra` of its oldest other
    /// coins, change back to that initial address, so multi-input clustering ties every later
    /// address it spends to a known one. `None` when the wallet cannot pay.
    pub(crate) fn pay_from_float(
        &mut self,
        w: usize,
        initial: &[Address],
        extra: usize,
        outputs: Vec<(usize, Address, u64)>,
    ) -> Result<Option<Paid>, SimError> {
        let utxos = &self.wallets[w].utxos;
        let Some(anchor) = (0..utxos.len())
            .filter(|&i| initial.contains(&utxos[i].addr))
            .max_by_key(|&i| (utxos[i].value, std::cmp::Reverse(i)))
        else {
            return Ok(None);
        };
        let mut picked = vec![anchor];
        picked.extend(
            (0..utxos.len())
                .filter(|&i| !initial.contains(&utxos[i].addr))
                .take(extra),
        );
        let change = utxos[anchor].addr.clone();
        let inputs = take_indices(&mut self.wallets[w].utxos, &picked);
        self.pay_from(w, inputs, outputs, None, Change::To(change))
    }

    /// Spend every coin of wallet `w` to one output, the fee taken from the amount.
    pub(crate) fn sweep(
        &mut self,
        w: usize,
        dest_w: usize,
        dest: Address,
    ) -> Result<Option<Paid>, SimError> {
        let inputs = std::mem::take(&mut self.wallets[w].utxos);
        let addrs: Vec<&Address> = inputs.iter().map(|u| &u.addr).collect();
        let fee = self.fee_for(&addrs, &[&dest], 0);
        let spent: u64 = inputs.iter().map(|u| u.value).sum();
        if inputs.is_empty() || spent < fee + DUST {
            self.wallets[w].utxos = inputs;
            return Ok(None);
        }
        let vin0 = inputs[0].addr.clone();
        let txid = self.emit(inputs, vec![(dest_w, dest, spent - fee)], None)?;
        Ok(Some(Paid {
            txid,
            vin0,
            fee,
            change: None,
            spent,
        }))
    }

    /// Close the current block (prepending its coinbase paying subsidy and fees to
    /// `miner_wallet`) and open the next. Returns the closed block.
    pub(crate) fn finish_block(
        &mut self,
        miner_wallet: usize,
        reward: u64,
        next_height: u64,
        next_timestamp: u64,
    ) -> BtcBlock {
        let txid = TxHash(derived(self.seed, "btc-coinbase", self.block.height));
        let value = reward + self.block_fees;
        let addr = self.fresh(miner_wallet);
        self.wallets[miner_wallet].utxos.push(Utxo {
            outpoint: OutPoint { tx: txid, vout: 0 },
            value,
            addr: addr.clone(),
        });
        let coinbase = BtcTx {
            flow: UtxoTx {
                fingerprint: Some(
                    self.wallets[miner_wallet]
                        .software
                        .fingerprint(self.block.height, &txid.0),
                ),
                hash: txid,
                block: self.block_ref(),
                inputs: vec![UtxoInput {
                    prevout: None,
                    value: None,
                    address: None,
                }],
                outputs: vec![UtxoOutput {
                    value,
                    address: addr,
                    data: None,
                }],
            },
        };
        self.block.txs.insert(0, coinbase);
        self.block_fees = 0;
        let next = BtcBlock {
            height: next_height,
            timestamp: next_timestamp,
            hash: derived(self.seed, "btc-block", next_height),
            parent_hash: self.block.hash,
            txs: Vec::new(),
        };
        std::mem::replace(&mut self.block, next)
    }

    /// Open block 0.
    pub(crate) fn open_genesis(&mut self, timestamp: u64) {
        self.block.timestamp = timestamp;
        self.block.hash = derived(self.seed, "btc-block", 0);
    }
}

/// Remove the coins at `indices` (the first one first) from `utxos`, keeping the others' order.
fn take_indices(utxos: &mut Vec<Utxo>, indices: &[usize]) -> Vec<Utxo> {
    let mut taken: Vec<Option<Utxo>> = Vec::with_capacity(indices.len());
    taken.resize_with(indices.len(), || None);
    let mut kept = Vec::with_capacity(utxos.len());
    for (i, u) in std::mem::take(utxos).into_iter().enumerate() {
        match indices.iter().position(|&j| j == i) {
            Some(slot) => taken[slot] = Some(u),
            None => kept.push(u),
        }
    }
    *utxos = kept;
    taken.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    /// A wallet of `script` holding coins of these values.
    fn wallet_with(btc: &mut Btc, script: Script, values: &[u64]) -> usize {
        let w = btc.new_wallet(script, Software::Legacy);
        for (i, &value) in values.iter().enumerate() {
            let addr = btc.fresh(w);
            btc.wallets[w].utxos.push(Utxo {
                outpoint: OutPoint {
                    tx: TxHash([i as u8; 32]),
                    vout: 0,
                },
                value,
                addr,
            });
        }
        w
    }

    #[test]
    fn the_largest_coins_pay_with_as_few_coins_as_cover_it() {
        let mut btc = Btc::new(1);
        let mut values = vec![COIN; 100];
        values.extend([500 * COIN, 300 * COIN]);
        let w = wallet_with(&mut btc, Script::P2wpkh, &values);
        let to = btc.new_wallet(Script::P2wpkh, Software::Legacy);
        let dest = btc.fresh(to);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let paid = btc
            .pay(
                &mut rng,
                w,
                Select::Largest,
                vec![(to, dest.clone(), 600 * COIN)],
                None,
                Change::Fresh,
            )
            .expect("valid payment")
            .expect("the two largest coins cover it");
        // Two P2WPKH inputs, two P2WPKH outputs: 209 vbytes at 5 sat/vB.
        assert_eq!((paid.spent, paid.fee), (800 * COIN, 1_045));
        assert_eq!(paid.change.map(|c| c.1), Some(200 * COIN - 1_045));
        assert_eq!(btc.wallets[w].utxos.len(), 101);
        // At most 60 coins: the change and 59 coins of 1 BTC do not make 300 BTC.
        let unpaid = btc
            .pay(
                &mut rng,
                w,
                Select::Largest,
                vec![(to, dest, 300 * COIN)],
                None,
                Change::Fresh,
            )
            .expect("valid payment");
        assert!(unpaid.is_none());
        assert_eq!(btc.wallets[w].utxos.len(), 101);
    }

    #[test]
    fn the_fee_bound_covers_the_costliest_payment() {
        let mut btc = Btc::new(1);
        btc.feerate = MAX_FEERATE;
        let w = wallet_with(&mut btc, Script::P2pkh, &[COIN; MAX_COINS_PER_PAYMENT]);
        let coins = std::mem::take(&mut btc.wallets[w].utxos);
        let to = btc.new_wallet(Script::P2tr, Software::Legacy);
        let dest = btc.fresh(to);
        let memo = vec![b'x'; MAX_OP_RETURN];
        let paid = btc
            .pay_from(
                w,
                coins,
                vec![(to, dest, 50 * COIN)],
                Some(memo),
                Change::Fresh,
            )
            .expect("valid payment")
            .expect("60 BTC cover 50");
        // 11 + 60 × 148 + 43 + 34 + 11 + 80 vbytes at 25 sat/vB, against the bound's 43 for change.
        assert_eq!(paid.fee, 226_475);
        assert_eq!(max_payment_fee(MAX_OP_RETURN), 226_700);
    }
}
