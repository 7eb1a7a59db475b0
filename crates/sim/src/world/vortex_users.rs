//! Innocent users of Vortex Cash: how many deposit into each pool and when, and how each one
//! withdraws — most leave no trace, some link themselves (truly) and some trip the linking
//! heuristics of `reference/methods.md` §3.2 by coincidence (falsely). Every note's behaviour is
//! in the truth's mixer links; docs/sim.md lists what each behaviour triggers.

use rand::Rng;

use super::tasks::Task;
use super::vortex::{Deposited, Via};
use super::{EVM_BLOCKS_PER_DAY, World};
use crate::evm::{ETHER, GAS_TORNADO_DEPOSIT, GAS_TORNADO_WITHDRAW};
use crate::{SimConfig, SimError};

/// Innocent deposits per pool (0.1, 1, 10, 100 ETH) per day at the demo's scale — 1,050, 700,
/// 420 and 280 a week, the order of Tornado Cash's ETH pools in busy weeks. Other scales get
/// proportionally many, and every pool at least `MIN_DEPOSITS`.
pub(super) const DAILY_DEPOSITS: [u64; 4] = [150, 100, 60, 40];
const MIN_DEPOSITS: u64 = 8;
/// Share (per cent) of the episodes that start in the world's first `OPENING_BLOCKS` (two hours,
/// before the first heist), so the heists' notes join pools that already hold users' notes.
const OPENING_PCT: u32 = 10;
const OPENING_BLOCKS: u64 = 600;
/// A withdrawal's delay is log-uniform from `MIN_DELAY` blocks (10 minutes) over
/// `DELAY_DOUBLINGS` doublings (to a week): many notes outlive a 3-day world.
const MIN_DELAY: u64 = 50;
const DELAY_DOUBLINGS: u32 = 10;
/// Whales and crowds withdraw after hours (1 to 24), as the heists do, and start at least a day
/// before the world's end (when it is that long), so most of their withdrawals are seen.
const HOURS_DELAY: std::ops::Range<u64> = 300..7_200;

/// What an innocent user does with a note, and the linking heuristic it triggers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Behaviour {
    /// A relayer pays a fresh address: nothing links the note.
    Plain,
    /// Self-relayed from another funded address of the user, with that wallet's own fees:
    /// nothing links it (a gas-price heuristic that accepts common fees links it falsely).
    CarefulSelfRelay,
    /// Withdrawn to the deposit address (self-relayed or not): address match, truly.
    AddressReuse,
    /// A wallet with unusual exact fees deposits, and a second address of the same wallet
    /// (funded by an exchange) self-relays the withdrawal to itself: unique fees, truly.
    FeeFingerprint,
    /// Withdrawn to an address the depositor pays 1–4 times: linked addresses, truly.
    LinkedAddress,
    /// Withdrawn 1–20 blocks after the deposit: timing, truly.
    Quick,
    /// Withdrawn to an address that deposited an unrelated note: address match, falsely.
    RecipientDeposited,
    /// The fresh recipient later pays an unrelated depositor (once, or three times): linked
    /// addresses, falsely.
    RecipientTouchedDepositor,
    /// One address deposits a portfolio (say 3 × 10 + 2 × 1 ETH) within a day and one fresh
    /// address withdraws it within a day: multi-denomination, truly.
    MultiDenomination,
    /// Two unrelated users with the same portfolio in overlapping windows: multi-denomination,
    /// ambiguously (each withdrawal address has two candidate depositors).
    PortfolioTwin,
    /// 3–8 × 100 ETH from one address in a burst, withdrawn in a burst to one fresh address
    /// through one relayer: batch-like, as heists do, but innocent.
    Whale,
    /// 3–6 unrelated users deposit the same denomination within minutes and withdraw within
    /// minutes of each other: timing, falsely.
    Crowd,
}

