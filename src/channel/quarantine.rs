//! Poison input never blocks others. Text from a channel is made storable at the boundary ([`storable`]);
//! an update that still cannot be stored is tried again a bounded number of times ([`Tries`]) and then
//! parked by the caller, so the channel moves on to everyone else's updates.

use std::collections::HashMap;
use std::sync::Mutex;

/// `text` as PostgreSQL can store it: U+0000 removed (text and jsonb refuse it, and no one types it on
/// purpose); every other character kept exactly.
pub fn storable(text: &str) -> String {
    text.replace('\0', "")
}

/// Failed tries at storing updates the database does not have yet (so they cannot be counted there).
/// Only failing updates are held, and each is forgotten once stored or parked.
pub struct Tries {
    max: u32,
    failures: Mutex<HashMap<i64, u32>>,
}

impl Tries {
    pub fn new(max: u32) -> Self {
        Self {
            max: max.max(1),
            failures: Mutex::default(),
        }
    }

    /// Counts a failed try at update `id`; returns the tries so far and whether it has had them all.
    pub fn failed(&self, id: i64) -> (u32, bool) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let tries = failures.entry(id).or_default();
        *tries += 1;
        (*tries, *tries >= self.max)
    }

    /// Forgets updates `ids` (stored or parked): one lock, and nothing to do in the usual case of no
    /// failures at all (this runs for every stored batch).
    pub fn forget(&self, ids: &[i64]) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.is_empty() {
            return;
        }
        for id in ids {
            failures.remove(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_nul_is_removed() {
        assert_eq!(storable("a\0b\u{7}\u{202e}😀 "), "ab\u{7}\u{202e}😀 ");
        assert_eq!(storable("\0"), "");
    }

    #[test]
    fn an_update_is_given_up_after_its_tries() {
        let tries = Tries::new(3);
        assert_eq!(tries.failed(7), (1, false));
        assert_eq!(tries.failed(7), (2, false));
        assert_eq!(tries.failed(8), (1, false));
        assert_eq!(tries.failed(7), (3, true));
        tries.forget(&[7]);
        assert_eq!(tries.failed(7), (1, false));
    }
}
