//! Human-readable times, rates and ratios for the tables.

use crate::compare::Unit;

/// A time in nanoseconds with three significant digits: `812 ns`, `1.25 µs`, `3.10 s`.
pub(crate) fn time(ns: f64) -> String {
    if !ns.is_finite() || ns < 0.0 {
        return "n/a".to_owned();
    }
    let (value, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    format!("{} {unit}", significant(value))
}

/// The half width of a confidence interval relative to the mean: `±1.2%`.
pub(crate) fn spread(mean: f64, (lower, upper): (f64, f64)) -> Option<String> {
    let relative = (upper - lower) / 2.0 / mean * 100.0;
    (relative.is_finite() && relative >= 0.0).then(|| format!("±{relative:.1}%"))
}

/// The scale (divisor and label) a group's rates are shown in, chosen from its fastest rate so
/// that every row of one table uses the same unit.
pub(crate) fn rate_scale(unit: Unit, fastest: f64) -> (f64, &'static str) {
    let steps: &[(f64, &'static str)] = match unit {
        Unit::Elements => &[
            (1e9, "G elem/s"),
            (1e6, "M elem/s"),
            (1e3, "K elem/s"),
            (1.0, "elem/s"),
        ],
        Unit::Bytes => &[(1e9, "GB/s"), (1e6, "MB/s"), (1e3, "KB/s"), (1.0, "B/s")],
        Unit::Bits => &[
            (1e9, "Gbit/s"),
            (1e6, "Mbit/s"),
            (1e3, "Kbit/s"),
            (1.0, "bit/s"),
        ],
        Unit::Iterations => &[
            (1e9, "G iter/s"),
            (1e6, "M iter/s"),
            (1e3, "K iter/s"),
            (1.0, "iter/s"),
        ],
    };
    steps
        .iter()
        .copied()
        // A hair under the step still moves up, so that no value prints as `1000 M`.
        .find(|&(divisor, _)| fastest >= divisor * 0.9995)
        .unwrap_or((1.0, steps[steps.len() - 1].1))
}

/// A rate in a chosen scale: `12.3 M elem/s`.
pub(crate) fn rate(rate: Option<f64>, (divisor, label): (f64, &str)) -> String {
    match rate {
        Some(r) if r.is_finite() => format!("{} {label}", significant(r / divisor)),
        _ => "n/a".to_owned(),
    }
}

/// A ratio: `2.35×`, `0.042×`.
pub(crate) fn ratio(ratio: Option<f64>) -> String {
    match ratio {
        Some(r) if r.is_finite() && r > 0.0 => format!("{}×", significant(r)),
        _ => "n/a".to_owned(),
    }
}

/// Three significant digits, without exponent for the magnitudes we meet.
fn significant(value: f64) -> String {
    let magnitude = value.abs();
    // The thresholds sit where rounding would carry into the next digit (0.9996 -> `1.00`).
    if magnitude >= 99.95 {
        format!("{value:.0}")
    } else if magnitude >= 9.995 {
        format!("{value:.1}")
    } else if magnitude >= 0.9995 || magnitude == 0.0 {
        format!("{value:.2}")
    } else {
        // 0.0123 -> 3 significant digits.
        let decimals = (2 - magnitude.log10().floor() as i32).clamp(3, 12);
        format!("{value:.prec$}", prec = decimals as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(time(812.0), "812 ns");
        assert_eq!(time(1250.0), "1.25 µs");
        assert_eq!(time(12_345_678.0), "12.3 ms");
        assert_eq!(time(3.1e9), "3.10 s");
        assert_eq!(time(0.5), "0.500 ns");
        assert_eq!(time(f64::NAN), "n/a");
    }

    #[test]
    fn rates_and_ratios() {
        let scale = rate_scale(Unit::Elements, 25e6);
        assert_eq!(scale.1, "M elem/s");
        assert_eq!(rate(Some(25e6), scale), "25.0 M elem/s");
        assert_eq!(rate(Some(2e5), scale), "0.200 M elem/s");
        assert_eq!(rate(None, scale), "n/a");
        assert_eq!(rate_scale(Unit::Bytes, 3.2e9).1, "GB/s");
        assert_eq!(rate_scale(Unit::Bytes, 0.5).1, "B/s");
        assert_eq!(ratio(Some(2.349)), "2.35×");
        assert_eq!(ratio(Some(0.0421)), "0.0421×");
        assert_eq!(ratio(Some(0.99999)), "1.00×");
        assert_eq!(ratio(Some(9.9999)), "10.0×");
        assert_eq!(ratio(Some(f64::NAN)), "n/a");
        assert_eq!(ratio(None), "n/a");
        assert_eq!(spread(100.0, (98.0, 102.0)).as_deref(), Some("±2.0%"));
        assert_eq!(spread(100.0, (f64::NAN, 1.0)), None);
    }
}
