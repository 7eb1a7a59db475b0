//! The EVM ledger of the simulated world: accounts and balances, the transaction builder that
//! charges gas (priority fee to the block's fee recipient, base fee burnt), and the contracts:
//! ERC-20 tokens (a freezable USD stablecoin, a staking token, WETH), a Uniswap-V2-style router
//! and pairs, Tornado-style fixed-denomination pools, a THORChain router (v4) with its vaults, and
//! the Avalanche-Bridge-style BTC.b token minted against Bitcoin deposits.

use alloy_primitives::U256;
use chaintrail_core::{
    AccountTransfer, AccountTx, Address, Amount, AssetKind, BlockRef, TransferKind, TxHash,
};

use crate::SimError;
use crate::fees::FeeStyle;
use alloy_sol_types::SolCall;

use crate::abi::{
    self, addr as abi_addr, btcb, erc20, thorchain, tornado, uint, uniswap_v2, weth, word,
};
use crate::model::{EvmBlock, EvmLog, EvmTrace, EvmTx};
use crate::seeded::derived;

pub(crate) const ETH: usize = 0;
pub(crate) const USDC: usize = 1;
pub(crate) const STK: usize = 2;
pub(crate) const WETH: usize = 3;
pub(crate) const BTCB: usize = 4;
/// Number of assets an account holds: ETH and the four tokens.
pub(crate) const ASSETS: usize = 5;

pub(crate) const GWEI: u64 = 1_000_000_000;
pub(crate) const ETHER: u128 = 1_000_000_000_000_000_000;

/// Gas used by each kind of call (close to mainnet figures).
pub(crate) const GAS_TRANSFER: u64 = 21_000;
pub(crate) const GAS_TOKEN: u64 = 52_000;
pub(crate) const GAS_SWAP: u64 = 152_000;
pub(crate) const GAS_TORNADO_DEPOSIT: u64 = 1_050_000;
pub(crate) const GAS_TORNADO_WITHDRAW: u64 = 360_000;
pub(crate) const GAS_BRIDGE: u64 = 64_000;
pub(crate) const GAS_TRANSFER_OUT: u64 = 58_000;
pub(crate) const GAS_BTCB_MINT: u64 = 96_000;
pub(crate) const GAS_ADMIN: u64 = 47_000;

#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub addr: [u8; 20],
    pub bal: [u128; ASSETS],
    pub nonce: u64,
    /// How the account's wallet sets its fees.
    pub fees: FeeStyle,
}

#[derive(Debug, Clone)]
pub(crate) struct Pair {
    pub acct: u32,
    pub token: usize,
    /// Whether WETH sorts before the other token (it is `token0`).
    pub weth_is_token0: bool,
    pub reserve_weth: u128,
    pub reserve_token: u128,
}

/// What a router swap through a pair gives: the pair (index and account), the token's contract,
/// the output, the least output the user accepts (1% slippage), the router's path, and the
/// pair's `amount0Out`/`amount1Out`.
struct Quote {
    pair: usize,
    pair_acct: u32,
    token_acct: u32,
    out: u128,
    min_out: u128,
    path: Vec<alloy_primitives::Address>,
    amounts_out: (u128, u128),
}

/// A Tornado-style deposit note, kept by whoever deposited until it is withdrawn.
#[derive(Debug, Clone)]
pub(crate) struct Note {
    pub pool: usize,
    pub nullifier_hash: [u8; 32],
    pub deposit_tx: TxHash,
}

#[derive(Debug, Clone)]
pub(crate) struct Pool {
    pub acct: u32,
    pub denomination: u128,
    pub next_leaf: u32,
}

/// A transaction under construction. Balance changes are applied as they are recorded.
pub(crate) struct TxBuild {
    from: u32,
    to: u32,
    value: u128,
    input: Vec<u8>,
    gas_used: u64,
    transfers: Vec<AccountTransfer>,
    logs: Vec<EvmLog>,
    traces: Vec<EvmTrace>,
}

pub(crate) struct Evm {
    pub accts: Vec<Account>,
    pub chain_token: [u32; ASSETS],
    pub pairs: Vec<Pair>,
    pub router: u32,
    pub pools: Vec<Pool>,
    pub token_owner: u32,
    pub frozen: Vec<u32>,
    miner: u32,
    seed: u64,
    tx_counter: u64,
    pub block: EvmBlock,
    pub block_transfers: u64,
}

pub(crate) fn evm_address(raw: [u8; 20]) -> Address {
    Address::Evm(raw)
}

