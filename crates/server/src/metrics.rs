//! Request counters and a latency histogram, exposed in the Prometheus text format.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// Upper bounds of the latency buckets, in microseconds.
const BUCKETS_US: [u64; 10] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 50_000, 250_000, 1_000_000,
];

#[derive(Default)]
pub struct Metrics {
    /// (route, status) → count.
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    buckets: [AtomicU64; BUCKETS_US.len()],
    count: AtomicU64,
    sum_us: AtomicU64,
    /// Library calls (screenings, traces) running on the blocking pool now.
    pub work_running: AtomicU64,
    /// Library calls that stopped early because their request was dropped (timeout, disconnect).
    pub work_cancelled: AtomicU64,
}

impl Metrics {
    pub fn record(&self, route: &str, status: u16, micros: u64) {
        // Counting on after a panic elsewhere: a map of counters cannot be left inconsistent.
        let mut requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        *requests.entry((route.to_string(), status)).or_default() += 1;
        drop(requests);
        for (bound, bucket) in BUCKETS_US.iter().zip(&self.buckets) {
            if micros <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(micros, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let mut out = String::from(
            "# HELP chaintrail_http_requests_total Requests by route and status.\n\
             # TYPE chaintrail_http_requests_total counter\n",
        );
        let requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        for ((route, status), n) in requests.iter() {
            out.push_str(&format!(
                "chaintrail_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}\n"
            ));
        }
        drop(requests);
        out.push_str(
            "# HELP chaintrail_http_request_duration_seconds Time to answer.\n\
             # TYPE chaintrail_http_request_duration_seconds histogram\n",
        );
        for (bound, bucket) in BUCKETS_US.iter().zip(&self.buckets) {
            out.push_str(&format!(
                "chaintrail_http_request_duration_seconds_bucket{{le=\"{}\"}} {}\n",
                *bound as f64 / 1e6,
                bucket.load(Ordering::Relaxed)
            ));
        }
        let count = self.count.load(Ordering::Relaxed);
        out.push_str(&format!(
            "chaintrail_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}\n\
             chaintrail_http_request_duration_seconds_sum {}\n\
             chaintrail_http_request_duration_seconds_count {count}\n",
            self.sum_us.load(Ordering::Relaxed) as f64 / 1e6
        ));
        out.push_str(&format!(
            "# HELP chaintrail_work_running Screenings and traces running now.\n\
             # TYPE chaintrail_work_running gauge\n\
             chaintrail_work_running {}\n\
             # HELP chaintrail_work_cancelled_total Screenings and traces stopped early because \
             their request timed out or went away.\n\
             # TYPE chaintrail_work_cancelled_total counter\n\
             chaintrail_work_cancelled_total {}\n",
            self.work_running.load(Ordering::Relaxed),
            self.work_cancelled.load(Ordering::Relaxed)
        ));
        out
    }
}
