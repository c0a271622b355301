//! How long each benchmark warms up and measures, fitted to a time budget for the whole suite.
//!
//! The full profile gives every benchmark 1 s of warm-up and 3 s of measuring when the suite is
//! small enough to finish measuring in [`FULL_BUDGET_SECS`]; a larger suite gets proportionally
//! less per benchmark, so that `scripts/bench` stays under 15 minutes on 2 cores, build included.
//! The quick profile uses criterion's `--quick` with a per-benchmark cap fitted to
//! [`QUICK_BUDGET_SECS`]. `--warm-up` and `--measure` override the fitted values.

/// Seconds of measuring the full profile aims for: the build and benchmarks whose single
/// iteration overruns their share get the rest of 15 minutes (measured: 208 benchmarks took
/// 11 min 47 s at a 9 min aim, about 100 s of it slow single iterations).
pub(crate) const FULL_BUDGET_SECS: f64 = 7.5 * 60.0;

/// Seconds of measuring the quick profile aims for: under 2 minutes with the overruns of slow
/// iterations (measured: 103 s for 208 benchmarks at a 90 s aim).
pub(crate) const QUICK_BUDGET_SECS: f64 = 75.0;

/// Seconds criterion spends per benchmark beyond warm-up and measuring (analysis, files, the
/// bench's own setup).
const FULL_OVERHEAD_SECS: f64 = 0.5;

/// Bootstrap resamples per analysis: criterion's 100 000 cost up to half a second per benchmark
/// on a slow core; 20 000 give the same means and slightly coarser confidence intervals.
const RESAMPLES: usize = 20_000;

/// The same in quick mode (two samples to analyse).
const QUICK_OVERHEAD_SECS: f64 = 0.15;

/// What the user asked for.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Profile {
    /// Criterion's `--quick`: stop once two doublings agree, at most the measuring time.
    pub(crate) quick: bool,
    /// Warm-up seconds per benchmark; `None` fits the budget.
    pub(crate) warm_up: Option<f64>,
    /// Measuring seconds per benchmark (the cap, in quick mode); `None` fits the budget.
    pub(crate) measure: Option<f64>,
    /// Samples per benchmark, when not criterion's default of 100 (full profile only).
    pub(crate) sample_size: Option<usize>,
    /// Keep criterion's own HTML report (slower: it draws several plots per benchmark).
    pub(crate) html: bool,
}

/// The times one run uses, once the number of benchmarks is known.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Timing {
    /// Warm-up seconds per benchmark (criterion ignores it in quick mode).
    pub(crate) warm_up: f64,
    /// Measuring seconds per benchmark.
    pub(crate) measure: f64,
}

impl Profile {
    /// The full profile with fitted times.
    pub(crate) fn full() -> Self {
        Self {
            quick: false,
            warm_up: None,
            measure: None,
            sample_size: None,
            html: false,
        }
    }

    /// The quick profile with a fitted cap.
    pub(crate) fn quick() -> Self {
        Self {
            quick: true,
            ..Self::full()
        }
    }

    /// The times for a run of `benchmarks` benchmarks.
    pub(crate) fn timing(&self, benchmarks: usize) -> Timing {
        let n = benchmarks.max(1) as f64;
        let fitted = if self.quick {
            let cap = (QUICK_BUDGET_SECS / n - QUICK_OVERHEAD_SECS).clamp(0.15, 1.0);
            Timing {
                warm_up: 0.5,
                measure: round(cap),
            }
        } else {
            // Warm-up and measuring keep their 1:3 ratio as they shrink.
            let per = (FULL_BUDGET_SECS / n - FULL_OVERHEAD_SECS).clamp(0.4, 4.0);
            Timing {
                warm_up: round(per / 4.0),
                measure: round(per * 3.0 / 4.0),
            }
        };
        Timing {
            warm_up: self.warm_up.unwrap_or(fitted.warm_up),
            measure: self.measure.unwrap_or(fitted.measure),
        }
    }

    /// Upper estimate of the seconds measuring `benchmarks` benchmarks takes.
    pub(crate) fn estimate_secs(&self, benchmarks: usize) -> f64 {
        let t = self.timing(benchmarks);
        let per = if self.quick {
            t.measure + QUICK_OVERHEAD_SECS
        } else {
            t.warm_up + t.measure + FULL_OVERHEAD_SECS
        };
        per * benchmarks as f64
    }

