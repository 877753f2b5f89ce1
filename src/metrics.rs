//! Process metrics in the Prometheus text format: a handful of counters and one latency histogram, kept
//! in atomics, and gauges read at scrape time (the backlog, from the database). Hand-written rather than a
//! metrics crate because there are only a few and the format is small; `/metrics` renders them. Also the
//! intake's health: since when taking updates (polling, the webhook) has been failing, for `/readyz`.

use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Upper bounds of the handler latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// A cumulative latency histogram.
#[derive(Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        for (bound, count) in BUCKETS.iter().zip(&self.counts) {
            if secs <= *bound {
                count.fetch_add(1, Relaxed);
            }
        }
        self.count.fetch_add(1, Relaxed);
        self.sum_micros
            .fetch_add(elapsed.as_micros().min(u64::MAX as u128) as u64, Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Relaxed)
    }
}

/// Everything `/metrics` reports.
#[derive(Default)]
pub struct Metrics {
    pub updates_received: AtomicU64,
    pub updates_processed: AtomicU64,
    pub updates_failed: AtomicU64,
    pub messages_sent: AtomicU64,
    pub send_retries: AtomicU64,
    pub dead_letters: AtomicU64,
    pub updates_parked: AtomicU64,
    pub handler_seconds: Histogram,
    pub intake: Health,
}

/// Since when taking updates has failed without a success in between (`None`: it works).
#[derive(Default)]
pub struct Health {
    failing_since: Mutex<Option<Instant>>,
}

impl Health {
    pub fn failed(&self) {
        self.failing_since
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_with(Instant::now);
    }

    pub fn worked(&self) {
        *self.failing_since.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// How long it has been failing continuously.
    pub fn failing_for(&self) -> Option<Duration> {
        self.failing_since
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map(|since| since.elapsed())
    }
}

/// A value read at scrape time.
#[derive(Debug, Clone, PartialEq)]
pub struct Gauge {
    pub name: &'static str,
    pub help: &'static str,
    /// Prometheus labels, already formatted (`version="0.1.0"`), or empty.
    pub labels: String,
    pub value: f64,
}

impl Gauge {
    pub fn new(name: &'static str, help: &'static str, value: f64) -> Self {
        Self {
            name,
            help,
            labels: String::new(),
            value,
        }
    }
}

impl Metrics {
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }

    /// The Prometheus text exposition (format 0.0.4), with `gauges` after the counters.
    pub fn render(&self, gauges: &[Gauge]) -> String {
        let mut out = String::new();
        let counters = [
            (
                "queqiao_updates_received_total",
                "Telegram updates stored in the inbox.",
                &self.updates_received,
            ),
            (
                "queqiao_updates_processed_total",
                "Updates handled (including those answered with an apology).",
                &self.updates_processed,
            ),
            (
                "queqiao_updates_failed_total",
                "Updates whose handler failed or panicked.",
                &self.updates_failed,
            ),
            (
                "queqiao_messages_sent_total",
                "Messages Telegram accepted.",
                &self.messages_sent,
            ),
            (
                "queqiao_send_retries_total",
                "Sends that failed and were scheduled again (429, 5xx, network).",
                &self.send_retries,
            ),
            (
                "queqiao_dead_letters_total",
                "Messages given up on after the last attempt.",
                &self.dead_letters,
            ),
            (
                "queqiao_updates_parked_total",
                "Updates that could not be stored or handled after their tries, parked to unblock the rest.",
                &self.updates_parked,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", value.load(Relaxed));
        }
        let name = "queqiao_handler_seconds";
        let h = &self.handler_seconds;
        let _ = writeln!(
            out,
            "# HELP {name} Time from claiming an update to committing its outcome.\n# TYPE {name} histogram"
        );
        for (bound, count) in BUCKETS.iter().zip(&h.counts) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{bound}\"}} {}",
                count.load(Relaxed)
            );
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", h.count());
        let _ = writeln!(
            out,
            "{name}_sum {}",
            h.sum_micros.load(Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count {}", h.count());
        let failing = self.intake.failing_for().map_or(0.0, |d| d.as_secs_f64());
        let intake = Gauge::new(
            "queqiao_intake_failing_seconds",
            "How long taking updates (polling or the webhook) has failed without a success; 0 when it works.",
            failing,
        );
        for gauge in gauges.iter().chain([&intake]) {
            let (name, labels) = (gauge.name, &gauge.labels);
            let _ = writeln!(out, "# HELP {name} {}\n# TYPE {name} gauge", gauge.help);
            let _ = if labels.is_empty() {
                writeln!(out, "{name} {}", gauge.value)
            } else {
                writeln!(out, "{name}{{{labels}}} {}", gauge.value)
            };
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.handler_seconds.observe(Duration::from_micros(800));
        m.handler_seconds.observe(Duration::from_millis(30));
        Metrics::inc(&m.updates_received);
        let text = m.render(&[Gauge {
            labels: "version=\"1\"".into(),
            ..Gauge::new("queqiao_build_info", "Build.", 1.0)
        }]);
        assert!(
            text.contains("queqiao_updates_received_total 1\n"),
            "{text}"
        );
        assert!(text.contains("queqiao_handler_seconds_bucket{le=\"0.001\"} 1\n"));
        assert!(text.contains("queqiao_handler_seconds_bucket{le=\"0.05\"} 2\n"));
        assert!(text.contains("queqiao_handler_seconds_bucket{le=\"+Inf\"} 2\n"));
        assert!(text.contains("queqiao_handler_seconds_count 2\n"));
        assert!(
            text.contains("# TYPE queqiao_build_info gauge\nqueqiao_build_info{version=\"1\"} 1\n")
        );
        assert!(text.contains("queqiao_intake_failing_seconds 0\n"));
    }

    #[test]
    fn intake_failing_time_starts_at_the_first_failure_and_ends_with_a_success() {
        let health = Health::default();
        assert_eq!(health.failing_for(), None);
        health.failed();
        std::thread::sleep(Duration::from_millis(20));
        health.failed();
        assert!(health.failing_for().unwrap() >= Duration::from_millis(20));
        health.worked();
        assert_eq!(health.failing_for(), None);
    }
}