impl Evm {
    pub(crate) fn new(seed: u64) -> Evm {
        Evm {
            accts: Vec::new(),
            chain_token: [0; ASSETS],
            pairs: Vec::new(),
            router: 0,
            pools: Vec::new(),
            token_owner: 0,
            frozen: Vec::new(),
            miner: 0,
            seed,
            tx_counter: 0,
            block: EvmBlock {
                number: 0,
                timestamp: 0,
                hash: [0; 32],
                parent_hash: [0; 32],
                miner: [0; 20],
                base_fee_per_gas: 0,
                gas_limit: 30_000_000,
                genesis: None,
                txs: Vec::new(),
            },
            block_transfers: 0,
        }
    }

    /// A fresh account with a deterministic address whose wallet sets fees as `fees` does.
    pub(crate) fn new_account(&mut self, fees: FeeStyle) -> u32 {
        let id = self.accts.len() as u32;
        let h = derived(self.seed, "evm-account", u64::from(id));
        let mut addr = [0u8; 20];
        addr.copy_from_slice(&h[12..]);
        self.accts.push(Account {
            addr,
            bal: [0; ASSETS],
            nonce: 0,
            fees,
        });
        id
    }

    pub(crate) fn addr(&self, acct: u32) -> [u8; 20] {
        self.accts[acct as usize].addr
    }

    pub(crate) fn bal(&self, acct: u32, asset: usize) -> u128 {
        self.accts[acct as usize].bal[asset]
    }

    pub(crate) fn asset_kind(&self, asset: usize) -> AssetKind {
        if asset == ETH {
            AssetKind::Native
        } else {
            AssetKind::Token(evm_address(self.addr(self.chain_token[asset])))
        }
    }

    pub(crate) fn block_ref(&self) -> BlockRef {
        BlockRef {
            height: self.block.number,
            timestamp: self.block.timestamp,
        }
    }

    /// Start a new block; returns the finished previous one.
    pub(crate) fn start_block(
        &mut self,
        number: u64,
        timestamp: u64,
        miner: u32,
        base_fee: u64,
    ) -> EvmBlock {
        let parent = self.block.hash;
        let next = EvmBlock {
            number,
            timestamp,
            hash: derived(self.seed, "evm-block", number),
            parent_hash: parent,
            miner: self.addr(miner),
            base_fee_per_gas: base_fee,
            gas_limit: 30_000_000,
            genesis: None,
            txs: Vec::new(),
        };
        self.block_transfers = 0;
        self.miner = miner;
        std::mem::replace(&mut self.block, next)
    }

    /// Whether `acct` has appeared on chain: it has sent a transaction or holds something.
    pub(crate) fn appears(&self, acct: u32) -> bool {
        let a = &self.accts[acct as usize];
        a.nonce > 0 || a.bal.iter().any(|&v| v > 0)
    }

    /// The fee settings of `acct`'s wallet.
    pub(crate) fn fees(&self, acct: u32) -> FeeStyle {
        self.accts[acct as usize].fees
    }

    /// Fee (wei) a transaction of `gas_used` sent by `from` pays in the current block.
    pub(crate) fn fee(&self, from: u32, gas_used: u64) -> u128 {
        let price = self.fees(from).effective_price(self.block.base_fee_per_gas);
        u128::from(gas_used) * u128::from(price)
    }

    /// Whether `from` can pay `value` plus gas.
    pub(crate) fn can_pay(&self, from: u32, value: u128, gas_used: u64) -> bool {
        self.bal(from, ETH) >= value + self.fee(from, gas_used)
    }

    /// Genesis allocation (block 0): mint `amount` of the native coin to `to`.
    pub(crate) fn genesis_alloc(&mut self, to: u32, amount: u128) {
        self.accts[to as usize].bal[ETH] += amount;
        let transfer = AccountTransfer {
            from: None,
            to: Some(evm_address(self.addr(to))),
            asset: AssetKind::Native,
            amount: Amount::from_u128(amount),
            kind: TransferKind::Mint,
            success: true,
        };
        let block = self.block_ref();
        let hash = TxHash(derived(self.seed, "evm-genesis", 0));
        let genesis = self.block.genesis.get_or_insert_with(|| AccountTx {
            hash,
            block,
            transfers: Vec::new(),
        });
        genesis.transfers.push(transfer);
        self.block_transfers += 1;
    }