impl Behaviour {
    pub(super) fn name(self) -> &'static str {
        match self {
            Behaviour::Plain => "plain",
            Behaviour::CarefulSelfRelay => "careful_self_relay",
            Behaviour::AddressReuse => "address_reuse",
            Behaviour::FeeFingerprint => "fee_fingerprint",
            Behaviour::LinkedAddress => "linked_address",
            Behaviour::Quick => "quick",
            Behaviour::RecipientDeposited => "recipient_deposited",
            Behaviour::RecipientTouchedDepositor => "recipient_touched_depositor",
            Behaviour::MultiDenomination => "multi_denomination",
            Behaviour::PortfolioTwin => "portfolio_twin",
            Behaviour::Whale => "whale",
            Behaviour::Crowd => "crowd",
        }
    }
}

/// Single-note behaviours and their weights (per cent of single-note episodes).
const SINGLES: [(Behaviour, u32); 8] = [
    (Behaviour::Plain, 55),
    (Behaviour::CarefulSelfRelay, 7),
    (Behaviour::AddressReuse, 9),
    (Behaviour::FeeFingerprint, 5),
    (Behaviour::LinkedAddress, 7),
    (Behaviour::Quick, 4),
    (Behaviour::RecipientDeposited, 6),
    (Behaviour::RecipientTouchedDepositor, 7),
];

/// Multi-denomination portfolios (pool indexes): 3 × 10 + 2 × 1 ETH, 2 × 1 + 3 × 0.1 ETH, …
const PORTFOLIOS: [&[usize]; 5] = [
    &[2, 2, 2, 1, 1],
    &[1, 1, 0, 0, 0],
    &[3, 2, 2],
    &[2, 2, 1, 1, 1, 1],
    &[1, 1, 1, 0, 0],
];

/// One user's (or, for a crowd, one member's) use of the pools.
pub(super) struct Episode {
    behaviour: Behaviour,
    /// Each note: its pool, the block of its deposit and of its withdrawal.
    notes: Vec<(usize, u64, u64)>,
    /// Chosen at the first deposit (a user who can pay for every note).
    depositor: Option<u32>,
    /// No user could pay: the episode does not happen.
    abandoned: bool,
    /// The address every withdrawal pays (chosen at the first deposit or withdrawal).
    recipient: Option<u32>,
    /// The user sends the withdrawals itself instead of a relayer.
    self_relay: bool,
    /// One relayer for every withdrawal (whales); otherwise one per withdrawal.
    relayer: Option<usize>,
}

/// The innocent users' episodes and everyone who has deposited so far.
#[derive(Default)]
pub(super) struct VortexUsers {
    episodes: Vec<Episode>,
    depositors: Vec<u32>,
}

/// Innocent deposits per pool in a world of `cfg`'s scale and length.
pub(super) fn deposit_budget(cfg: &SimConfig) -> [u64; 4] {
    DAILY_DEPOSITS.map(|daily| {
        (daily * u64::from(cfg.days) * cfg.scale / SimConfig::DEMO_SCALE).max(MIN_DEPOSITS)
    })
}

