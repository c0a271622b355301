//! `cargo xtask bench`: build and run every criterion benchmark of `amphi-benches` with one
//! profile, record the run, then write the report.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::error::{Error, Result};
use crate::machine;
use crate::report::minutes;
use crate::run_info::RunInfo;

/// The package holding every benchmark.
const PACKAGE: &str = "amphi-benches";

/// Seconds of analysis and bookkeeping criterion spends per benchmark beyond its measuring.
const OVERHEAD_SECS: f64 = 0.5;

/// How long each benchmark warms up and measures.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Profile {
    /// Criterion's `--quick`: stop once two doublings agree, at most `measure` seconds.
    pub(crate) quick: bool,
    /// Warm-up seconds per benchmark (ignored by criterion in quick mode).
    pub(crate) warm_up: f64,
    /// Measuring seconds per benchmark (the cap, in quick mode).
    pub(crate) measure: f64,
    /// Samples per benchmark, when not criterion's default of 100.
    pub(crate) sample_size: Option<usize>,
    /// Keep criterion's own HTML report (slower: it draws several plots per benchmark).
    pub(crate) html: bool,
}

impl Profile {
    /// The full profile: the whole suite stays under 15 minutes on 2 cores.
    pub(crate) fn full() -> Self {
        Self {
            quick: false,
            warm_up: 1.0,
            measure: 3.0,
            sample_size: None,
            html: false,
        }
    }

    /// The quick profile: measuring stays under 2 minutes.
    pub(crate) fn quick() -> Self {
        Self {
            quick: true,
            warm_up: 0.5,
            measure: 1.0,
            sample_size: None,
            html: false,
        }
    }

    /// The arguments criterion receives after `--`.
    pub(crate) fn criterion_args(&self, filter: Option<&str>) -> Vec<String> {
        let mut args = Vec::new();
        if self.quick {
            args.push("--quick".to_owned());
        }
        args.extend([
            "--warm-up-time".to_owned(),
            secs(self.warm_up),
            "--measurement-time".to_owned(),
            secs(self.measure),
        ]);
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

    /// The upper estimate of seconds spent on one benchmark.
    pub(crate) fn secs_per_benchmark(&self) -> f64 {
        let warm_up = if self.quick { 0.0 } else { self.warm_up };
        warm_up + self.measure + OVERHEAD_SECS
    }

    /// The profile in words, for the report.
    pub(crate) fn describe(&self) -> String {
        let mut text = if self.quick {
            format!(
                "quick (criterion --quick, at most {} s measuring per benchmark)",
                secs(self.measure)
            )
        } else {
            format!(
                "full ({} s warm-up + {} s measuring per benchmark)",
                secs(self.warm_up),
                secs(self.measure)
            )
        };
        if let (Some(n), false) = (self.sample_size, self.quick) {
            text.push_str(&format!(", {n} samples"));
        }
        text
    }
}

/// Everything `bench` needs.
#[derive(Clone, Debug)]
pub(crate) struct BenchOptions {
    /// Warm-up and measuring times.
    pub(crate) profile: Profile,
    /// Criterion's filter regex: only matching benchmark ids run.
    pub(crate) filter: Option<String>,
    /// Where criterion writes (passed to it as `CRITERION_HOME`).
    pub(crate) criterion_dir: PathBuf,
    /// The workspace root.
    pub(crate) workspace: PathBuf,
    /// The command as typed, for the report.
    pub(crate) command: String,
}

/// Builds, lists, measures and records; returns the run information.
pub(crate) fn run(options: &BenchOptions) -> Result<RunInfo> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let base = vec![
        "bench".to_owned(),
        "-p".to_owned(),
        PACKAGE.to_owned(),
        // Only the bench targets: the library's libtest harness would reject criterion's flags.
        "--bench".to_owned(),
        "*".to_owned(),
    ];

    eprintln!("xtask: building the benchmarks");
    let build_start = Instant::now();
    let mut build = base.clone();
    build.push("--no-run".to_owned());
    run_cargo(&cargo, &build, options, false)?;
    let build_secs = build_start.elapsed().as_secs();

