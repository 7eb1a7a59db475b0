//! Wallet habits that address clustering meets on mainnet, so that scoring it against the
//! wallet truth means something: Bitcoin users who receive every payment at one address, users
//! who consolidate their own coins or pay themselves, EVM users with a second EOA that pays into
//! the same exchange deposit addresses. Every choice here is drawn from the world's `habits`
//! generator, which nothing else draws from.

use chaintrail_core::Address;
use rand::Rng;

use super::World;
use crate::SimError;
use crate::btc::{Change, Select};

/// Share of Bitcoin users who receive every payment at one address.
const RECEIVE_REUSE_SHARE: f64 = 0.15;
/// Chance that a background Bitcoin step is a user paying itself.
const SELF_PAYMENT_CHANCE: f64 = 0.04;
/// Share of the first EVM users who also use a second EOA of their own.
const SECOND_EOA_SHARE: f64 = 0.10;
/// Chance that a housekeeping round (every 6 Bitcoin blocks) also runs a Wasabi 2.0 round.
pub(super) const WASABI2_CHANCE: f64 = 0.5;

impl World<'_> {
    /// Choose the Bitcoin users who receive at one address (before the premine pays them).
    pub(super) fn choose_address_reusers(&mut self) {
        for i in 0..self.b_users.len() {
            if self.habits.random_bool(RECEIVE_REUSE_SHARE) {
                self.btc_home.insert(self.b_users[i], None);
            }
        }
    }

    /// The address wallet `w` gives a payer: its one address if it reuses one, else a fresh
    /// one.
    pub(super) fn breceive(&mut self, w: usize) -> Address {
        match self.btc_home.get(&w) {
            Some(Some(home)) => home.clone(),
            Some(None) => {
                let home = self.bfresh(w);
                self.btc_home.insert(w, Some(home.clone()));
                home
            }
            None => self.bfresh(w),
        }
    }

    /// Whether this background Bitcoin step is a payment to self.
    pub(super) fn pays_itself(&mut self) -> bool {
        self.habits.random_bool(SELF_PAYMENT_CHANCE)
    }

    /// User `u` pays itself: consolidates all its coins into a fresh address of its own when it
    /// holds three or more, else moves part of its coins to a fresh address of its own with the
    /// change to another.
    pub(super) fn self_payment(&mut self, u: usize) -> Result<(), SimError> {
        let to = self.bfresh(u);
        if self.btc.wallets[u].utxos.len() >= 3 {
            self.btc.sweep(u, u, to)?;
        } else {
            let amount = self.btc.balance(u) / 100 * self.habits.random_range(10..60);
            self.btc.pay(
                &mut self.habits,
                u,
                Select::Random,
                vec![(u, to, amount)],
                None,
                Change::Fresh,
            )?;
        }
        Ok(())
    }

    /// Give some of the first EVM users a second EOA of their own (same wallet, same fees,
    /// no ether until it buys some), which acts like any user and pays into the first one's
    /// exchange deposit addresses.
    pub(super) fn add_second_eoas(&mut self) {
        let first_users = self.users.len();
        for i in 0..first_users {
            if self.habits.random_bool(SECOND_EOA_SHARE) {
                let first = self.users[i];
                let second = self.own_acct(first);
                self.users.push(second);
                self.evm_primary.insert(second, first);
            }
        }
    }

    /// The EOA whose exchange deposit addresses `acct` pays into: its user's first EOA.
    pub(super) fn deposit_owner(&self, acct: u32) -> u32 {
        self.evm_primary.get(&acct).copied().unwrap_or(acct)
    }
}
