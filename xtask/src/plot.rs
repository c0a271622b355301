//! SVG plots of the ratios, drawn with plotters from the same data as the tables.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::compare::{Role, Section};
use crate::error::{Error, Result};
use crate::units;

/// One bar: a group (and our function id, when not plain `amphi`) and its ratio to the best peer.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Bar {
    /// The y-axis label.
    pub(crate) label: String,
    /// Our throughput divided by the best peer's.
    pub(crate) ratio: f64,
}

/// The bars of a section: one per (group, our function) with a finite ratio to a peer.
pub(crate) fn bars(section: &Section) -> Vec<Bar> {
    section
        .groups
        .iter()
        .flat_map(|group| {
            group
                .rows
                .iter()
                .filter(|row| row.role == Role::Ours)
                .filter_map(move |row| {
                    let ratio = row.vs_best_peer.filter(|r| r.is_finite() && *r > 0.0)?;
                    let function = &row.measurement.function;
                    let label = if function == "amphi" {
                        group.short_name().to_owned()
                    } else {
                        format!("{} · {function}", group.short_name())
                    };
                    Some(Bar { label, ratio })
                })
        })
        .collect()
}

/// Draws a horizontal bar chart of `bars` to `path`: bars grow from the 1× line (drawn) to the
/// ratio on a log axis, right and green when amphi is faster, left and red when slower.
pub(crate) fn draw(path: &Path, title: &str, bars: &[Bar]) -> Result<()> {
    let fail = |e: &dyn std::fmt::Display| Error::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let n = bars.len();
    let longest = bars
        .iter()
        .map(|b| b.label.chars().count())
        .max()
        .unwrap_or(0);
    let label_area = u32::try_from(longest * 7 + 16).unwrap_or(400).min(480);
    let height = u32::try_from(n * 26 + 110).unwrap_or(4000).min(4000);
    let (lo, hi) = x_range(bars);

    let root = SVGBackend::new(path, (960, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let rows = n.max(1) as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(label_area)
        .build_cartesian_2d((lo..hi).log_scale(), 0.0..rows)
        .map_err(|e| fail(&e))?;
    // Our own ticks: plotters' log axis labels too few points on narrow ranges.
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(0)
        .x_label_formatter(&|_| String::new())
        .y_labels(0)
        .x_desc("amphi throughput / best peer's (log scale; right of 1× = amphi faster)")
        .label_style(("sans-serif", 12))
        .draw()
        .map_err(|e| fail(&e))?;
    let ticks = ticks(lo, hi);
    chart
        .draw_series(ticks.iter().map(|&t| {
            PathElement::new(
                [(t, 0.0), (t, rows)],
                RGBColor(220, 220, 220).stroke_width(1),
            )
        }))
        .map_err(|e| fail(&e))?;

    // Bar k sits in the band [top - k - 1, top - k]: the first bar goes on top.
    let band = |k: usize| rows - k as f64;
    let faster = RGBColor(46, 139, 87);
    let slower = RGBColor(200, 70, 60);
    chart
        .draw_series(bars.iter().enumerate().map(|(k, bar)| {
            let color = if bar.ratio >= 1.0 { faster } else { slower };
            Rectangle::new(
                [(1.0, band(k) - 0.15), (bar.ratio, band(k) - 0.85)],
                color.filled(),
            )
        }))
        .map_err(|e| fail(&e))?;
    let text = |anchor: HPos| {
        ("sans-serif", 12)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(anchor, VPos::Center))
    };
    chart
        .draw_series(bars.iter().enumerate().map(|(k, bar)| {
            Text::new(
                format!(" {}", units::ratio(Some(bar.ratio))),
                (bar.ratio.max(1.0), band(k) - 0.5),
                text(HPos::Left),
            )
        }))
        .map_err(|e| fail(&e))?;
    chart
        .draw_series(LineSeries::new(
            [(1.0, 0.0), (1.0, rows)],
            BLACK.stroke_width(2),
        ))
        .map_err(|e| fail(&e))?;
    for &t in &ticks {
        let (x, y) = chart.backend_coord(&(t, 0.0));
        let style = ("sans-serif", 12)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Top));
        root.draw(&Text::new(tick_label(t), (x, y + 6), style))
            .map_err(|e| fail(&e))?;
    }
    // The group names, right-aligned against the y axis (drawn here, not as axis labels, so
    // that each sits exactly beside its bar).
    for (k, bar) in bars.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(lo, band(k) - 0.5));
        root.draw(&Text::new(bar.label.clone(), (x - 6, y), text(HPos::Right)))
            .map_err(|e| fail(&e))?;
    }
    root.present().map_err(|e| fail(&e))?;
    Ok(())
}