    let mut list = base.clone();
    list.extend(["--".to_owned(), "--list".to_owned()]);
    list.extend(options.filter.clone());
    let listing = run_cargo(&cargo, &list, options, true)?;
    let benchmarks = listing
        .lines()
        .filter(|l| l.ends_with(": benchmark"))
        .count();
    let estimate = benchmarks as f64 * options.profile.secs_per_benchmark();
    eprintln!(
        "xtask: {benchmarks} benchmark(s) to run, {} at most ({})",
        minutes(estimate.ceil() as u64),
        options.profile.describe()
    );

    let mut measure = base;
    measure.push("--".to_owned());
    measure.extend(options.profile.criterion_args(options.filter.as_deref()));
    let started = machine::now_unix();
    let measure_start = Instant::now();
    run_cargo(&cargo, &measure, options, false)?;
    let measure_secs = measure_start.elapsed().as_secs();
    eprintln!(
        "xtask: build {}, measuring {}",
        minutes(build_secs),
        minutes(measure_secs)
    );

    let info = RunInfo {
        command: options.command.clone(),
        cargo_command: shell_line("cargo", &measure),
        profile: options.profile.describe(),
        started,
        build_secs,
        measure_secs,
        benchmarks,
        machine: machine::describe(),
        toolchain: machine::toolchain(&options.workspace),
        commit: machine::commit(&options.workspace),
    };
    info.save(&options.criterion_dir)?;
    Ok(info)
}

/// Runs `cargo args` in the workspace with criterion pointed at our directory; returns stdout
/// when `capture`, else lets it through.
fn run_cargo(
    cargo: &str,
    args: &[String],
    options: &BenchOptions,
    capture: bool,
) -> Result<String> {
    let line = shell_line("cargo", args);
    eprintln!("xtask: running `{line}`");
    let mut command = Command::new(cargo);
    command.args(args).current_dir(&options.workspace).env(
        "CRITERION_HOME",
        absolute(&options.criterion_dir, &options.workspace),
    );
    let output = if capture {
        command.stderr(Stdio::inherit()).output()
    } else {
        command.status().map(|status| std::process::Output {
            status,
            stdout: Vec::new(),
            stderr: Vec::new(),
        })
    }
    .map_err(|source| Error::Spawn {
        command: line.clone(),
        source,
    })?;
    if !output.status.success() {
        return Err(Error::CommandFailed {
            command: line,
            status: output.status.to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `path`, made absolute against `base`.
pub(crate) fn absolute(path: &Path, base: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

/// A command line a shell would run as given: arguments with special characters single-quoted.
pub(crate) fn shell_line(program: &str, args: &[String]) -> String {
    let mut line = program.to_owned();
    for arg in args {
        line.push(' ');
        let plain = !arg.is_empty()
            && arg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
        if plain {
            line.push_str(arg);
        } else {
            line.push('\'');
            line.push_str(&arg.replace('\'', r"'\''"));
            line.push('\'');
        }
    }
    line
}

/// Seconds without a useless fraction: `3`, `0.5`.
fn secs(value: f64) -> String {
    format!("{value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_become_criterion_flags() {
        assert_eq!(
            Profile::full().criterion_args(None),
            ["--warm-up-time", "1", "--measurement-time", "3", "--noplot"]
        );
        let mut quick = Profile::quick();
        quick.sample_size = Some(20);
        quick.html = true;
        assert_eq!(
            quick.criterion_args(Some("queue/spsc")),
            [
                "--quick",
                "--warm-up-time",
                "0.5",
                "--measurement-time",
                "1",
                "queue/spsc"
            ]
        );
        assert_eq!(Profile::full().secs_per_benchmark(), 4.5);
        assert_eq!(Profile::quick().secs_per_benchmark(), 1.5);
        assert!(Profile::quick().describe().starts_with("quick"));
        assert_eq!(
            Profile::full().describe(),
            "full (1 s warm-up + 3 s measuring per benchmark)"
        );
    }

    #[test]
    fn shell_lines_quote_what_needs_it() {
        let args = ["bench", "--bench", "*", "it's", "a b", "x=1"].map(String::from);
        assert_eq!(
            shell_line("cargo", &args),
            r"cargo bench --bench '*' 'it'\''s' 'a b' x=1"
        );
    }
}
