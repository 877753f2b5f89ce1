//! Send-side rate limits: at most N messages per second overall and one message per interval in any chat
//! (Telegram's published limits are 30/s and 1/s per chat). Senders ask which chats are held back before
//! claiming work, then wait for their slot.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// The limits; tests lower them to run quickly, operators may lower them further.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_second: u32,
    pub per_chat_interval: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_second: 30,
            per_chat_interval: Duration::from_secs(1),
        }
    }
}

struct Slots {
    next_global: Instant,
    last_in_chat: HashMap<i64, Instant>,
}

/// A limiter shared by every sender of the process.
pub struct Throttle {
    limits: Limits,
    slots: Mutex<Slots>,
}

impl Throttle {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            slots: Mutex::new(Slots {
                next_global: Instant::now(),
                last_in_chat: HashMap::new(),
            }),
        }
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Chats that would have to wait for their next message; claiming work for others keeps senders busy.
    pub fn busy_chats(&self) -> Vec<i64> {
        let now = Instant::now();
        let interval = self.limits.per_chat_interval;
        let mut slots = self.slots();
        slots.last_in_chat.retain(|_, last| *last + interval > now);
        slots.last_in_chat.keys().copied().collect()
    }

    /// Waits for a slot under the overall limit.
    pub async fn acquire_global(&self) {
        let at = {
            let mut slots = self.slots();
            let at = Instant::now().max(slots.next_global);
            slots.next_global = at + Duration::from_secs(1) / self.limits.per_second.max(1);
            at
        };
        tokio::time::sleep_until(at).await;
    }

    /// Waits until `chat_id` may receive its next message (after [`Self::acquire_global`]), and books it.
    pub async fn acquire_chat(&self, chat_id: i64) {
        let at = {
            let mut slots = self.slots();
            let now = Instant::now();
            let at = slots
                .last_in_chat
                .get(&chat_id)
                .map(|last| *last + self.limits.per_chat_interval)
                .unwrap_or(now)
                .max(now);
            slots.last_in_chat.insert(chat_id, at);
            at
        };
        tokio::time::sleep_until(at).await;
    }

    /// Waits until a message to `chat_id` may go out under both limits, and books that moment.
    pub async fn acquire(&self, chat_id: i64) {
        let at = {
            let mut slots = self.slots();
            let now = Instant::now();
            let chat_ready = slots
                .last_in_chat
                .get(&chat_id)
                .map(|last| *last + self.limits.per_chat_interval)
                .unwrap_or(now);
            let at = now.max(slots.next_global).max(chat_ready);
            slots.next_global = at + Duration::from_secs(1) / self.limits.per_second.max(1);
            slots.last_in_chat.insert(chat_id, at);
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn global_and_per_chat_limits_hold() {
        let throttle = Throttle::new(Limits::default());
        let start = Instant::now();
        // 60 messages to 60 chats: 30 per second overall, so the last goes out after ~2 s.
        for chat in 0..60 {
            throttle.acquire(chat).await;
        }
        let elapsed = start.elapsed();
        assert!(
            elapsed >= Duration::from_millis(1960) && elapsed < Duration::from_millis(2100),
            "{elapsed:?}"
        );
        // Three messages to one chat: one per second.
        let start = Instant::now();
        for _ in 0..3 {
            throttle.acquire(1000).await;
        }
        assert!(
            start.elapsed() >= Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        assert!(throttle.busy_chats().contains(&1000));
    }
}
