//! The heists' use of Vortex Cash, as DPRK used Tornado Cash after the Ronin and Harmony thefts
//! (`reference/methods.md` §5): each fan-out wallet funds many fresh depositor wallets with
//! several notes' worth; each depositor makes its 100-ETH deposits in a burst; hours to days
//! later fresh recipient addresses each withdraw several notes in one session through the
//! heist's one or two favoured relayers, then move on (to exchanges, the bridge). Sessions that
//! would fall after the world's end leave their notes in the pool.

use std::ops::RangeInclusive;

use rand::Rng;

use super::World;
use super::tasks::Task;
use super::vortex::{Deposited, Via};
use crate::SimError;
use crate::evm::{ETH, ETHER, GAS_TORNADO_DEPOSIT, GAS_TRANSFER};
use crate::truth::*;

/// The 100-ETH pool.
const POOL: usize = 3;
/// Notes a fresh depositor wallet is funded for.
const NOTES_PER_DEPOSITOR: RangeInclusive<u128> = 5..=15;
/// Gas money a depositor gets per note: a deposit's gas at 47 gwei, above the most the
/// simulated chain charges.
const GAS_PER_NOTE: u128 = ETHER / 20;
/// Blocks from the first funding of depositors to the first session (two hours), and the
/// youngest note a session withdraws (an hour old).
const FIRST_SESSION: u64 = 600;
const MIN_NOTE_AGE: u64 = 300;
/// Share (per cent) of the sessions planned within the world; the others would fall after its
/// end.
const SESSIONS_WITHIN_PCT: u64 = 92;
/// How often a heist uses its first favoured relayer (per cent); the second gets the rest.
const FIRST_RELAYER_PCT: u32 = 80;

/// A heist's notes in the pool and its withdrawal sessions.
#[derive(Default)]
pub(super) struct HeistMixing {
    /// Deposited notes not yet taken by a session.
    notes: Vec<Deposited>,
    /// Sessions not yet held.
    sessions_left: usize,
    /// Favoured relayers (indexes), the first one most used.
    relayers: Vec<usize>,
}