/// The 1-2-5 ratios inside `lo..hi`, every one when there are few, else the decades and halves.
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let all: Vec<f64> = (-4..=4)
        .flat_map(|decade| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(decade)))
        .filter(|t| *t >= lo && *t <= hi)
        .collect();
    if all.len() <= 10 {
        all
    } else {
        all.into_iter()
            .filter(|t| {
                let mantissa = t / 10f64.powf(t.log10().floor());
                (mantissa - 1.0).abs() < 1e-9 || (mantissa - 5.0).abs() < 1e-9
            })
            .collect()
    }
}

/// A tick's label with no more digits than it needs: `0.05×`, `1×`, `20×`.
fn tick_label(t: f64) -> String {
    let decimals = (-t.log10().floor()).max(0.0) as usize;
    format!("{t:.decimals$}×")
}

/// A log range symmetric around 1 that holds every ratio with room for its label.
fn x_range(bars: &[Bar]) -> (f64, f64) {
    let widest = bars
        .iter()
        .map(|b| b.ratio.log10().abs())
        .filter(|d| d.is_finite())
        .fold(2f64.log10(), f64::max);
    let decades = widest * 1.25 + 0.1;
    (10f64.powf(-decades), 10f64.powf(decades))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::build;
    use crate::results::Measurement;
    use crate::testdir::TestDir;

    fn m(group: &str, function: &str, mean_ns: f64) -> Measurement {
        Measurement {
            group: group.to_owned(),
            function: function.to_owned(),
            mean_ns,
            mean_ci_ns: (mean_ns, mean_ns),
            throughput: None,
            written: None,
        }
    }

    #[test]
    fn bars_only_where_amphi_meets_a_peer() {
        let sections = build(vec![
            m("q/a", "amphi", 1.0),
            m("q/a", "amphi_async", 4.0),
            m("q/a", "flume", 2.0),
            m("q/b", "amphi", 1.0),
            m("q/c", "flume", 1.0),
            m("q/d", "amphi", f64::NAN),
            m("q/d", "flume", 1.0),
        ]);
        let bars = bars(&sections[0]);
        assert_eq!(
            bars,
            [
                Bar {
                    label: "a".into(),
                    ratio: 2.0
                },
                Bar {
                    label: "a · amphi_async".into(),
                    ratio: 0.5
                },
            ]
        );
    }

    #[test]
    fn draws_an_svg_with_labels() {
        let dir = TestDir::new("plot");
        let path = dir.path().join("ratios.svg");
        let bars = [
            Bar {
                label: "spsc/bounded64/sync_to_async".into(),
                ratio: 3.5,
            },
            Bar {
                label: "mpmc/unbounded".into(),
                ratio: 0.02,
            },
            Bar {
                label: "seq".into(),
                ratio: 1.0,
            },
        ];
        draw(&path, "queue: amphi vs best peer", &bars).expect("draw");
        let svg = std::fs::read_to_string(&path).expect("svg written");
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("spsc/bounded64/sync_to_async"));
        assert!(svg.contains("3.50×"));
        assert!(svg.contains("0.0200×"));
        assert!(svg.contains("queue: amphi vs best peer"));
    }

    #[test]
    fn ranges_are_symmetric_and_hold_the_bars() {
        let (lo, hi) = x_range(&[Bar {
            label: String::new(),
            ratio: 50.0,
        }]);
        assert!(lo < 1.0 / 50.0 && hi > 50.0 && ((lo * hi) - 1.0).abs() < 1e-9);
        let (lo, hi) = x_range(&[]);
        assert!(lo < 0.5 && hi > 2.0);
        assert_eq!(ticks(lo, hi), [0.5, 1.0, 2.0]);
        let labels: Vec<_> = [0.05, 0.1, 0.2, 1.0, 5.0, 50.0].map(tick_label).into();
        assert_eq!(labels, ["0.05×", "0.1×", "0.2×", "1×", "5×", "50×"]);
        assert_eq!(
            ticks(0.009, 110.0),
            [0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 50.0, 100.0]
        );
        assert_eq!(
            ticks(0.04, 30.0),
            [0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0]
        );
    }
}