    pub(crate) fn begin(
        &mut self,
        from: u32,
        to: u32,
        value: u128,
        input: Vec<u8>,
        gas_used: u64,
    ) -> Result<TxBuild, SimError> {
        if !self.can_pay(from, value, gas_used) {
            return Err(SimError::Invariant(format!(
                "account {from} cannot pay {value} wei plus gas"
            )));
        }
        let mut b = TxBuild {
            from,
            to,
            value,
            input,
            gas_used,
            transfers: Vec::new(),
            logs: Vec::new(),
            traces: Vec::new(),
        };
        if value > 0 {
            self.xfer(&mut b, ETH, from, to, value, TransferKind::Native)?;
        }
        Ok(b)
    }

    fn debit(&mut self, acct: u32, asset: usize, amount: u128) -> Result<(), SimError> {
        let bal = &mut self.accts[acct as usize].bal[asset];
        *bal = bal.checked_sub(amount).ok_or_else(|| {
            SimError::Invariant(format!("account {acct} would go negative in asset {asset}"))
        })?;
        Ok(())
    }

    pub(crate) fn xfer(
        &mut self,
        b: &mut TxBuild,
        asset: usize,
        from: u32,
        to: u32,
        amount: u128,
        kind: TransferKind,
    ) -> Result<(), SimError> {
        self.debit(from, asset, amount)?;
        self.accts[to as usize].bal[asset] += amount;
        b.transfers.push(AccountTransfer {
            from: Some(evm_address(self.addr(from))),
            to: Some(evm_address(self.addr(to))),
            asset: self.asset_kind(asset),
            amount: Amount::from_u128(amount),
            kind,
            success: true,
        });
        Ok(())
    }

    /// ERC-20 `Transfer` with its log.
    /// The router's `swap` call on the pair and the pair's transfer of `out` units of the bought
    /// token (`asset`, its contract account) to `to`, as call `index` of the router.
    #[allow(clippy::too_many_arguments)]
    fn pair_pays_out(
        &mut self,
        b: &mut TxBuild,
        pair_acct: u32,
        (o0, o1): (u128, u128),
        (asset, contract): (usize, u32),
        to: u32,
        out: u128,
        index: u32,
    ) -> Result<(), SimError> {
        let router = self.router;
        let swap_call = uniswap_v2::swapCall {
            amount0Out: uint(o0),
            amount1Out: uint(o1),
            to: abi_addr(self.addr(to)),
            data: Default::default(),
        }
        .abi_encode();
        self.trace(b, router, pair_acct, 0, swap_call, 90_000, vec![index]);
        let transfer = erc20::transferCall {
            to: abi_addr(self.addr(to)),
            amount: uint(out),
        }
        .abi_encode();
        self.trace(b, pair_acct, contract, 0, transfer, 30_000, vec![index, 0]);
        self.token_move(b, asset, pair_acct, to, out)
    }

    fn token_move(
        &mut self,
        b: &mut TxBuild,
        asset: usize,
        from: u32,
        to: u32,
        amount: u128,
    ) -> Result<(), SimError> {
        self.xfer(b, asset, from, to, amount, TransferKind::Token)?;
        let event = erc20::Transfer {
            from: abi_addr(self.addr(from)),
            to: abi_addr(self.addr(to)),
            value: uint(amount),
        };
        self.log(b, self.chain_token[asset], &event);
        Ok(())
    }

    fn log<E: alloy_sol_types::SolEvent>(&self, b: &mut TxBuild, emitter: u32, event: &E) {
        b.logs.push(abi::log(self.addr(emitter), event));
    }

    #[allow(clippy::too_many_arguments)]
    fn trace(
        &self,
        b: &mut TxBuild,
        from: u32,
        to: u32,
        value: u128,
        input: Vec<u8>,
        gas: u64,
        trace_address: Vec<u32>,
    ) {
        b.traces.push(EvmTrace {
            from: self.addr(from),
            to: self.addr(to),
            value,
            input,
            call_type: "call",
            gas,
            gas_used: gas / 3,
            subtraces: 0,
            trace_address,
        });
    }