    /// The arguments criterion receives after `--`.
    pub(crate) fn criterion_args(&self, timing: Timing, filter: Option<&str>) -> Vec<String> {
        let mut args = Vec::new();
        if self.quick {
            args.push("--quick".to_owned());
        }
        args.extend([
            "--warm-up-time".to_owned(),
            timing.warm_up.to_string(),
            "--measurement-time".to_owned(),
            timing.measure.to_string(),
        ]);
        args.extend(["--nresamples".to_owned(), RESAMPLES.to_string()]);
        // Criterion rejects --sample-size beside --quick, which takes two samples.
        if let (Some(n), false) = (self.sample_size, self.quick) {
            args.extend(["--sample-size".to_owned(), n.to_string()]);
        }
        if !self.html {
            args.push("--noplot".to_owned());
        }
        if let Some(filter) = filter {
            args.push(filter.to_owned());
        }
        args
    }

    /// The profile in words, for the report.
    pub(crate) fn describe(&self, timing: Timing) -> String {
        let mut text = if self.quick {
            format!(
                "quick (criterion --quick, at most {} s measuring per benchmark)",
                timing.measure
            )
        } else {
            format!(
                "full ({} s warm-up + {} s measuring per benchmark)",
                timing.warm_up, timing.measure
            )
        };
        if let (Some(n), false) = (self.sample_size, self.quick) {
            text.push_str(&format!(", {n} samples"));
        }
        text
    }
}

/// Two decimals are plenty for seconds; rounding down keeps the estimate within the budget.
fn round(secs: f64) -> f64 {
    (secs * 100.0).floor() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_suites_get_the_default_times() {
        let full = Profile::full();
        assert_eq!(
            full.timing(20),
            Timing {
                warm_up: 1.0,
                measure: 3.0
            }
        );
        assert_eq!(
            full.criterion_args(full.timing(20), None),
            [
                "--warm-up-time",
                "1",
                "--measurement-time",
                "3",
                "--nresamples",
                "20000",
                "--noplot"
            ]
        );
        assert_eq!(
            full.describe(full.timing(20)),
            "full (1 s warm-up + 3 s measuring per benchmark)"
        );
        let quick = Profile::quick();
        assert_eq!(quick.timing(20).measure, 1.0);
        assert!(quick.describe(quick.timing(20)).starts_with("quick"));
    }

    #[test]
    fn large_suites_are_fitted_to_the_budget() {
        for n in [100, 250, 400] {
            let full = Profile::full();
            assert!(
                full.estimate_secs(n) <= FULL_BUDGET_SECS + 1.0,
                "{n}: {}",
                full.estimate_secs(n)
            );
            let t = full.timing(n);
            assert!((t.measure / t.warm_up - 3.0).abs() < 0.1, "{t:?}");
        }
        for n in [100, 250] {
            let quick = Profile::quick();
            assert!(
                quick.estimate_secs(n) <= QUICK_BUDGET_SECS + 1.0,
                "{n}: {}",
                quick.estimate_secs(n)
            );
        }
        // Past what fits, the floors hold and the estimate says so.
        assert_eq!(Profile::quick().timing(10_000).measure, 0.15);
        assert!(Profile::full().estimate_secs(10_000) > FULL_BUDGET_SECS);
    }

    #[test]
    fn explicit_times_win_and_quick_drops_sample_size() {
        let mut quick = Profile::quick();
        quick.measure = Some(2.0);
        quick.sample_size = Some(20);
        quick.html = true;
        let t = quick.timing(1000);
        assert_eq!(t.measure, 2.0);
        assert_eq!(
            quick.criterion_args(t, Some("queue/spsc")),
            [
                "--quick",
                "--warm-up-time",
                "0.5",
                "--measurement-time",
                "2",
                "--nresamples",
                "20000",
                "queue/spsc"
            ]
        );
        let mut full = Profile::full();
        full.warm_up = Some(0.5);
        full.sample_size = Some(50);
        let t = full.timing(10);
        assert_eq!(
            t,
            Timing {
                warm_up: 0.5,
                measure: 3.0
            }
        );
        assert!(full.criterion_args(t, None).contains(&"50".to_owned()));
        assert!(full.describe(t).ends_with(", 50 samples"));
    }
}