impl World<'_> {
    /// Heist `h` mixes through Vortex: fan-out wallets `ws` fund depositors from block `fund_at`
    /// on (one wallet after the other), and each recipient holds one session, then does what
    /// its tasks say. `relayers` favoured relayers: one or two.
    pub(super) fn plan_heist_mixing(
        &mut self,
        h: usize,
        fund_at: u64,
        (ws, relayers): (Vec<u32>, usize),
        recipients: Vec<(u32, Vec<Task>)>,
    ) {
        let mut favoured = Vec::new();
        while favoured.len() < relayers.min(self.relayers.len()) {
            let r = self.rng.random_range(0..self.relayers.len());
            if !favoured.contains(&r) {
                favoured.push(r);
            }
        }
        let mut at = fund_at;
        for from in ws {
            self.tasks
                .entry(at)
                .or_default()
                .push(Task::HeistDepositors { h, from });
            at += self.rng.random_range(5..60);
        }
        let first = fund_at + FIRST_SESSION;
        let span = (self.n_blocks.saturating_sub(first) * 100 / SESSIONS_WITHIN_PCT).max(1);
        let mixing = &mut self.heists[h].mixing;
        mixing.relayers = favoured;
        mixing.sessions_left = recipients.len();
        for (recipient, onward) in recipients {
            let due = first + self.rng.random_range(0..span);
            self.tasks.entry(due).or_default().push(Task::HeistSession {
                h,
                recipient,
                onward,
            });
        }
    }

    /// Fan-out wallet `from` funds fresh depositor wallets, several notes' worth each (the last
    /// one takes what is left), and schedules each one's burst within the next eight hours.
    pub(super) fn heist_depositors(&mut self, b: u64, h: usize, from: u32) -> Result<(), SimError> {
        let unit = self.evm.pools[POOL].denomination + GAS_PER_NOTE;
        loop {
            let gas = self.evm.fee(from, GAS_TRANSFER);
            let affordable = self.evm.bal(from, ETH).saturating_sub(gas) / unit;
            if affordable == 0 {
                return Ok(());
            }
            let mut notes = self.rng.random_range(NOTES_PER_DEPOSITOR).min(affordable);
            if affordable - notes < *NOTES_PER_DEPOSITOR.start() {
                notes = affordable;
            }
            let depositor = self.thief_acct(h);
            self.thief_send(h, from, depositor, ETH, notes * unit)?;
            let start = b + self.rng.random_range(5..2_400);
            self.tasks
                .entry(start)
                .or_default()
                .push(Task::Deposits { h, acct: depositor });
        }
    }

    /// A depositor wallet's next 100-ETH deposit; the next one follows 1–3 blocks later, until
    /// the wallet's ETH is spent.
    pub(super) fn heist_deposit(&mut self, b: u64, h: usize, acct: u32) -> Result<(), SimError> {
        let Some(d) = self.vortex_deposit(acct, POOL, "heist", Some(h))? else {
            return Ok(());
        };
        self.gas(h, acct, GAS_TORNADO_DEPOSIT)?;
        let denom = self.evm.pools[POOL].denomination;
        let lots =
            self.heists[h]
                .ledger
                .mv(&Place::Evm(acct), Place::Pool(POOL), SimAsset::Eth, denom)?;
        self.note_stolen.insert(d.note.deposit_tx, stolen_of(&lots));
        self.heists[h].mixing.notes.push(d);
        let next = b + self.rng.random_range(1..=3);
        self.tasks
            .entry(next)
            .or_default()
            .push(Task::Deposits { h, acct });
        Ok(())
    }

    /// A recipient's session: it withdraws its share of the heist's notes that are at least an
    /// hour old (the notes left divided by the sessions left), one every 1–4 blocks, through the
    /// favoured relayers; 30–300 blocks after the last one it moves on.
    pub(super) fn heist_session(
        &mut self,
        b: u64,
        h: usize,
        recipient: u32,
        onward: Vec<Task>,
    ) -> Result<(), SimError> {
        let mixing = &mut self.heists[h].mixing;
        let share = mixing.notes.len().div_ceil(mixing.sessions_left.max(1));
        mixing.sessions_left = mixing.sessions_left.saturating_sub(1);
        // Notes are kept in deposit order, so the old enough ones come first.
        let mut eligible = mixing
            .notes
            .partition_point(|d| d.block + MIN_NOTE_AGE <= b);
        let mut taken = Vec::with_capacity(share.min(eligible));
        while taken.len() < share && eligible > 0 {
            let k = self.rng.random_range(0..eligible);
            taken.push(self.heists[h].mixing.notes.remove(k));
            eligible -= 1;
        }
        let mixing = &self.heists[h].mixing;
        let relayers = mixing.relayers.clone();
        let mut at = b;
        for deposited in taken {
            at += self.rng.random_range(1..=4);
            let relayer = match relayers.as_slice() {
                [first, second, ..] => {
                    if self.rng.random_range(0..100) < FIRST_RELAYER_PCT {
                        *first
                    } else {
                        *second
                    }
                }
                [only] => *only,
                [] => self.popular_relayer(),
            };
            self.tasks.entry(at).or_default().push(Task::HeistWithdraw {
                h,
                deposited,
                recipient,
                relayer,
            });
        }
        let then = at + self.rng.random_range(30..300);
        self.tasks.entry(then).or_default().extend(onward);
        Ok(())
    }

    /// A heist's note is withdrawn to its session's recipient.
    pub(super) fn heist_withdraw(
        &mut self,
        h: usize,
        d: &Deposited,
        recipient: u32,
        relayer: usize,
    ) -> Result<(), SimError> {
        self.vortex_withdraw(Some(h), d, recipient, Via::Relayer(relayer))
    }
}
