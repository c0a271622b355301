//! Workspace automation for amphi: `cargo xtask bench` runs every criterion benchmark and
//! writes `docs/benchmarks.md` with its plots; `cargo xtask report` rewrites them from
//! criterion's existing output.
//!
//! ```text
//! cargo xtask bench [--quick] [--filter REGEX] [--warm-up SECS] [--measure SECS]
//!                   [--sample-size N] [--html] [--no-report] [--criterion-dir PATH] [--out PATH]
//! cargo xtask report [--criterion-dir PATH] [--out PATH] [--include-stale]
//! ```
//!
//! `.cargo/config.toml` defines the alias; `scripts/bench` is the documented front door.

#![forbid(unsafe_code)]

mod bench;
mod compare;
mod error;
mod machine;
mod markdown;
mod plot;
mod profile;
mod report;
mod results;
mod run_info;
#[cfg(test)]
mod testdir;
mod units;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bench::BenchOptions;
use error::{Error, Result};
use profile::Profile;
use report::ReportOptions;

/// The report of the whole suite, relative to the workspace root.
const DEFAULT_REPORT: &str = "docs/benchmarks.md";

/// Where a `--filter` run writes its report, inside the criterion directory.
const PARTIAL_REPORT: &str = "amphi-report/benchmarks.md";

/// The help text.
const USAGE: &str = "\
cargo xtask: amphi's workspace automation

USAGE:
    cargo xtask bench [OPTIONS]    run every criterion benchmark, then write the report
    cargo xtask report [OPTIONS]   write the report from criterion's existing output
    cargo xtask help               print this

BENCH OPTIONS:
    --quick              criterion --quick: measuring takes under 2 minutes
    --filter REGEX       only benchmarks whose id matches REGEX (criterion's filter); the
                         report then goes to <criterion dir>/amphi-report/ unless --out
    --warm-up SECS       warm-up per benchmark (default: 1, less for large suites)
    --measure SECS       measuring per benchmark (default: 3, less for large suites so that
                         measuring fits 7.5 minutes; quick: at most 1, fitted to 75 s)
    --sample-size N      samples per benchmark (full profile only; criterion's default 100)
    --html               keep criterion's own HTML report (slower)
    --no-report          do not write the report afterwards

COMMON OPTIONS:
    --criterion-dir PATH criterion's output (default: $CRITERION_HOME, else <target>/criterion)
    --out PATH           the markdown file (default: docs/benchmarks.md); plots go to plots/ beside it
    --include-stale      (report) also show results older than the last recorded bench run

See docs/benchmarks-howto.md.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Parses the command line and runs the subcommand.
fn run(args: &[String]) -> Result<()> {
    let workspace = workspace_root();
    match parse(args)? {
        Cli::Help => {
            println!("{USAGE}");
            Ok(())
        }
        Cli::Report { common } => write_report(&workspace, &common),
        Cli::Bench {
            profile,
            filter,
            report,
            common,
        } => {
            let criterion_dir = criterion_dir(&workspace, &common);
            let invoked_as = std::env::var("AMPHI_XTASK_INVOKED_AS")
                .unwrap_or_else(|_| "cargo xtask bench".to_owned());
            let options = BenchOptions {
                profile,
                filter,
                criterion_dir,
                command: bench::shell_line(&invoked_as, args.get(1..).unwrap_or_default()),
                workspace: workspace.clone(),
                cargo: std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()),
            };
            let info = bench::run(&options)?;
            if report {
                let common = partial_out(common, options.filter.is_some(), &options.criterion_dir);
                write_report(&workspace, &common)?;
            }
            if info.failure.is_empty() {
                Ok(())
            } else {
                Err(Error::BenchFailed(info.failure))
            }
        }
    }
}

/// Options both subcommands take.
#[derive(Clone, Debug, Default, PartialEq)]
struct Common {
    criterion_dir: Option<PathBuf>,
    out: Option<PathBuf>,
    include_stale: bool,
}

/// A parsed command line.
#[derive(Clone, Debug, PartialEq)]
enum Cli {
    Help,
    Report {
        common: Common,
    },
    Bench {
        profile: Profile,
        filter: Option<String>,
        report: bool,
        common: Common,
    },
}

/// Parses the arguments after `cargo xtask`.
fn parse(args: &[String]) -> Result<Cli> {
    let Some((subcommand, rest)) = args.split_first() else {
        return Ok(Cli::Help);
    };
    let bench = match subcommand.as_str() {
        "help" | "--help" | "-h" => return Ok(Cli::Help),
        "bench" => true,
        "report" => false,
        other => return Err(Error::Usage(format!("unknown subcommand `{other}`"))),
    };
    let mut common = Common::default();
    let (mut quick, mut html, mut report) = (false, false, true);
    let (mut warm_up, mut measure, mut sample_size, mut filter) = (None, None, None, None);
    let mut rest = rest.iter();
    while let Some(flag) = rest.next() {
        let mut value = || {
            rest.next()
                .cloned()
                .ok_or_else(|| Error::Usage(format!("`{flag}` needs a value")))
        };
        match (flag.as_str(), bench) {
            ("--help" | "-h", _) => return Ok(Cli::Help),
            ("--criterion-dir", _) => common.criterion_dir = Some(value()?.into()),
            ("--out", _) => common.out = Some(value()?.into()),
            ("--include-stale", _) => common.include_stale = true,
            ("--quick", true) => quick = true,
            ("--html", true) => html = true,
            ("--no-report", true) => report = false,
            ("--filter", true) => filter = Some(value()?),
            ("--warm-up", true) => warm_up = Some(seconds(flag, &value()?)?),
            ("--measure", true) => measure = Some(seconds(flag, &value()?)?),
            ("--sample-size", true) => {
                let v = value()?;
                let n: usize = v.parse().ok().filter(|n| *n >= 10).ok_or_else(|| {
                    Error::Usage(format!("`--sample-size {v}`: need an integer >= 10"))
                })?;
                sample_size = Some(n);
            }
            (other, _) => {
                return Err(Error::Usage(format!(
                    "unknown option `{other}` for `{subcommand}`"
                )));
            }
        }
    }
    if !bench {
        return Ok(Cli::Report { common });
    }
    if quick && sample_size.is_some() {
        return Err(Error::Usage(
            "`--sample-size` has no effect with `--quick` (criterion takes two samples)".into(),
        ));
    }
    let mut profile = if quick {
        Profile::quick()
    } else {
        Profile::full()
    };
    profile.warm_up = warm_up;
    profile.measure = measure;
    profile.sample_size = sample_size;
    profile.html = html;
    Ok(Cli::Bench {
        profile,
        filter,
        report,
        common,
    })
}

/// A positive number of seconds.
fn seconds(flag: &str, value: &str) -> Result<f64> {
    value
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .ok_or_else(|| {
            Error::Usage(format!(
                "`{flag} {value}`: need a positive number of seconds"
            ))
        })
}

/// Sends the report of a filtered run into the criterion directory unless `--out` says where:
/// a partial run must not replace the committed report of the whole suite.
fn partial_out(mut common: Common, filtered: bool, criterion_dir: &Path) -> Common {
    if filtered && common.out.is_none() {
        common.out = Some(criterion_dir.join(PARTIAL_REPORT));
    }
    common
}

/// Writes the report and says where.
fn write_report(workspace: &Path, common: &Common) -> Result<()> {
    let out = match &common.out {
        Some(out) => bench::absolute(out, &current_dir_or(workspace)),
        None => workspace.join(DEFAULT_REPORT),
    };
    let options = ReportOptions {
        criterion_dir: criterion_dir(workspace, common),
        out,
        include_stale: common.include_stale,
        workspace: workspace.to_path_buf(),
    };
    let written = report::generate(&options)?;
    eprintln!(
        "xtask: wrote {} ({} group(s), {} plot(s)) from {}",
        options.out.display(),
        written.groups,
        written.plots.len(),
        options.criterion_dir.display()
    );
    Ok(())
}

/// The criterion directory: the option, made absolute, or criterion's own default.
fn criterion_dir(workspace: &Path, common: &Common) -> PathBuf {
    match &common.criterion_dir {
        Some(dir) => bench::absolute(dir, &current_dir_or(workspace)),
        None => results::default_criterion_dir(workspace),
    }
}

/// The directory the user ran the command from (cargo runs us from there), or `fallback`.
fn current_dir_or(fallback: &Path) -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| fallback.to_path_buf())
}

