//! `cargo xtask report`: criterion's output files in, `docs/benchmarks.md` and its plots out.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use crate::compare;
use crate::error::{Error, Result};
use crate::machine;
use crate::markdown::{self, Header, Page};
use crate::plot;
use crate::results;
use crate::run_info::RunInfo;

/// Where the report reads from and writes to.
#[derive(Clone, Debug)]
pub(crate) struct ReportOptions {
    /// Criterion's output directory (`target/criterion`).
    pub(crate) criterion_dir: PathBuf,
    /// The markdown file; plots go to `plots/` beside it.
    pub(crate) out: PathBuf,
    /// Also show results older than the last recorded `bench` run.
    pub(crate) include_stale: bool,
    /// The workspace root, for bench file headers, the toolchain and the commit.
    pub(crate) workspace: PathBuf,
}

/// What was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Written {
    /// Groups in the report.
    pub(crate) groups: usize,
    /// SVG files written.
    pub(crate) plots: Vec<PathBuf>,
}

/// The prefix of every plot file we own in the plots directory.
const PLOT_PREFIX: &str = "ratios-";

/// Reads the results, compares them, draws the plots and writes the markdown.
pub(crate) fn generate(options: &ReportOptions) -> Result<Written> {
    let loaded = results::load(&options.criterion_dir)?;
    let mut notes: Vec<String> = loaded
        .rejected
        .iter()
        .map(|reason| format!("skipped an unreadable result: {reason}"))
        .collect();
    let mut run = match RunInfo::load(&options.criterion_dir) {
        Ok(run) => run,
        Err(e) => {
            notes.push(format!("ignored the run information: {e}"));
            None
        }
    };
    if let Some(info) = run.as_ref().filter(|info| !info.failure.is_empty()) {
        notes.push(format!(
            "measuring did not finish cleanly: {}; results of the failing bench binary may be \
             missing",
            info.failure
        ));
    }
    let mut measurements = loaded.measurements;
    if let Some(info) = &run {
        // Results written after the recorded run ended come from a later plain `cargo bench`:
        // the recorded command, date and profile would not describe them.
        let ended = UNIX_EPOCH + Duration::from_secs(info.started + info.measure_secs + 60);
        if measurements
            .iter()
            .any(|m| m.written.is_some_and(|w| w > ended))
        {
            notes.push(
                "some results are newer than the last `cargo xtask bench` run, so its command \
                 and profile are not shown"
                    .to_owned(),
            );
            run = None;
        }
    }
    if let (Some(run), false) = (&run, options.include_stale) {
        // One second of slack for file systems with coarse timestamps.
        let started = UNIX_EPOCH + Duration::from_secs(run.started.saturating_sub(1));
        let before = measurements.len();
        measurements.retain(|m| m.written.is_none_or(|w| w >= started));
        let stale = before - measurements.len();
        if stale > 0 {
            notes.push(format!(
                "left out {stale} older result(s) found in {} that this run did not measure \
                 (`cargo xtask report --include-stale` shows them)",
                options.criterion_dir.display()
            ));
        }
    }
    if measurements.is_empty() {
        return Err(Error::NoResults {
            dir: options.criterion_dir.clone(),
            rejected: loaded.rejected,
        });
    }
    let sections = compare::build(measurements);
    let groups = sections.iter().map(|s| s.groups.len()).sum();

    let out_dir = options
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let plot_dir = out_dir.join("plots");
    fs::create_dir_all(&plot_dir).map_err(|e| Error::io("creating directory", &plot_dir, e))?;
    let mut plots = BTreeMap::new();
    let mut written = Vec::new();
    for section in &sections {
        let bars = plot::bars(section);
        if bars.is_empty() {
            continue;
        }
        let file = format!("{PLOT_PREFIX}{}.svg", file_safe(&section.name));
        let path = plot_dir.join(&file);
        let title = format!(
            "{}: amphi's throughput / best peer's, per group",
            section.name
        );
        plot::draw(&path, &title, &bars)?;
        plots.insert(section.name.clone(), format!("plots/{file}"));
        written.push(path);
    }
    remove_old_plots(&plot_dir, &written, &mut notes);

    let header = match &run {
        Some(run) => Header {
            date: machine::utc(run.started),
            machine: run.machine.clone(),
            toolchain: run.toolchain.clone(),
            commit: run.commit.clone(),
            command: Some(run.command.clone()),
            cargo_command: Some(run.cargo_command.clone()),
            profile: Some(format!(
                "{}; {} benchmark(s) listed; build {}, measuring {}",
                run.profile,
                run.benchmarks,
                minutes(run.build_secs),
                minutes(run.measure_secs)
            )),
        },
        None => Header {
            date: format!(
                "{} (report time; no run information)",
                machine::utc(machine::now_unix())
            ),
            machine: machine::describe(),
            toolchain: machine::toolchain(&options.workspace),
            commit: machine::commit(&options.workspace),
            command: None,
            cargo_command: None,
            profile: None,
        },
    };
    let descriptions = sections
        .iter()
        .filter_map(|s| {
            let file = options
                .workspace
                .join("benches/benches")
                .join(format!("{}.rs", s.name));
            Some((
                s.name.clone(),
                bench_header(&fs::read_to_string(file).ok()?)?,
            ))
        })
        .collect();
    let page = Page {
        header,
        sections,
        descriptions,
        plots,
        notes,
    };
    let text = markdown::render(&page) + "\n";
    fs::write(&options.out, text).map_err(|e| Error::io("writing", &options.out, e))?;
    Ok(Written {
        groups,
        plots: written,
    })
}

