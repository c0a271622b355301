//! `cargo xtask bench`: build and run every criterion benchmark of `amphi-benches` with one
//! profile, record the run, then write the report.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::error::{Error, Result};
use crate::machine;
use crate::profile::Profile;
use crate::report::minutes;
use crate::run_info::RunInfo;

/// The package holding every benchmark.
const PACKAGE: &str = "amphi-benches";

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
    /// The cargo to run (`$CARGO` under `cargo xtask`).
    pub(crate) cargo: String,
}

/// Builds, lists, measures and records; returns the run information.
///
/// A failing bench binary does not stop the others (`--no-fail-fast`), and the run is recorded
/// anyway with the failure in [`RunInfo::failure`], so that the report shows what was measured.
pub(crate) fn run(options: &BenchOptions) -> Result<RunInfo> {
    let cargo = options.cargo.as_str();
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
    run_cargo(cargo, &build, options, false)?;
    let build_secs = build_start.elapsed().as_secs();

    let mut list = base.clone();
    list.extend(["--".to_owned(), "--list".to_owned()]);
    list.extend(options.filter.clone());
    let listing = run_cargo(cargo, &list, options, true)?;
    let benchmarks = listing
        .lines()
        .filter(|l| l.ends_with(": benchmark"))
        .count();
    let timing = options.profile.timing(benchmarks);
    let estimate = options.profile.estimate_secs(benchmarks);
    eprintln!(
        "xtask: {benchmarks} benchmark(s), about {} of measuring: {}",
        minutes(estimate.ceil() as u64),
        options.profile.describe(timing)
    );

    let mut measure = base;
    measure.extend(["--no-fail-fast".to_owned(), "--".to_owned()]);
    measure.extend(
        options
            .profile
            .criterion_args(timing, options.filter.as_deref()),
    );
    let started = machine::now_unix();
    let measure_start = Instant::now();
    let failure = run_cargo(cargo, &measure, options, false).err();
    let measure_secs = measure_start.elapsed().as_secs();
    eprintln!(
        "xtask: build {}, measuring {}",
        minutes(build_secs),
        minutes(measure_secs)
    );

    let info = RunInfo {
        command: options.command.clone(),
        cargo_command: shell_line("cargo", &measure),
        profile: options.profile.describe(timing),
        started,
        build_secs,
        measure_secs,
        benchmarks,
        machine: machine::describe(),
        toolchain: machine::toolchain(&options.workspace),
        commit: machine::commit(&options.workspace),
        failure: failure.map(|e| e.to_string()).unwrap_or_default(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdir::TestDir;

    /// A stand-in for cargo that lists two benchmarks and writes their criterion output.
    const FAKE_CARGO: &str = r#"#!/bin/sh
case " $* " in
  *" --no-run "*) exit 0 ;;
  *" --list "*) printf 'g/amphi: benchmark\ng/flume: benchmark\n'; exit 0 ;;
esac
for f in amphi flume; do
  d="$CRITERION_HOME/g/$f/new"
  mkdir -p "$d"
  echo "{\"group_id\":\"g\",\"function_id\":\"$f\",\"throughput\":null}" > "$d/benchmark.json"
  echo '{"mean":{"point_estimate":10.0,"confidence_interval":{"lower_bound":9,"upper_bound":11}}}' > "$d/estimates.json"
done
echo "$*" > "$CRITERION_HOME/args"
exit EXIT
"#;

    fn fake_run(dir: &TestDir, exit: u8) -> RunInfo {
        use std::os::unix::fs::PermissionsExt as _;
        let cargo = dir.path().join("cargo");
        std::fs::write(&cargo, FAKE_CARGO.replace("EXIT", &exit.to_string())).expect("write");
        std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        // A test thread that spawns a process while `write` holds the script open hands the
        // open file to its child until the child execs, and running the script meanwhile
        // fails with "Text file busy" (ETXTBSY). Wait that out before the real run.
        for _ in 0..200 {
            match std::process::Command::new(&cargo).arg("--no-run").status() {
                Err(err) if err.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                _ => break,
            }
        }
        let options = BenchOptions {
            profile: Profile::quick(),
            filter: Some("g/".into()),
            criterion_dir: dir.path().join("criterion"),
            workspace: dir.path().to_path_buf(),
            command: "scripts/bench --quick --filter g/".into(),
            cargo: cargo.to_string_lossy().into_owned(),
        };
        run(&options).expect("run")
    }

    #[test]
    fn runs_lists_measures_and_records() {
        let dir = TestDir::new("bench-fake-cargo");
        let info = fake_run(&dir, 0);
        assert_eq!(info.benchmarks, 2);
        assert_eq!(info.failure, "");
        assert_eq!(info.command, "scripts/bench --quick --filter g/");
        assert!(
            info.cargo_command
                .starts_with("cargo bench -p amphi-benches --bench '*' --no-fail-fast -- --quick"),
            "{}",
            info.cargo_command
        );
        assert!(
            info.cargo_command.ends_with("--noplot g/"),
            "{}",
            info.cargo_command
        );
        let args = std::fs::read_to_string(dir.path().join("criterion/args")).expect("args");
        assert!(args.contains("--measurement-time 1 "), "{args}");
        let saved = RunInfo::load(&dir.path().join("criterion")).expect("load");
        assert_eq!(saved, Some(info));
        let written = crate::report::generate(&crate::report::ReportOptions {
            criterion_dir: dir.path().join("criterion"),
            out: dir.path().join("docs/benchmarks.md"),
            include_stale: false,
            workspace: dir.path().to_path_buf(),
        })
        .expect("report");
        assert_eq!(written.groups, 1);
    }

    #[test]
    fn a_failing_bench_is_recorded_not_fatal() {
        let dir = TestDir::new("bench-fake-cargo-fails");
        let info = fake_run(&dir, 101);
        assert!(
            info.failure.contains("exit status: 101"),
            "{}",
            info.failure
        );
        assert!(
            dir.path()
                .join("criterion/g/amphi/new/estimates.json")
                .exists()
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
