//! What `bench` records about its run beside criterion's output, so that `report` can state it.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::results::read_json;

/// The file, inside the criterion directory.
const FILE: &str = "amphi-xtask-run.json";

/// One `cargo xtask bench` run.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RunInfo {
    /// The command as typed (`scripts/bench --quick`).
    pub(crate) command: String,
    /// The `cargo bench` command that measured.
    pub(crate) cargo_command: String,
    /// The profile in words.
    pub(crate) profile: String,
    /// Seconds since the epoch when measuring started; older results are stale.
    pub(crate) started: u64,
    /// Seconds the build took.
    pub(crate) build_secs: u64,
    /// Seconds measuring took.
    pub(crate) measure_secs: u64,
    /// How many benchmarks criterion listed before measuring.
    pub(crate) benchmarks: usize,
    /// The machine.
    pub(crate) machine: String,
    /// `rustc --version`.
    pub(crate) toolchain: String,
    /// The commit measured.
    pub(crate) commit: String,
    /// Why measuring failed (a bench binary exited with an error); empty when it did not.
    pub(crate) failure: String,
}

impl RunInfo {
    /// Where the run information of `criterion_dir` lives.
    pub(crate) fn path(criterion_dir: &Path) -> PathBuf {
        criterion_dir.join(FILE)
    }

    /// Writes the run information into `criterion_dir`.
    pub(crate) fn save(&self, criterion_dir: &Path) -> Result<()> {
        let value = json!({
            "command": self.command,
            "cargo_command": self.cargo_command,
            "profile": self.profile,
            "started": self.started,
            "build_secs": self.build_secs,
            "measure_secs": self.measure_secs,
            "benchmarks": self.benchmarks,
            "machine": self.machine,
            "toolchain": self.toolchain,
            "commit": self.commit,
            "failure": self.failure,
        });
        let path = Self::path(criterion_dir);
        fs::create_dir_all(criterion_dir)
            .map_err(|e| Error::io("creating directory", criterion_dir, e))?;
        let text =
            serde_json::to_string_pretty(&value).map_err(|e| Error::json(&path, e.to_string()))?;
        fs::write(&path, text + "\n").map_err(|e| Error::io("writing", &path, e))
    }

    /// Reads the run information of `criterion_dir`; `Ok(None)` when there is none.
    pub(crate) fn load(criterion_dir: &Path) -> Result<Option<Self>> {
        let path = Self::path(criterion_dir);
        if !path.exists() {
            return Ok(None);
        }
        let value = read_json(&path)?;
        let text = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| Error::json(&path, format!("no string `{key}`")))
        };
        let count = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_u64)
                .ok_or_else(|| Error::json(&path, format!("no integer `{key}`")))
        };
        Ok(Some(Self {
            command: text("command")?,
            cargo_command: text("cargo_command")?,
            profile: text("profile")?,
            started: count("started")?,
            build_secs: count("build_secs")?,
            measure_secs: count("measure_secs")?,
            benchmarks: usize::try_from(count("benchmarks")?).unwrap_or(usize::MAX),
            machine: text("machine")?,
            toolchain: text("toolchain")?,
            commit: text("commit")?,
            failure: value
                .get("failure")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdir::TestDir;

    #[test]
    fn round_trip_and_absence() {
        let dir = TestDir::new("run-info");
        assert_eq!(RunInfo::load(dir.path()).expect("load"), None);
        let info = RunInfo {
            command: "scripts/bench --quick".into(),
            started: 42,
            benchmarks: 3,
            failure: "`cargo bench` failed: exit status: 101".into(),
            ..RunInfo::default()
        };
        info.save(dir.path()).expect("save");
        assert_eq!(RunInfo::load(dir.path()).expect("load"), Some(info));
        dir.write(FILE, r#"{"command": 1}"#);
        let err = RunInfo::load(dir.path()).expect_err("bad file");
        assert!(err.to_string().contains("no string `command`"), "{err}");
    }
}