    /// Charge gas, record the transaction in the current block and return its hash.
    pub(crate) fn commit(&mut self, mut b: TxBuild) -> Result<TxHash, SimError> {
        let base = self.block.base_fee_per_gas;
        let fees = self.fees(b.from);
        let price = fees.effective_price(base);
        let tip_total = u128::from(b.gas_used) * u128::from(price - base);
        let burnt = u128::from(b.gas_used) * u128::from(base);
        self.debit(b.from, ETH, tip_total + burnt)?;
        let miner_addr = self.block.miner;
        self.accts[self.miner as usize].bal[ETH] += tip_total;
        let from_addr = evm_address(self.addr(b.from));
        b.transfers.push(AccountTransfer {
            from: Some(from_addr.clone()),
            to: Some(evm_address(miner_addr)),
            asset: AssetKind::Native,
            amount: Amount::from_u128(tip_total),
            kind: TransferKind::Fee,
            success: true,
        });
        b.transfers.push(AccountTransfer {
            from: Some(from_addr),
            to: None,
            asset: AssetKind::Native,
            amount: Amount::from_u128(burnt),
            kind: TransferKind::Burn,
            success: true,
        });
        let hash = TxHash(derived(self.seed, "evm-tx", self.tx_counter));
        self.tx_counter += 1;
        let gas_limit = b.gas_used + b.gas_used / 5;
        let mut traces = Vec::with_capacity(b.traces.len() + 1);
        traces.push(EvmTrace {
            from: self.addr(b.from),
            to: self.addr(b.to),
            value: b.value,
            input: b.input.clone(),
            call_type: "call",
            gas: gas_limit - 21_000.min(gas_limit),
            gas_used: b.gas_used.saturating_sub(21_000),
            subtraces: 0,
            trace_address: Vec::new(),
        });
        traces.append(&mut b.traces);
        let counts: Vec<u32> = traces
            .iter()
            .map(|parent| {
                traces
                    .iter()
                    .filter(|t| {
                        t.trace_address.len() == parent.trace_address.len() + 1
                            && t.trace_address.starts_with(&parent.trace_address)
                    })
                    .count() as u32
            })
            .collect();
        for (t, n) in traces.iter_mut().zip(counts) {
            t.subtraces = n;
        }
        let acct = &mut self.accts[b.from as usize];
        let nonce = acct.nonce;
        acct.nonce += 1;
        self.block_transfers += b.transfers.len() as u64;
        let tx = EvmTx {
            from: self.addr(b.from),
            to: self.addr(b.to),
            nonce,
            value: b.value,
            input: b.input,
            gas_limit,
            gas_used: b.gas_used,
            max_fee_per_gas: fees.max_fee(base),
            max_priority_fee_per_gas: fees.tip(),
            effective_gas_price: price,
            logs: b.logs,
            traces,
            flow: AccountTx {
                hash,
                block: self.block_ref(),
                transfers: b.transfers,
            },
        };
        self.block.txs.push(tx);
        Ok(hash)
    }

    // ---- contracts ---------------------------------------------------------------------

    pub(crate) fn eth_transfer(
        &mut self,
        from: u32,
        to: u32,
        amount: u128,
    ) -> Result<TxHash, SimError> {
        let b = self.begin(from, to, amount, Vec::new(), GAS_TRANSFER)?;
        self.commit(b)
    }

    pub(crate) fn token_transfer(
        &mut self,
        asset: usize,
        from: u32,
        to: u32,
        amount: u128,
    ) -> Result<TxHash, SimError> {
        let input = erc20::transferCall {
            to: abi_addr(self.addr(to)),
            amount: uint(amount),
        }
        .abi_encode();
        let mut b = self.begin(from, self.chain_token[asset], 0, input, GAS_TOKEN)?;
        self.token_move(&mut b, asset, from, to, amount)?;
        self.commit(b)
    }

    /// The issuer mints tokens to `to` (`Transfer` from the zero address).
    pub(crate) fn token_mint(
        &mut self,
        asset: usize,
        to: u32,
        amount: u128,
    ) -> Result<TxHash, SimError> {
        let owner = self.token_owner;
        let input = erc20::mintCall {
            to: abi_addr(self.addr(to)),
            amount: uint(amount),
        }
        .abi_encode();
        let mut b = self.begin(owner, self.chain_token[asset], 0, input, GAS_TOKEN)?;
        self.mint_to(&mut b, asset, to, amount);
        self.commit(b)
    }

    /// New token units for `to`: a `Mint` in the value flow, a `Transfer` from the zero address.
    fn mint_to(&mut self, b: &mut TxBuild, asset: usize, to: u32, amount: u128) {
        self.mint_units(b, asset, to, amount);
        let event = erc20::Transfer {
            from: abi_addr([0; 20]),
            to: abi_addr(self.addr(to)),
            value: uint(amount),
        };
        self.log(b, self.chain_token[asset], &event);
    }

    /// New units of token `asset` for `to`, as a `Mint` in the value flow (the caller emits the
    /// token's own event).
    fn mint_units(&mut self, b: &mut TxBuild, asset: usize, to: u32, amount: u128) {
        self.accts[to as usize].bal[asset] += amount;
        b.transfers.push(AccountTransfer {
            from: None,
            to: Some(evm_address(self.addr(to))),
            asset: self.asset_kind(asset),
            amount: Amount::from_u128(amount),
            kind: TransferKind::Mint,
            success: true,
        });
    }

