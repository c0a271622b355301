//! Test-only scratch directories holding synthetic criterion output.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory under the system temp dir, removed on drop.
#[derive(Debug)]
pub(crate) struct TestDir(PathBuf);

impl TestDir {
    /// Creates `<tmp>/amphi-xtask-<pid>-<n>-<name>`.
    pub(crate) fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("amphi-xtask-{}-{n}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create test dir");
        Self(path)
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `text` to `relative`, creating parent directories.
    pub(crate) fn write(&self, relative: &str, text: &str) {
        let path = self.0.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create parent");
        }
        fs::write(path, text).expect("write test file");
    }

    /// Writes one benchmark's `new/benchmark.json` and `new/estimates.json` the way criterion
    /// lays them out (`/` in names becomes `_`).
    pub(crate) fn bench(
        &self,
        group: &str,
        function: Option<&str>,
        value: Option<&str>,
        mean_ns: f64,
        throughput_json: &str,
    ) {
        let safe = |s: &str| s.replace(['/', ':', '?', '*'], "_");
        let mut dir = safe(group);
        if let Some(f) = function {
            dir = format!("{dir}/{}", safe(f));
        }
        if let Some(v) = value {
            dir = format!("{dir}/{}", safe(v));
        }
        let quote = |o: Option<&str>| o.map_or("null".to_owned(), |s| format!("{s:?}"));
        self.write(
            &format!("{dir}/new/benchmark.json"),
            &format!(
                r#"{{"group_id":{group:?},"function_id":{},"value_str":{},"throughput":{throughput_json},"full_id":"x","directory_name":{dir:?},"title":"x"}}"#,
                quote(function),
                quote(value),
            ),
        );
        let estimate = |v: f64| {
            format!(
                r#"{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":{},"upper_bound":{}}},"point_estimate":{v},"standard_error":1.0}}"#,
                v * 0.98,
                v * 1.02
            )
        };
        self.write(
            &format!("{dir}/new/estimates.json"),
            &format!(
                r#"{{"mean":{m},"median":{m},"median_abs_dev":{m},"slope":null,"std_dev":{m}}}"#,
                m = estimate(mean_ns)
            ),
        );
        // Criterion also keeps the previous run beside `new/`; it must be ignored.
        self.write(&format!("{dir}/base/benchmark.json"), "{}");
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