/// The workspace root: the parent of this crate's directory.
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_bench_and_report() {
        assert_eq!(parse(&[]).expect("empty"), Cli::Help);
        let Cli::Bench {
            profile,
            filter,
            report,
            common,
        } = parse(&args(
            "bench --quick --filter queue/ --no-report --out x.md",
        ))
        .expect("bench")
        else {
            panic!("not bench");
        };
        assert!(profile.quick && !report);
        assert_eq!(profile.measure, None);
        assert_eq!(filter.as_deref(), Some("queue/"));
        assert_eq!(common.out, Some(PathBuf::from("x.md")));
        let Cli::Bench { profile, .. } =
            parse(&args("bench --warm-up 0.5 --measure 2 --sample-size 50")).expect("bench")
        else {
            panic!("not bench");
        };
        assert_eq!(
            (profile.warm_up, profile.measure, profile.sample_size),
            (Some(0.5), Some(2.0), Some(50))
        );
        assert_eq!(
            parse(&args("report --criterion-dir /tmp/c --include-stale")).expect("report"),
            Cli::Report {
                common: Common {
                    criterion_dir: Some("/tmp/c".into()),
                    out: None,
                    include_stale: true
                }
            }
        );
    }

    #[test]
    fn filtered_runs_do_not_replace_the_committed_report() {
        let dir = Path::new("/t/criterion");
        let out = partial_out(Common::default(), true, dir).out;
        assert_eq!(
            out,
            Some(PathBuf::from("/t/criterion/amphi-report/benchmarks.md"))
        );
        assert_eq!(partial_out(Common::default(), false, dir).out, None);
        let chosen = Common {
            out: Some("x.md".into()),
            ..Common::default()
        };
        assert_eq!(
            partial_out(chosen, true, dir).out,
            Some(PathBuf::from("x.md"))
        );
    }

    #[test]
    fn rejects_bad_command_lines() {
        for (line, message) in [
            ("frobnicate", "unknown subcommand `frobnicate`"),
            ("bench --measure", "`--measure` needs a value"),
            ("bench --measure -1", "need a positive number"),
            ("bench --measure NaN", "need a positive number"),
            ("bench --sample-size 5", "need an integer >= 10"),
            ("bench --quick --sample-size 50", "no effect with `--quick`"),
            ("report --quick", "unknown option `--quick` for `report`"),
        ] {
            let err = parse(&args(line)).expect_err(line);
            assert!(err.to_string().contains(message), "{line}: {err}");
        }
    }
}
