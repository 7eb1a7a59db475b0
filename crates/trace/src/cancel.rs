//! Cooperative cancellation: a flag the caller raises to stop a trace or a screening early, for
//! example when the HTTP request that asked for it timed out. The work checks the flag in its
//! event loop and gives up with an error; nothing it half-computed is returned.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A shareable cancellation flag; clones raise and read the same flag.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A flag not raised.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Ask the work to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether the flag was raised.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// A guard that raises the flag when dropped: ties the work to whoever waits for it (a
    /// future dropped on timeout or disconnect cancels the work behind it).
    pub fn on_drop(&self) -> CancelOnDrop {
        CancelOnDrop(self.clone())
    }
}

/// Raises its [`Cancel`] when dropped.
#[derive(Debug)]
pub struct CancelOnDrop(Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_flag_and_the_guard_raises_it() {
        let cancel = Cancel::new();
        let seen_by_worker = cancel.clone();
        assert!(!seen_by_worker.is_cancelled());
        drop(cancel.on_drop());
        assert!(seen_by_worker.is_cancelled());
    }
}
