//! Reading criterion's own output files: `<criterion dir>/**/new/{benchmark,estimates}.json`.
//!
//! Criterion turns `/` in group names into `_` in directory names, so the names shown in the report
//! come from `benchmark.json` (`group_id`, `function_id`, `value_str`), never from the path.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

use crate::error::{Error, Result};

/// The work one iteration does, as declared with criterion's `Throughput`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Throughput {
    /// Bytes per iteration (`Bytes` and `BytesDecimal`).
    Bytes(f64),
    /// Bits per iteration.
    Bits(f64),
    /// Elements per iteration; `bytes` is set for `ElementsAndBytes`.
    Elements {
        /// Elements per iteration.
        elements: f64,
        /// Bytes per iteration, when declared too.
        bytes: Option<f64>,
    },
}

/// One benchmark's result: one `new/` directory of criterion's output.
#[derive(Clone, Debug)]
pub(crate) struct Measurement {
    /// The comparison group: criterion's `group_id`, plus `/value_str` when the benchmark has both a
    /// function id and a value (`BenchmarkId::new("amphi", "4KiB")`).
    pub(crate) group: String,
    /// The implementation (`amphi`, `flume`, `memcpy`, ...): criterion's `function_id`, or its
    /// `value_str` for `BenchmarkId::from_parameter("flume")`.
    pub(crate) function: String,
    /// Mean time per iteration in nanoseconds.
    pub(crate) mean_ns: f64,
    /// Lower and upper bound of the mean's confidence interval, in nanoseconds.
    pub(crate) mean_ci_ns: (f64, f64),
    /// Work per iteration, when declared.
    pub(crate) throughput: Option<Throughput>,
    /// When criterion wrote the result.
    pub(crate) written: Option<SystemTime>,
}

/// What [`load`] found: the results and the reasons some directories were skipped.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    /// Usable results, in no particular order.
    pub(crate) measurements: Vec<Measurement>,
    /// One line per skipped result directory.
    pub(crate) rejected: Vec<String>,
}

/// Reads every `new/benchmark.json` + `new/estimates.json` pair under `dir`.
///
/// A malformed pair is skipped and listed in [`Loaded::rejected`]; only an unreadable `dir`
/// itself is an error.
pub(crate) fn load(dir: &Path) -> Result<Loaded> {
    let mut loaded = Loaded::default();
    let mut pending = vec![dir.to_path_buf()];
    let mut first = true;
    while let Some(current) = pending.pop() {
        let entries = match fs::read_dir(&current) {
            Ok(entries) => entries,
            Err(e) if first => return Err(Error::io("reading directory", &current, e)),
            Err(e) => {
                loaded.rejected.push(format!("{}: {e}", current.display()));
                continue;
            }
        };
        first = false;
        for entry in entries.flatten() {
            let path = entry.path();
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            if entry.file_name() == "new" && path.join("benchmark.json").is_file() {
                match read_pair(&path) {
                    Ok(m) => loaded.measurements.push(m),
                    Err(e) => loaded.rejected.push(e.to_string()),
                }
            } else if entry.file_name() != "report" {
                pending.push(path);
            }
        }
    }
    Ok(loaded)
}

/// Reads one `new/` directory.
fn read_pair(new_dir: &Path) -> Result<Measurement> {
    let benchmark_path = new_dir.join("benchmark.json");
    let estimates_path = new_dir.join("estimates.json");
    let benchmark = read_json(&benchmark_path)?;
    let estimates = read_json(&estimates_path)?;

    let group_id = benchmark
        .get("group_id")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::json(&benchmark_path, "no string `group_id`"))?;
    let function_id = benchmark.get("function_id").and_then(Value::as_str);
    let value = benchmark
        .get("value_str")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty());
    let (group, function) = match (function_id, value) {
        (Some(function), Some(value)) => (format!("{group_id}/{value}"), function),
        (Some(function), None) => (group_id.to_owned(), function),
        // `BenchmarkId::from_parameter("flume")`: the parameter names the implementation.
        (None, Some(value)) => (group_id.to_owned(), value),
        (None, None) => (group_id.to_owned(), ""),
    };
    let function = function.to_owned();
    let throughput = parse_throughput(benchmark.get("throughput"))
        .map_err(|message| Error::json(&benchmark_path, message))?;

    let mean = estimates
        .get("mean")
        .ok_or_else(|| Error::json(&estimates_path, "no `mean`"))?;
    let mean_ns = number(mean.get("point_estimate"))
        .ok_or_else(|| Error::json(&estimates_path, "no number `mean.point_estimate`"))?;
    let ci = mean.get("confidence_interval");
    let lower = number(ci.and_then(|c| c.get("lower_bound"))).unwrap_or(f64::NAN);
    let upper = number(ci.and_then(|c| c.get("upper_bound"))).unwrap_or(f64::NAN);
    let written = fs::metadata(&estimates_path)
        .and_then(|m| m.modified())
        .ok();

    Ok(Measurement {
        group,
        function,
        mean_ns,
        mean_ci_ns: (lower, upper),
        throughput,
        written,
    })
}

/// Reads and parses one JSON file.
pub(crate) fn read_json(path: &Path) -> Result<Value> {
    let text = fs::read_to_string(path).map_err(|e| Error::io("reading", path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::json(path, e.to_string()))
}

/// A JSON number; criterion writes NaN as `null`, which we read back as NaN.
fn number(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Null => Some(f64::NAN),
        v => v.as_f64(),
    }
}

