//! Work scheduled for later blocks on either chain (heist steps, mixer withdrawals and payouts,
//! bridge payouts) and its dispatch.

use chaintrail_core::Address;

use super::World;
use super::blendery::BlenderyPayout;
use super::heist_btc::PeelHop;
use super::heists::CleanArrival;
use super::vortex::Deposited;
use crate::SimError;
use crate::evm::GAS_TRANSFER;

pub(super) enum Task {
    Exploit {
        h: usize,
        eth: u128,
        usdc: u128,
        stk: u128,
    },
    Swap {
        h: usize,
        acct: u32,
        token: usize,
    },
    FanOut {
        h: usize,
        from: u32,
        to: Vec<u32>,
    },
    Freeze {
        acct: u32,
    },
    Send {
        h: usize,
        acct: u32,
        to: u32,
        asset: usize,
    },
    /// A heist's fan-out wallet funds fresh depositor wallets.
    HeistDepositors {
        h: usize,
        from: u32,
    },
    /// A heist's depositor wallet makes its next 100-ETH deposit.
    Deposits {
        h: usize,
        acct: u32,
    },
    /// A heist's recipient withdraws its share of the notes, then does `onward`.
    HeistSession {
        h: usize,
        recipient: u32,
        onward: Vec<Task>,
    },
    HeistWithdraw {
        h: usize,
        deposited: Deposited,
        recipient: u32,
        relayer: usize,
    },
    /// Note `note` of innocent episode `episode` is deposited.
    VortexUserDeposit {
        episode: usize,
        note: usize,
    },
    VortexUserWithdraw {
        episode: usize,
        deposited: Deposited,
    },
    /// A plain ETH payment (skipped when `from` cannot pay): users' payments that link
    /// addresses, an exchange withdrawal.
    Pay {
        from: u32,
        to: u32,
        amount: u128,
    },
    Bridge {
        h: usize,
        acct: u32,
        chunks: u32,
        onward: Onward,
    },
    Clean(CleanArrival),
    /// A thief account pays another one's gas.
    Fund {
        h: usize,
        from: u32,
        to: u32,
        amount: u128,
    },
    /// A THORChain vault pays part `part` of swap `swap` (or its refund) on the EVM chain.
    ThorOut {
        swap: usize,
        part: usize,
    },
    /// The BTC.b bridge mints against deposit `deposit`.
    BtcbMint {
        deposit: usize,
    },
    /// THORChain churns: new vaults on both chains, the old EVM vault hands over its ETH.
    RotateVaults,
}

/// What a heist does with BTC it receives from the bridge.
#[derive(Clone, Copy)]
pub(super) enum Onward {
    Mixer,
    Peel,
}

pub(super) enum BTask {
    MixerPayout(BlenderyPayout),
    /// A user deposits `amount` (just withdrawn from an exchange) into Blendery.
    LargeMixerDeposit {
        w: usize,
        amount: u64,
    },
    Peel(PeelHop),
    MixerDeposit {
        h: usize,
        w: usize,
        at: Address,
    },
    Service {
        h: usize,
        w: usize,
        at: Address,
    },
    /// A THORChain vault pays part `part` of swap `swap` (or its refund) on Bitcoin.
    ThorOut {
        swap: usize,
        part: usize,
    },
    /// The retired Bitcoin vault migrates its coins to the new one.
    MigrateBtcVault,
}

impl World<'_> {
    pub(super) fn run_task(&mut self, b: u64, task: Task) -> Result<(), SimError> {
        let deadline = self.evm.block.timestamp + 1_200;
        match task {
            Task::Exploit { h, eth, usdc, stk } => self.exploit(b, h, (eth, usdc, stk))?,
            Task::Swap { h, acct, token } => self.heist_swap(h, acct, token, deadline)?,
            Task::FanOut { h, from, to } => self.fan_out(h, from, to)?,
            Task::Freeze { acct } => {
                self.evm.freeze(acct)?;
            }
            Task::Send { h, acct, to, asset } => self.send_all(h, (acct, to), asset)?,
            Task::HeistDepositors { h, from } => self.heist_depositors(b, h, from)?,
            Task::Deposits { h, acct } => self.heist_deposit(b, h, acct)?,
            Task::HeistSession {
                h,
                recipient,
                onward,
            } => self.heist_session(b, h, recipient, onward)?,
            Task::HeistWithdraw {
                h,
                deposited,
                recipient,
                relayer,
            } => self.heist_withdraw(h, &deposited, recipient, relayer)?,
            Task::VortexUserDeposit { episode, note } => {
                self.vortex_user_deposit(b, episode, note)?;
            }
            Task::VortexUserWithdraw { episode, deposited } => {
                self.vortex_user_withdraw(b, episode, &deposited)?;
            }
            Task::Pay { from, to, amount } => {
                if self.evm.can_pay(from, amount, GAS_TRANSFER) {
                    self.evm.eth_transfer(from, to, amount)?;
                }
            }
            Task::Bridge {
                h,
                acct,
                chunks,
                onward,
            } => self.heist_bridge(b, (h, acct), chunks, onward)?,
            Task::Fund {
                h,
                from,
                to,
                amount,
            } => self.fund(h, (from, to), amount)?,
            Task::ThorOut { swap, part } => self.thor_pay_evm(swap, part)?,
            Task::BtcbMint { deposit } => self.btcb_mint(deposit)?,
            Task::RotateVaults => self.thor_rotate()?,
            Task::Clean(c) => self.clean_arrival(c)?,
        }
        Ok(())
    }

    pub(super) fn run_btask(&mut self, height: u64, t: BTask) -> Result<(), SimError> {
        match t {
            BTask::MixerPayout(payout) => {
                self.blendery_payout_due(payout);
                Ok(())
            }
            BTask::LargeMixerDeposit { w, amount } => self.blendery_user_deposit(w, amount, height),
            BTask::MixerDeposit { h, w, at } => self.heist_mixer_deposit(height, h, w, at),
            BTask::Service { h, w, at } => self.heist_to_service(h, w, at),
            BTask::ThorOut { swap, part } => self.thor_pay_btc(swap, part),
            BTask::MigrateBtcVault => self.thor_migrate_btc_vault(),
            BTask::Peel(hop) => self.peel_hop(height, hop),
        }
    }
}