    /// The stablecoin issuer freezes an address (`Blacklisted(address)`).
    pub(crate) fn freeze(&mut self, target: u32) -> Result<TxHash, SimError> {
        let owner = self.token_owner;
        let token = self.chain_token[USDC];
        let account = abi_addr(self.addr(target));
        let input = erc20::blacklistCall { account }.abi_encode();
        let mut b = self.begin(owner, token, 0, input, GAS_ADMIN)?;
        self.log(&mut b, token, &erc20::Blacklisted { account });
        self.frozen.push(target);
        self.commit(b)
    }

    pub(crate) fn is_frozen(&self, acct: u32) -> bool {
        self.frozen.contains(&acct)
    }

    fn pair_for(&self, token: usize) -> Result<usize, SimError> {
        self.pairs
            .iter()
            .position(|p| p.token == token)
            .ok_or_else(|| SimError::Invariant(format!("no pair for asset {token}")))
    }

    /// Uniswap V2 `getAmountOut` (0.3% fee), exact integer math.
    pub(crate) fn amount_out(amount_in: u128, reserve_in: u128, reserve_out: u128) -> u128 {
        let a = U256::from(amount_in) * U256::from(997u32);
        let num = a * U256::from(reserve_out);
        let den = U256::from(reserve_in) * U256::from(1000u32) + a;
        (num / den).to::<u128>()
    }