/// Criterion's serde form of `Option<Throughput>`: `null`, `{"Bytes": n}`, `{"Elements": n}`,
/// `{"BytesDecimal": n}`, `{"Bits": n}` or `{"ElementsAndBytes": {"elements": n, "bytes": m}}`.
fn parse_throughput(value: Option<&Value>) -> Result<Option<Throughput>, String> {
    let Some(value) = value else { return Ok(None) };
    if value.is_null() {
        return Ok(None);
    }
    let object = value
        .as_object()
        .filter(|o| o.len() == 1)
        .ok_or_else(|| format!("`throughput` is not a one-key object: {value}"))?;
    let (kind, amount) = object
        .iter()
        .next()
        .ok_or_else(|| "`throughput` is empty".to_owned())?;
    let count = |v: Option<&Value>| {
        v.and_then(Value::as_f64)
            .ok_or_else(|| format!("`throughput.{kind}` is not a number: {amount}"))
    };
    Ok(Some(match kind.as_str() {
        "Bytes" | "BytesDecimal" => Throughput::Bytes(count(Some(amount))?),
        "Bits" => Throughput::Bits(count(Some(amount))?),
        "Elements" => Throughput::Elements {
            elements: count(Some(amount))?,
            bytes: None,
        },
        "ElementsAndBytes" => Throughput::Elements {
            elements: count(amount.get("elements"))?,
            bytes: Some(count(amount.get("bytes"))?),
        },
        other => return Err(format!("unknown throughput kind `{other}`")),
    }))
}

/// Where criterion writes by default, resolved the way criterion itself does:
/// `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`, else `<cargo's target dir>/criterion`.
pub(crate) fn default_criterion_dir(workspace: &Path) -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return workspace.join(target).join("criterion");
    }
    crate::machine::cargo_target_dir(workspace)
        .unwrap_or_else(|| workspace.join("target"))
        .join("criterion")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdir::TestDir;

    #[test]
    fn reads_groups_values_and_throughput_kinds() {
        let dir = TestDir::new("results-kinds");
        dir.bench("a/b", Some("amphi"), None, 100.0, r#"{"Elements": 64}"#);
        dir.bench(
            "a/b",
            Some("flume"),
            Some("256B"),
            50.0,
            r#"{"Bytes": 256}"#,
        );
        dir.bench("c", None, None, 10.0, "null");
        dir.bench("a/b", None, Some("kanal"), 70.0, r#"{"Elements": 64}"#);
        dir.bench(
            "d",
            Some("x"),
            None,
            1.0,
            r#"{"ElementsAndBytes": {"elements": 2, "bytes": 8}}"#,
        );
        let mut loaded = load(dir.path()).expect("load");
        assert!(loaded.rejected.is_empty(), "{:?}", loaded.rejected);
        loaded
            .measurements
            .sort_by(|a, b| (&a.group, &a.function).cmp(&(&b.group, &b.function)));
        let names: Vec<_> = loaded
            .measurements
            .iter()
            .map(|m| (m.group.as_str(), m.function.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("a/b", "amphi"),
                ("a/b", "kanal"),
                ("a/b/256B", "flume"),
                ("c", ""),
                ("d", "x")
            ]
        );
        let m = &loaded.measurements;
        assert_eq!(m[0].mean_ns, 100.0);
        assert_eq!(
            m[0].throughput,
            Some(Throughput::Elements {
                elements: 64.0,
                bytes: None
            })
        );
        assert_eq!(m[2].throughput, Some(Throughput::Bytes(256.0)));
        assert_eq!(m[3].throughput, None);
        assert_eq!(
            m[4].throughput,
            Some(Throughput::Elements {
                elements: 2.0,
                bytes: Some(8.0)
            })
        );
    }

    #[test]
    fn skips_malformed_results_with_a_reason() {
        let dir = TestDir::new("results-bad");
        dir.bench("ok", Some("amphi"), None, 1.0, "null");
        dir.write("broken/amphi/new/benchmark.json", "{not json");
        dir.write("broken/amphi/new/estimates.json", "{}");
        dir.write(
            "nomean/amphi/new/benchmark.json",
            r#"{"group_id": "nomean"}"#,
        );
        dir.write("nomean/amphi/new/estimates.json", r#"{"median": {}}"#);
        dir.write("noest/amphi/new/benchmark.json", r#"{"group_id": "noest"}"#);
        dir.write(
            "kind/amphi/new/benchmark.json",
            r#"{"group_id": "k", "throughput": {"Apples": 1}}"#,
        );
        dir.write("kind/amphi/new/estimates.json", "{}");
        let loaded = load(dir.path()).expect("load");
        assert_eq!(loaded.measurements.len(), 1);
        assert_eq!(loaded.rejected.len(), 4, "{:?}", loaded.rejected);
        assert!(
            loaded
                .rejected
                .iter()
                .any(|r| r.contains("unknown throughput kind `Apples`"))
        );
    }

    #[test]
    fn null_estimates_read_as_nan() {
        let dir = TestDir::new("results-nan");
        dir.write(
            "g/amphi/new/benchmark.json",
            r#"{"group_id": "g", "function_id": "amphi"}"#,
        );
        dir.write(
            "g/amphi/new/estimates.json",
            r#"{"mean": {"point_estimate": null, "confidence_interval": null}}"#,
        );
        let loaded = load(dir.path()).expect("load");
        assert!(loaded.measurements[0].mean_ns.is_nan());
    }

    #[test]
    fn missing_directory_is_an_error() {
        let err = load(Path::new("/nonexistent/amphi-xtask")).expect_err("must fail");
        assert!(
            err.to_string().contains("/nonexistent/amphi-xtask"),
            "{err}"
        );
    }
}
