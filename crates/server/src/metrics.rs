//! Request counters and a latency histogram, exposed in the Prometheus text format.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

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
}

impl Metrics {
    pub fn record(&self, route: &str, status: u16, micros: u64) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests.entry((route.to_string(), status)).or_default() += 1;
        }
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
        if let Ok(requests) = self.requests.lock() {
            for ((route, status), n) in requests.iter() {
                out.push_str(&format!(
                    "chaintrail_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}\n"
                ));
            }
        }
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
        out
    }
}