/// The `//!` header of a bench file, as one paragraph per blank-line-separated block.
fn bench_header(source: &str) -> Option<String> {
    let lines: Vec<&str> = source
        .lines()
        .map(str::trim_start)
        .take_while(|l| l.starts_with("//!"))
        .map(|l| {
            l.trim_start_matches("//!")
                .strip_prefix(' ')
                .unwrap_or(l.trim_start_matches("//!"))
        })
        .collect();
    let text = lines.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// Removes plots of ours that this run did not draw (sections that disappeared).
fn remove_old_plots(plot_dir: &Path, keep: &[PathBuf], notes: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(plot_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let ours = name
            .to_str()
            .is_some_and(|n| n.starts_with(PLOT_PREFIX) && n.ends_with(".svg"));
        if ours
            && !keep.contains(&path)
            && let Err(e) = fs::remove_file(&path)
        {
            notes.push(format!(
                "could not remove the old plot {}: {e}",
                path.display()
            ));
        }
    }
}

/// A section name usable as a file name.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `95 s` or `4 min 05 s`.
pub(crate) fn minutes(secs: u64) -> String {
    if secs < 60 {
        format!("{secs} s")
    } else {
        format!("{} min {:02} s", secs / 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdir::TestDir;

    const ELEMENTS: &str = r#"{"Elements": 1000}"#;
    const BYTES: &str = r#"{"Bytes": 4096}"#;

    fn options(criterion: &TestDir, out: &TestDir, workspace: &TestDir) -> ReportOptions {
        ReportOptions {
            criterion_dir: criterion.path().to_path_buf(),
            out: out.path().join("benchmarks.md"),
            include_stale: false,
            workspace: workspace.path().to_path_buf(),
        }
    }

    #[test]
    fn writes_markdown_and_plots_from_criterion_output() {
        let criterion = TestDir::new("report-criterion");
        let out = TestDir::new("report-out");
        let workspace = TestDir::new("report-ws");
        workspace.write(
            "benches/benches/queue.rs",
            "//! Queue throughput: one producer, one consumer.\n//!\n//! Peers: flume.\nfn main() {}\n",
        );
        criterion.bench(
            "queue/spsc/bounded64/sync_to_async",
            Some("amphi"),
            None,
            1e5,
            ELEMENTS,
        );
        criterion.bench(
            "queue/spsc/bounded64/sync_to_async",
            Some("flume"),
            None,
            2e5,
            ELEMENTS,
        );
        criterion.bench(
            "queue/spsc/bounded64/sync_to_async",
            Some("kanal"),
            None,
            4e5,
            ELEMENTS,
        );
        criterion.bench("queue/mpmc/unbounded", Some("amphi"), None, 3e5, ELEMENTS);
        criterion.bench("queue/mpmc/unbounded", Some("flume"), None, 1e5, ELEMENTS);
        criterion.bench("queue/lifo", Some("amphi"), None, 1e5, ELEMENTS);
        criterion.bench(
            "codec/decode/length_delimited",
            Some("amphi"),
            Some("4KiB"),
            1e3,
            BYTES,
        );
        criterion.bench(
            "codec/decode/length_delimited",
            Some("tokio-util"),
            Some("4KiB"),
            2e3,
            BYTES,
        );
        criterion.bench(
            "codec/decode/length_delimited",
            Some("memcpy"),
            Some("4KiB"),
            1e2,
            BYTES,
        );
        criterion.bench(
            "shutdown/token/cancel",
            Some("tokio-util"),
            None,
            50.0,
            "null",
        );
        let both = r#"{"ElementsAndBytes": {"elements": 100, "bytes": 8000}}"#;
        criterion.bench("codec/decode/lines/80B", Some("amphi"), None, 1e4, both);
        // A stale plot from a section that no longer exists must go; other files must stay.
        out.write("plots/ratios-gone.svg", "<svg/>");
        out.write("plots/hand-made.svg", "<svg/>");

        let written = generate(&options(&criterion, &out, &workspace)).expect("report");
        assert_eq!(written.groups, 6);
        let names: Vec<_> = written
            .plots
            .iter()
            .filter_map(|p| p.file_name()?.to_str().map(str::to_owned))
            .collect();
        assert_eq!(names, ["ratios-codec.svg", "ratios-queue.svg"]);
        for plot in &written.plots {
            let svg = fs::read_to_string(plot).expect("plot exists");
            assert!(svg.contains("<svg") && svg.contains("</svg>"));
        }
        assert!(!out.path().join("plots/ratios-gone.svg").exists());
        assert!(out.path().join("plots/hand-made.svg").exists());

        let md = fs::read_to_string(out.path().join("benchmarks.md")).expect("markdown");
        assert!(md.contains("| command | unknown"), "{md}");
        assert!(
            md.contains("Sections: [codec](#codec) · [queue](#queue) · [shutdown](#shutdown)"),
            "{md}"
        );
        assert!(
            md.contains("Queue throughput: one producer, one consumer.\n\nPeers: flume."),
            "{md}"
        );
        assert!(md.contains("![queue: amphi's throughput divided by the best peer's, per group](plots/ratios-queue.svg)"), "{md}");
        assert!(
            md.contains("_No plot: no group of this section has both amphi and a peer._"),
            "{md}"
        );
        // Bytes: 4096 B in 1 µs = 4.10 GB/s; amphi is 2x tokio-util; memcpy is a floor.
        assert!(
            md.contains("| **amphi** | ours | 1.00 µs ±2.0% | 4.10 GB/s | **2.00×** |"),
            "{md}"
        );
        assert!(
            md.contains("| tokio-util | peer (best) | 2.00 µs ±2.0% | 2.05 GB/s | 1.00× |"),
            "{md}"
        );
        assert!(
            md.contains("| memcpy | floor | 100 ns ±2.0% | 41.0 GB/s | 20.0× |"),
            "{md}"
        );
        assert!(
            md.contains("### codec/decode/length_delimited/4KiB"),
            "{md}"
        );
        // Summary matrix: groups in natural order, n/a where a peer has no row.
        assert!(
            md.contains("| [lifo](#queuelifo) | n/a | n/a | n/a | n/a |"),
            "{md}"
        );
        assert!(
            md.contains(
                "| [mpmc/unbounded](#queuempmcunbounded) | flume | **0.333×** | 1.00× | n/a |"
            ),
            "{md}"
        );
        assert!(md.contains("| [spsc/bounded64/sync_to_async](#queuespscbounded64sync_to_async) | flume | **2.00×** | 1.00× | 0.500× |"), "{md}");
        assert!(md.contains("10.0 M elem/s"), "{md}");
        assert!(
            md.contains("| **amphi** | ours | 10.0 µs ±2.0% | 10.0 M elem/s · 800 MB/s | n/a |"),
            "{md}"
        );
        assert!(md.contains("_No amphi row in this group._"), "{md}");
        assert!(
            md.contains("_No peer measured in this group: nothing to compare with._"),
            "{md}"
        );
    }

    #[test]
    fn run_information_fills_the_header_and_drops_stale_results() {
        let criterion = TestDir::new("report-run-criterion");
        let out = TestDir::new("report-run-out");
        let workspace = TestDir::new("report-run-ws");
        criterion.bench("queue/a", Some("amphi"), None, 10.0, ELEMENTS);
        criterion.bench("queue/a", Some("flume"), None, 20.0, ELEMENTS);
        let run = RunInfo {
            command: "scripts/bench --quick".into(),
            cargo_command: "cargo bench -p amphi-benches --bench '*' -- --quick".into(),
            profile: "quick".into(),
            started: machine::now_unix() + 3600,
            build_secs: 5,
            measure_secs: 95,
            benchmarks: 2,
            machine: "2 CPUs (nproc), Test CPU".into(),
            toolchain: "rustc 1.95.0".into(),
            commit: "abc".into(),
            failure: "`cargo bench` failed: exit status: 101".into(),
        };
        run.save(criterion.path()).expect("save");
        // Everything on disk predates this (future) run: nothing is left to report.
        let err = generate(&options(&criterion, &out, &workspace)).expect_err("all stale");
        assert!(err.to_string().contains("no criterion results"), "{err}");

        let mut run = run;
        run.started = machine::now_unix() - 10;
        run.save(criterion.path()).expect("save");
        generate(&options(&criterion, &out, &workspace)).expect("report");
        let md = fs::read_to_string(out.path().join("benchmarks.md")).expect("markdown");
        let date = format!("| date | {} |", machine::utc(run.started));
        assert!(md.contains(&date), "{md}");
        assert!(
            md.contains("| machine | 2 CPUs (nproc), Test CPU |"),
            "{md}"
        );
        assert!(md.contains("| command | `scripts/bench --quick` |"), "{md}");
        assert!(
            md.contains(
                "- measuring did not finish cleanly: `cargo bench` failed: exit status: 101;"
            ),
            "{md}"
        );
        assert!(
            md.contains("| which ran | `cargo bench -p amphi-benches --bench '*' -- --quick` |"),
            "{md}"
        );
        assert!(
            md.contains(
                "| profile | quick; 2 benchmark(s) listed; build 5 s, measuring 1 min 35 s |"
            ),
            "{md}"
        );
        assert!(
            md.contains("| **amphi** | ours | 10.0 ns ±2.0% | 100 G elem/s | **2.00×** |"),
            "{md}"
        );
    }

    #[test]
    fn run_information_older_than_the_results_is_not_shown() {
        let criterion = TestDir::new("report-old-run-criterion");
        let out = TestDir::new("report-old-run-out");
        criterion.bench("queue/a", Some("amphi"), None, 10.0, ELEMENTS);
        let run = RunInfo {
            command: "scripts/bench".into(),
            started: 1000,
            ..RunInfo::default()
        };
        run.save(criterion.path()).expect("save");
        generate(&options(&criterion, &out, &out)).expect("report");
        let md = fs::read_to_string(out.path().join("benchmarks.md")).expect("markdown");
        assert!(md.contains("| command | unknown"), "{md}");
        assert!(
            md.contains("newer than the last `cargo xtask bench` run"),
            "{md}"
        );
    }

    #[test]
    fn empty_or_missing_criterion_dirs_are_errors_not_panics() {
        let criterion = TestDir::new("report-empty");
        let out = TestDir::new("report-empty-out");
        let err = generate(&options(&criterion, &out, &out)).expect_err("empty");
        assert!(
            err.to_string().contains("run `cargo xtask bench` first"),
            "{err}"
        );
        let mut missing = options(&criterion, &out, &out);
        missing.criterion_dir = criterion.path().join("nope");
        let err = generate(&missing).expect_err("missing");
        assert!(err.to_string().contains("nope"), "{err}");
        assert!(!out.path().join("benchmarks.md").exists());
    }

    #[test]
    fn headers_and_names() {
        assert_eq!(
            bench_header("//! A.\n//!\n//!B\nuse x;\n//! not header").as_deref(),
            Some("A.\n\nB")
        );
        assert_eq!(bench_header("fn main() {}"), None);
        assert_eq!(file_safe("a/b c"), "a_b_c");
        assert_eq!(minutes(59), "59 s");
        assert_eq!(minutes(605), "10 min 05 s");
    }
}