impl World<'_> {
    /// Plan every innocent episode of the world and schedule its deposits.
    pub(super) fn plan_vortex_users(&mut self) {
        let mut left: Vec<i64> = deposit_budget(&self.cfg)
            .iter()
            .map(|&n| n as i64)
            .collect();
        let total: i64 = left.iter().sum();
        for _ in 0..(left[3] / 24).max(1) {
            let start = self.early_start();
            let k = self.rng.random_range(3..=8);
            let deposits = self.burst(start, k, 5);
            let first_out = deposits[k - 1] + self.rng.random_range(HOURS_DELAY);
            let withdrawals = self.burst(first_out, k, 10);
            let relayer = Some(self.popular_relayer());
            let notes = (0..k).map(|i| (3, deposits[i], withdrawals[i])).collect();
            self.add_episode(Behaviour::Whale, notes, false, relayer);
            left[3] -= k as i64;
        }
        for _ in 0..(total / 60).max(1) {
            let notes = self.portfolio_notes(None);
            for &(pool, _, _) in &notes {
                left[pool] -= 1;
            }
            self.add_episode(Behaviour::MultiDenomination, notes, false, None);
        }
        for _ in 0..(total / 300).max(1) {
            let notes = self.portfolio_notes(None);
            let twin = self.portfolio_notes(Some(&notes));
            for &(pool, _, _) in notes.iter().chain(&twin) {
                left[pool] -= 1;
            }
            self.add_episode(Behaviour::PortfolioTwin, notes, false, None);
            self.add_episode(Behaviour::PortfolioTwin, twin, false, None);
        }
        for _ in 0..(total / 60).max(1) {
            let Some(pool) = self.pool_by_budget(&left) else {
                break;
            };
            let deposit = self.early_start();
            let withdrawal = deposit + self.rng.random_range(HOURS_DELAY);
            for _ in 0..self.rng.random_range(3..=6) {
                let d = deposit + self.rng.random_range(0..10);
                let w = withdrawal + self.rng.random_range(0..10);
                self.add_episode(Behaviour::Crowd, vec![(pool, d, w)], false, None);
                left[pool] -= 1;
            }
        }
        while let Some(pool) = self.pool_by_budget(&left) {
            let behaviour = self.single_behaviour();
            let deposit = self.episode_start();
            let withdrawal = deposit
                + match behaviour {
                    Behaviour::Quick => self.rng.random_range(1..=20),
                    _ => self.delay(),
                };
            let self_relay = match behaviour {
                Behaviour::CarefulSelfRelay | Behaviour::FeeFingerprint => true,
                Behaviour::AddressReuse | Behaviour::LinkedAddress => self.rng.random_bool(0.5),
                _ => false,
            };
            self.add_episode(
                behaviour,
                vec![(pool, deposit, withdrawal)],
                self_relay,
                None,
            );
            left[pool] -= 1;
        }
    }

    fn add_episode(
        &mut self,
        behaviour: Behaviour,
        notes: Vec<(usize, u64, u64)>,
        self_relay: bool,
        relayer: Option<usize>,
    ) {
        let episode = self.vortex_users.episodes.len();
        for (note, &(_, deposit, _)) in notes.iter().enumerate() {
            self.tasks
                .entry(deposit)
                .or_default()
                .push(Task::VortexUserDeposit { episode, note });
        }
        self.vortex_users.episodes.push(Episode {
            behaviour,
            notes,
            depositor: None,
            abandoned: false,
            recipient: None,
            self_relay,
            relayer,
        });
    }

    /// The block an episode starts: in the opening hours or anywhere in the world.
    fn episode_start(&mut self) -> u64 {
        let end = if self.rng.random_range(0..100) < OPENING_PCT {
            OPENING_BLOCKS.min(self.n_blocks)
        } else {
            self.n_blocks
        };
        self.rng.random_range(2..end.max(3))
    }

    /// The block a whale or crowd starts: at least a day before the end when the world is longer.
    fn early_start(&mut self) -> u64 {
        let end = self.n_blocks.saturating_sub(EVM_BLOCKS_PER_DAY).max(3);
        self.rng.random_range(2..end)
    }

    /// A deposit-to-withdrawal delay in blocks.
    fn delay(&mut self) -> u64 {
        let low = MIN_DELAY << self.rng.random_range(0..DELAY_DOUBLINGS);
        self.rng.random_range(low..2 * low)
    }

    /// `k` blocks from `start`, each 1 to `gap` blocks after the one before.
    fn burst(&mut self, start: u64, k: usize, gap: u64) -> Vec<u64> {
        let mut at = start;
        (0..k)
            .map(|_| {
                at += self.rng.random_range(1..=gap);
                at
            })
            .collect()
    }

    /// A portfolio's notes: deposits spread over up to 20 hours, withdrawals over up to 20 hours
    /// after a delay. A twin copies `like`'s pools and shifts its times by up to half an hour.
    fn portfolio_notes(&mut self, like: Option<&[(usize, u64, u64)]>) -> Vec<(usize, u64, u64)> {
        if let Some(like) = like {
            return like
                .iter()
                .map(|&(pool, d, w)| {
                    let shift = self.rng.random_range(0..150);
                    (pool, d + shift, w + shift)
                })
                .collect();
        }
        let pools = PORTFOLIOS[self.rng.random_range(0..PORTFOLIOS.len())];
        let start = self.episode_start();
        let deposit_window = self.rng.random_range(300..6_000);
        let out_start = start + deposit_window + self.delay();
        let withdraw_window = self.rng.random_range(300..6_000);
        let mut deposits: Vec<u64> = pools
            .iter()
            .map(|_| start + self.rng.random_range(0..deposit_window))
            .collect();
        let mut withdrawals: Vec<u64> = pools
            .iter()
            .map(|_| out_start + self.rng.random_range(0..withdraw_window))
            .collect();
        deposits.sort_unstable();
        withdrawals.sort_unstable();
        pools
            .iter()
            .zip(deposits)
            .zip(withdrawals)
            .map(|((&pool, d), w)| (pool, d, w))
            .collect()
    }

    /// A pool drawn in proportion to the deposits it still lacks; `None` when none lacks any.
    fn pool_by_budget(&mut self, left: &[i64]) -> Option<usize> {
        let total: i64 = left.iter().filter(|&&n| n > 0).sum();
        if total <= 0 {
            return None;
        }
        let mut roll = self.rng.random_range(0..total);
        left.iter().position(|&n| {
            let n = n.max(0);
            if roll < n {
                return true;
            }
            roll -= n;
            false
        })
    }

    fn single_behaviour(&mut self) -> Behaviour {
        let mut roll = self
            .rng
            .random_range(0..SINGLES.iter().map(|s| s.1).sum::<u32>());
        for (behaviour, weight) in SINGLES {
            if roll < weight {
                return behaviour;
            }
            roll -= weight;
        }
        Behaviour::Plain
    }

    /// Note `note` of episode `e` is deposited (the first deposit picks the depositor) and its
    /// withdrawal is scheduled.
    pub(super) fn vortex_user_deposit(
        &mut self,
        b: u64,
        e: usize,
        note: usize,
    ) -> Result<(), SimError> {
        if self.vortex_users.episodes[e].abandoned {
            return Ok(());
        }
        let depositor = match self.vortex_users.episodes[e].depositor {
            Some(d) => d,
            None => match self.choose_depositor(b, e) {
                Some(d) => d,
                None => {
                    self.vortex_users.episodes[e].abandoned = true;
                    return Ok(());
                }
            },
        };
        let episode = &self.vortex_users.episodes[e];
        let (pool, _, withdraw_at) = episode.notes[note];
        let behaviour = episode.behaviour.name();
        let Some(d) = self.vortex_deposit(depositor, pool, behaviour, None)? else {
            return Ok(());
        };
        self.vortex_users.depositors.push(depositor);
        self.tasks
            .entry(withdraw_at.max(b + 1))
            .or_default()
            .push(Task::VortexUserWithdraw {
                episode: e,
                deposited: d,
            });
        Ok(())
    }

    /// A user who can pay for all of episode `e`'s notes (a wallet with unusual fees for a
    /// fee-fingerprint episode), and what the episode does before its withdrawals: a second
    /// address of the wallet (fee fingerprint: funded by an exchange before the withdrawal) or
    /// an address the depositor pays (linked addresses). `None` when no user can pay.
    fn choose_depositor(&mut self, b: u64, e: usize) -> Option<u32> {
        let episode = &self.vortex_users.episodes[e];
        let behaviour = episode.behaviour;
        let first_out = episode.notes.iter().map(|n| n.2).min().unwrap_or(b);
        let need: u128 = episode
            .notes
            .iter()
            .map(|&(pool, _, _)| self.evm.pools[pool].denomination)
            .sum::<u128>()
            + ETHER;
        let n_notes = episode.notes.len() as u64;
        let candidates: Vec<u32> = (0..60).map(|_| self.pick_user()).collect();
        let depositor = candidates.into_iter().find(|&u| {
            let fees_ok = behaviour != Behaviour::FeeFingerprint || self.evm.fees(u).is_unusual();
            fees_ok && self.evm.can_pay(u, need, GAS_TORNADO_DEPOSIT * n_notes)
        })?;
        self.vortex_users.episodes[e].depositor = Some(depositor);
        match behaviour {
            Behaviour::FeeFingerprint => {
                let own = self.own_acct(depositor);
                self.vortex_users.episodes[e].recipient = Some(own);
                let x = self.rng.random_range(0..self.exchanges.len());
                let amount = self.rng.random_range(3..=20u128) * ETHER / 100;
                let at = first_out.saturating_sub(self.rng.random_range(20..600));
                self.tasks
                    .entry(at.max(b + 1))
                    .or_default()
                    .push(Task::Pay {
                        from: self.exchanges[x].hot,
                        to: own,
                        amount,
                    });
            }
            Behaviour::LinkedAddress => {
                let own = self.own_acct(depositor);
                self.vortex_users.episodes[e].recipient = Some(own);
                for _ in 0..self.rng.random_range(1..=4) {
                    let at = self.rng.random_range(b + 1..first_out.max(b + 2));
                    let amount = self.rng.random_range(1..=50u128) * ETHER / 100;
                    self.tasks.entry(at).or_default().push(Task::Pay {
                        from: depositor,
                        to: own,
                        amount,
                    });
                }
            }
            _ => {}
        }
        Some(depositor)
    }

    /// Withdraw note `d` of episode `e` (the first withdrawal picks the recipient).
    pub(super) fn vortex_user_withdraw(
        &mut self,
        b: u64,
        e: usize,
        d: &Deposited,
    ) -> Result<(), SimError> {
        let recipient = match self.vortex_users.episodes[e].recipient {
            Some(r) => r,
            None => {
                let r = self.choose_recipient(e);
                self.vortex_users.episodes[e].recipient = Some(r);
                r
            }
        };
        let episode = &self.vortex_users.episodes[e];
        let (behaviour, depositor) = (episode.behaviour, episode.depositor.unwrap_or(recipient));
        let via = match (episode.self_relay, episode.relayer) {
            (true, _) if behaviour == Behaviour::AddressReuse => Via::Sender(depositor),
            (true, _) => Via::Sender(recipient),
            (false, Some(r)) => Via::Relayer(r),
            (false, None) => Via::Relayer(self.popular_relayer()),
        };
        self.vortex_withdraw(None, d, recipient, via)?;
        if behaviour == Behaviour::RecipientTouchedDepositor {
            let times = if self.rng.random_bool(0.25) { 3 } else { 1 };
            if let Some(other) = self.other_depositor(&[depositor, recipient]) {
                for _ in 0..times {
                    let at = b + self.rng.random_range(10..2_000);
                    let amount = self.rng.random_range(1..=30u128) * ETHER / 100;
                    self.tasks.entry(at).or_default().push(Task::Pay {
                        from: recipient,
                        to: other,
                        amount,
                    });
                }
            }
        }
        Ok(())
    }

    /// The recipient of episode `e`'s withdrawals: its depositor (address reuse), another funded
    /// address of the user (careful self-relay), an unrelated depositor, or a fresh address.
    fn choose_recipient(&mut self, e: usize) -> u32 {
        let episode = &self.vortex_users.episodes[e];
        let (behaviour, depositor) = (episode.behaviour, episode.depositor);
        let chosen = match behaviour {
            Behaviour::AddressReuse => depositor,
            Behaviour::CarefulSelfRelay => {
                let candidates: Vec<u32> = (0..30).map(|_| self.pick_user()).collect();
                candidates.into_iter().find(|&u| {
                    Some(u) != depositor && self.evm.can_pay(u, ETHER / 100, GAS_TORNADO_WITHDRAW)
                })
            }
            Behaviour::RecipientDeposited => self.other_depositor(&[depositor.unwrap_or(u32::MAX)]),
            _ => None,
        };
        chosen.unwrap_or_else(|| {
            let fresh = self.user_acct();
            self.users.push(fresh);
            // A fresh address of the depositor's own (its fees are a new wallet's: the user
            // keeps them apart on purpose).
            if let Some(depositor) = depositor {
                self.evm_wallet[fresh as usize] = self.evm_wallet[depositor as usize];
            }
            fresh
        })
    }

    /// An earlier innocent depositor other than `not`.
    fn other_depositor(&mut self, not: &[u32]) -> Option<u32> {
        let depositors = &self.vortex_users.depositors;
        if depositors.is_empty() {
            return None;
        }
        (0..20)
            .map(|_| depositors[self.rng.random_range(0..depositors.len())])
            .find(|d| !not.contains(d))
    }
}
