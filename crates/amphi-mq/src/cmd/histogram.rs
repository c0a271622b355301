//! A log-linear latency histogram: 16 buckets per power of two, about 6 % resolution.

use std::time::Duration;

const SUB: usize = 16;
const GROUPS: usize = 64;

/// Counts of latencies in nanoseconds.
#[derive(Debug, Clone)]
pub(crate) struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Histogram {
    pub(crate) fn new() -> Histogram {
        Histogram {
            counts: vec![0; SUB * GROUPS],
            total: 0,
        }
    }

    fn index(ns: u64) -> usize {
        if ns < SUB as u64 {
            return ns as usize;
        }
        let msb = 63 - ns.leading_zeros() as usize; // >= 4
        let shift = msb - 4;
        let sub = ((ns >> shift) as usize) & (SUB - 1);
        (shift + 1) * SUB + sub
    }

    fn value(index: usize) -> u64 {
        let (group, sub) = (index / SUB, index % SUB);
        if group == 0 {
            return sub as u64;
        }
        let shift = group - 1;
        // The bucket's upper edge.
        (((SUB + sub) as u64) << shift) + (1u64 << shift) - 1
    }

    pub(crate) fn record(&mut self, ns: u64) {
        let i = Self::index(ns).min(self.counts.len() - 1);
        self.counts[i] += 1;
        self.total += 1;
    }

    pub(crate) fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
    }

    /// The latency under which `q` (0..=1) of the samples fall; zero without samples.
    pub(crate) fn quantile(&self, q: f64) -> Duration {
        if self.total == 0 {
            return Duration::ZERO;
        }
        let rank = ((self.total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Duration::from_nanos(Self::value(i));
            }
        }
        Duration::from_nanos(Self::value(self.counts.len() - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::Histogram;

    #[test]
    fn quantiles_are_within_the_resolution() {
        let mut h = Histogram::new();
        for ns in 1..=100_000u64 {
            h.record(ns * 10);
        }
        let p50 = h.quantile(0.5).as_nanos() as f64;
        let p99 = h.quantile(0.99).as_nanos() as f64;
        assert!((p50 / 500_000.0 - 1.0).abs() < 0.07, "p50 {p50}");
        assert!((p99 / 990_000.0 - 1.0).abs() < 0.07, "p99 {p99}");
    }
}
