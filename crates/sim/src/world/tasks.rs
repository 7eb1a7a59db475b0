//! Work scheduled for later blocks on either chain (heist steps, mixer withdrawals and payouts,
//! bridge payouts) and its dispatch.

use chaintrail_core::Address;

use super::World;
use super::blendery::BlenderyPayout;
use super::heist_btc::PeelHop;
use super::heists::CleanArrival;
use crate::SimError;
use crate::evm::Note;

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
    Deposits {
        h: usize,
        acct: u32,
        recipients: Vec<u32>,
        then: Vec<Task>,
    },
    Withdraw {
        h: Option<usize>,
        note: Note,
        recipient: u32,
        relayer: Option<u32>,
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
        let p = self.prio();
        let deadline = self.evm.block.timestamp + 1_200;
        match task {
            Task::Exploit { h, eth, usdc, stk } => self.exploit(b, h, (eth, usdc, stk), p)?,
            Task::Swap { h, acct, token } => self.heist_swap(h, acct, token, deadline, p)?,
            Task::FanOut { h, from, to } => self.fan_out(h, from, to, p)?,
            Task::Freeze { acct } => {
                self.evm.freeze(acct, p)?;
            }
            Task::Send { h, acct, to, asset } => self.send_all(h, (acct, to), asset, p)?,
            Task::Deposits {
                h,
                acct,
                recipients,
                then,
            } => self.heist_deposits(b, (h, acct), recipients, then, p)?,
            Task::Withdraw {
                h,
                note,
                recipient,
                relayer,
            } => self.vortex_withdraw(h, note, (recipient, relayer), p)?,
            Task::Bridge {
                h,
                acct,
                chunks,
                onward,
            } => self.heist_bridge(b, (h, acct), chunks, onward, p)?,
            Task::Fund {
                h,
                from,
                to,
                amount,
            } => self.fund(h, (from, to), amount, p)?,
            Task::ThorOut { swap, part } => self.thor_pay_evm(swap, part, p)?,
            Task::BtcbMint { deposit } => self.btcb_mint(deposit, p)?,
            Task::RotateVaults => self.thor_rotate(p)?,
            Task::Clean(c) => self.clean_arrival(c, p)?,
        }
        Ok(())
    }

    pub(super) fn run_btask(&mut self, height: u64, t: BTask) -> Result<(), SimError> {
        match t {
            BTask::MixerPayout(payout) => self.blendery_payout(height, payout),
            BTask::MixerDeposit { h, w, at } => self.heist_mixer_deposit(height, h, w, at),
            BTask::Service { h, w, at } => self.heist_to_service(h, w, at),
            BTask::ThorOut { swap, part } => self.thor_pay_btc(swap, part),
            BTask::MigrateBtcVault => self.thor_migrate_btc_vault(),
            BTask::Peel(hop) => self.peel_hop(height, hop),
        }
    }
}