    /// A router swap of `amount_in` through `token`'s pair, ETH in (`eth_in`) or out.
    fn quote(&self, token: usize, amount_in: u128, eth_in: bool) -> Result<Quote, SimError> {
        let pair = self.pair_for(token)?;
        let p = &self.pairs[pair];
        let (weth, token_acct) = (self.chain_token[WETH], self.chain_token[token]);
        let (reserves, path) = if eth_in {
            ((p.reserve_weth, p.reserve_token), [weth, token_acct])
        } else {
            ((p.reserve_token, p.reserve_weth), [token_acct, weth])
        };
        let out = Self::amount_out(amount_in, reserves.0, reserves.1);
        // The output is `amount0Out` when token0 is what goes out: WETH unless ETH comes in.
        let token0_goes_out = p.weth_is_token0 != eth_in;
        Ok(Quote {
            pair,
            pair_acct: p.acct,
            token_acct,
            out,
            min_out: out - out / 100,
            path: path.iter().map(|&a| abi_addr(self.addr(a))).collect(),
            amounts_out: if token0_goes_out { (out, 0) } else { (0, out) },
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn pair_logs(
        &self,
        b: &mut TxBuild,
        pair: usize,
        weth_in: u128,
        tok_in: u128,
        weth_out: u128,
        tok_out: u128,
        sender: u32,
        to: u32,
    ) -> Result<(), SimError> {
        let p = &self.pairs[pair];
        let (r0, r1, a0in, a1in, a0out, a1out) = if p.weth_is_token0 {
            (
                p.reserve_weth,
                p.reserve_token,
                weth_in,
                tok_in,
                weth_out,
                tok_out,
            )
        } else {
            (
                p.reserve_token,
                p.reserve_weth,
                tok_in,
                weth_in,
                tok_out,
                weth_out,
            )
        };
        let reserve = |r: u128| {
            alloy_primitives::aliases::U112::try_from(r)
                .map_err(|_| SimError::Invariant(format!("pair reserve {r} exceeds uint112")))
        };
        let sync = uniswap_v2::Sync {
            reserve0: reserve(r0)?,
            reserve1: reserve(r1)?,
        };
        self.log(b, p.acct, &sync);
        let swap = uniswap_v2::Swap {
            sender: abi_addr(self.addr(sender)),
            amount0In: uint(a0in),
            amount1In: uint(a1in),
            amount0Out: uint(a0out),
            amount1Out: uint(a1out),
            to: abi_addr(self.addr(to)),
        };
        self.log(b, p.acct, &swap);
        Ok(())
    }

    /// Router `swapExactTokensForETH`: token in to the pair, WETH out to the router, unwrapped,
    /// ETH to the user. Returns the hash and the ETH received.
    pub(crate) fn swap_tokens_for_eth(
        &mut self,
        user: u32,
        token: usize,
        amount_in: u128,
        deadline: u64,
    ) -> Result<(TxHash, u128), SimError> {
        let q = self.quote(token, amount_in, false)?;
        let (router, weth) = (self.router, self.chain_token[WETH]);
        let input = uniswap_v2::swapExactTokensForETHCall {
            amountIn: uint(amount_in),
            amountOutMin: uint(q.min_out),
            path: q.path,
            to: abi_addr(self.addr(user)),
            deadline: uint(u128::from(deadline)),
        }
        .abi_encode();
        let mut b = self.begin(user, router, 0, input, GAS_SWAP)?;
        let transfer_from = erc20::transferFromCall {
            from: abi_addr(self.addr(user)),
            to: abi_addr(self.addr(q.pair_acct)),
            amount: uint(amount_in),
        }
        .abi_encode();
        self.trace(
            &mut b,
            router,
            q.token_acct,
            0,
            transfer_from,
            40_000,
            vec![0],
        );
        self.token_move(&mut b, token, user, q.pair_acct, amount_in)?;
        self.pair_pays_out(
            &mut b,
            q.pair_acct,
            q.amounts_out,
            (WETH, weth),
            router,
            q.out,
            1,
        )?;
        self.pairs[q.pair].reserve_token += amount_in;
        self.pairs[q.pair].reserve_weth -= q.out;
        self.pair_logs(&mut b, q.pair, 0, amount_in, q.out, 0, router, router)?;
        let withdraw = weth::withdrawCall { wad: uint(q.out) }.abi_encode();
        self.trace(&mut b, router, weth, 0, withdraw, 20_000, vec![2]);
        self.debit(router, WETH, q.out)?;
        b.transfers.push(AccountTransfer {
            from: Some(evm_address(self.addr(router))),
            to: None,
            asset: self.asset_kind(WETH),
            amount: Amount::from_u128(q.out),
            kind: TransferKind::Burn,
            success: true,
        });
        let event = weth::Withdrawal {
            src: abi_addr(self.addr(router)),
            wad: uint(q.out),
        };
        self.log(&mut b, weth, &event);
        self.trace(&mut b, weth, router, q.out, Vec::new(), 2_300, vec![2, 0]);
        self.xfer(&mut b, ETH, weth, router, q.out, TransferKind::Internal)?;
        self.trace(&mut b, router, user, q.out, Vec::new(), 2_300, vec![3]);
        self.xfer(&mut b, ETH, router, user, q.out, TransferKind::Internal)?;
        Ok((self.commit(b)?, q.out))
    }

    /// Router `swapExactETHForTokens`: ETH wrapped to WETH, WETH to the pair, token out to the
    /// user. Returns the hash and the tokens received.
    pub(crate) fn swap_eth_for_tokens(
        &mut self,
        user: u32,
        token: usize,
        eth_in: u128,
        deadline: u64,
    ) -> Result<(TxHash, u128), SimError> {
        let q = self.quote(token, eth_in, true)?;
        let (router, weth) = (self.router, self.chain_token[WETH]);
        let input = uniswap_v2::swapExactETHForTokensCall {
            amountOutMin: uint(q.min_out),
            path: q.path,
            to: abi_addr(self.addr(user)),
            deadline: uint(u128::from(deadline)),
        }
        .abi_encode();
        let mut b = self.begin(user, router, eth_in, input, GAS_SWAP)?;
        self.trace(
            &mut b,
            router,
            weth,
            eth_in,
            weth::depositCall {}.abi_encode(),
            25_000,
            vec![0],
        );
        self.xfer(&mut b, ETH, router, weth, eth_in, TransferKind::Internal)?;
        self.mint_units(&mut b, WETH, router, eth_in);
        let event = weth::Deposit {
            dst: abi_addr(self.addr(router)),
            wad: uint(eth_in),
        };
        self.log(&mut b, weth, &event);
        let weth_transfer = erc20::transferCall {
            to: abi_addr(self.addr(q.pair_acct)),
            amount: uint(eth_in),
        }
        .abi_encode();
        self.trace(&mut b, router, weth, 0, weth_transfer, 30_000, vec![1]);
        self.token_move(&mut b, WETH, router, q.pair_acct, eth_in)?;
        self.pair_pays_out(
            &mut b,
            q.pair_acct,
            q.amounts_out,
            (token, q.token_acct),
            user,
            q.out,
            2,
        )?;
        self.pairs[q.pair].reserve_weth += eth_in;
        self.pairs[q.pair].reserve_token -= q.out;
        self.pair_logs(&mut b, q.pair, eth_in, 0, 0, q.out, router, user)?;
        Ok((self.commit(b)?, q.out))
    }

    /// Deposit into a fixed-denomination pool (`deposit(bytes32)` on the instance).
    pub(crate) fn tornado_deposit(&mut self, user: u32, pool: usize) -> Result<Note, SimError> {
        let (acct, denom) = (self.pools[pool].acct, self.pools[pool].denomination);
        let n = self.tx_counter;
        let commitment = derived(self.seed, "tornado-commitment", n);
        let nullifier_hash = derived(self.seed, "tornado-nullifier", n);
        let input = tornado::depositCall {
            commitment: word(commitment),
        }
        .abi_encode();
        let mut b = self.begin(user, acct, denom, input, GAS_TORNADO_DEPOSIT)?;
        let leaf = self.pools[pool].next_leaf;
        self.pools[pool].next_leaf += 1;
        let event = tornado::Deposit {
            commitment: word(commitment),
            leafIndex: leaf,
            timestamp: uint(u128::from(self.block.timestamp)),
        };
        self.log(&mut b, acct, &event);
        let deposit_tx = self.commit(b)?;
        Ok(Note {
            pool,
            nullifier_hash,
            deposit_tx,
        })
    }

    /// Withdraw a note to `recipient`. With a relayer, the relayer sends the transaction, pays
    /// the gas and takes `fee`; otherwise `sender` sends it and the fee is zero.
    pub(crate) fn tornado_withdraw(
        &mut self,
        note: &Note,
        sender: u32,
        recipient: u32,
        relayer: Option<(u32, u128)>,
    ) -> Result<TxHash, SimError> {
        let (acct, denom) = (
            self.pools[note.pool].acct,
            self.pools[note.pool].denomination,
        );
        let (relayer_acct, fee) = match relayer {
            Some((r, fee)) => (Some(r), fee),
            None => (None, 0),
        };
        let relayer_addr = relayer_acct.map_or([0; 20], |r| self.addr(r));
        let root = derived(self.seed, "tornado-root", self.tx_counter);
        let input = tornado::withdrawCall {
            proof: derived(self.seed, "tornado-proof", self.tx_counter)
                .to_vec()
                .into(),
            root: word(root),
            nullifierHash: word(note.nullifier_hash),
            recipient: abi_addr(self.addr(recipient)),
            relayer: abi_addr(relayer_addr),
            fee: uint(fee),
            refund: uint(0),
        }
        .abi_encode();
        let from = relayer_acct.unwrap_or(sender);
        let mut b = self.begin(from, acct, 0, input, GAS_TORNADO_WITHDRAW)?;
        self.trace(
            &mut b,
            acct,
            recipient,
            denom - fee,
            Vec::new(),
            2_300,
            vec![0],
        );
        self.xfer(
            &mut b,
            ETH,
            acct,
            recipient,
            denom - fee,
            TransferKind::Internal,
        )?;
        if let Some(r) = relayer_acct.filter(|_| fee > 0) {
            self.trace(&mut b, acct, r, fee, Vec::new(), 2_300, vec![1]);
            self.xfer(&mut b, ETH, acct, r, fee, TransferKind::Internal)?;
        }
        let event = tornado::Withdrawal {
            to: abi_addr(self.addr(recipient)),
            nullifierHash: word(note.nullifier_hash),
            relayer: abi_addr(relayer_addr),
            fee: uint(fee),
        };
        self.log(&mut b, acct, &event);
        self.commit(b)
    }

    /// The block-wide index (ethereum-etl's `log_index`) the next log of the current block gets.
    fn next_log_index(&self) -> u64 {
        self.block.txs.iter().map(|t| t.logs.len() as u64).sum()
    }

    /// THORChain router `depositWithExpiry(vault, ETH, amount, memo, expiry)`: the router forwards
    /// the ETH to the vault and emits `Deposit`. Returns the hash and the `Deposit` log's index.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn thor_deposit(
        &mut self,
        user: u32,
        (router, vault): (u32, u32),
        amount: u128,
        memo: &str,
        expiry: u64,
    ) -> Result<(TxHash, u64), SimError> {
        let input = thorchain::depositWithExpiryCall {
            vault: abi_addr(self.addr(vault)),
            asset: abi_addr([0; 20]),
            amount: uint(amount),
            memo: memo.to_string(),
            expiration: uint(u128::from(expiry)),
        }
        .abi_encode();
        let event = thorchain::Deposit {
            to: abi_addr(self.addr(vault)),
            asset: abi_addr([0; 20]),
            amount: uint(amount),
            memo: memo.to_string(),
        };
        self.thor_router_call((user, router, vault), amount, (input, GAS_BRIDGE), &event)
    }

    /// A THORChain vault pays out through the router: `transferOut(to, ETH, amount, memo)` with the
    /// ETH as the call's value (vault → router → recipient) and a `TransferOut` log. Returns the
    /// hash and the log's index.
    pub(crate) fn thor_transfer_out(
        &mut self,
        (router, vault): (u32, u32),
        to: u32,
        amount: u128,
        memo: &str,
    ) -> Result<(TxHash, u64), SimError> {
        let input = thorchain::transferOutCall {
            to: abi_addr(self.addr(to)),
            asset: abi_addr([0; 20]),
            amount: uint(amount),
            memo: memo.to_string(),
        }
        .abi_encode();
        let event = thorchain::TransferOut {
            vault: abi_addr(self.addr(vault)),
            to: abi_addr(self.addr(to)),
            asset: abi_addr([0; 20]),
            amount: uint(amount),
            memo: memo.to_string(),
        };
        self.thor_router_call(
            (vault, router, to),
            amount,
            (input, GAS_TRANSFER_OUT),
            &event,
        )
    }

    /// A retiring THORChain vault hands its ETH to its successor:
    /// `returnVaultAssets(router, newVault, [], memo)` with the ETH as value and `VaultTransfer`.
    pub(crate) fn thor_return_vault_assets(
        &mut self,
        router: u32,
        (old, new): (u32, u32),
        amount: u128,
        memo: &str,
    ) -> Result<TxHash, SimError> {
        let input = thorchain::returnVaultAssetsCall {
            router: abi_addr(self.addr(router)),
            vault: abi_addr(self.addr(new)),
            coins: Vec::new(),
            memo: memo.to_string(),
        }
        .abi_encode();
        let event = thorchain::VaultTransfer {
            oldVault: abi_addr(self.addr(old)),
            newVault: abi_addr(self.addr(new)),
            coins: Vec::new(),
            memo: memo.to_string(),
        };
        let (hash, _) = self.thor_router_call(
            (old, router, new),
            amount,
            (input, GAS_TRANSFER_OUT),
            &event,
        )?;
        Ok(hash)
    }

    /// A call from `from` to the THORChain router that forwards `amount` of ETH on to `dest` (an
    /// `Internal` router → dest) and emits `event`. Returns the hash and the event's index.
    fn thor_router_call<E: alloy_sol_types::SolEvent>(
        &mut self,
        (from, router, dest): (u32, u32, u32),
        amount: u128,
        (input, gas): (Vec<u8>, u64),
        event: &E,
    ) -> Result<(TxHash, u64), SimError> {
        let mut b = self.begin(from, router, amount, input, gas)?;
        self.trace(&mut b, router, dest, amount, Vec::new(), 2_300, vec![0]);
        self.xfer(&mut b, ETH, router, dest, amount, TransferKind::Internal)?;
        self.log(&mut b, router, event);
        let index = self.next_log_index();
        Ok((self.commit(b)?, index))
    }

    /// The bridge's warden mints BTC.b against a Bitcoin deposit: `amount` to `to` and `fee` to
    /// the fee address (two `Transfer`s from the zero address), then `Mint(…, originTxId,
    /// originOutputIndex)`. Returns the hash and the `Mint` log's index.
    pub(crate) fn btcb_mint(
        &mut self,
        (warden, fee_to): (u32, u32),
        to: u32,
        (amount, fee): (u128, u128),
        (origin_txid, origin_vout): ([u8; 32], u32),
    ) -> Result<(TxHash, u64), SimError> {
        let token = self.chain_token[BTCB];
        let input = btcb::mintCall {
            to: abi_addr(self.addr(to)),
            amount: uint(amount),
            feeAddress: abi_addr(self.addr(fee_to)),
            feeAmount: uint(fee),
            originTxId: word(origin_txid),
            originOutputIndex: uint(u128::from(origin_vout)),
        }
        .abi_encode();
        let mut b = self.begin(warden, token, 0, input, GAS_BTCB_MINT)?;
        for (recipient, units) in [(to, amount), (fee_to, fee)] {
            self.mint_to(&mut b, BTCB, recipient, units);
        }
        let event = btcb::Mint {
            to: abi_addr(self.addr(to)),
            amount: uint(amount),
            feeAddress: abi_addr(self.addr(fee_to)),
            feeAmount: uint(fee),
            originTxId: word(origin_txid),
            originOutputIndex: uint(u128::from(origin_vout)),
        };
        self.log(&mut b, token, &event);
        let index = self.next_log_index() + 2;
        Ok((self.commit(b)?, index))
    }
}
