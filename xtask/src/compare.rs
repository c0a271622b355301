//! Grouping results into sections and groups, and comparing each row with the best peer.
//!
//! A function id starting with `amphi` is ours; `memcpy` and ids starting with `floor` are
//! reference floors (shown, never the "best peer"); everything else is a peer.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::results::{Measurement, Throughput};

/// What a row stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Role {
    /// One of our implementations.
    Ours,
    /// A peer crate users could pick instead.
    Peer,
    /// A reference floor (e.g. `memcpy`): what no implementation can beat.
    Floor,
}

impl Role {
    /// Classifies a criterion function id.
    pub(crate) fn of(function: &str) -> Self {
        if function.starts_with("amphi") {
            Self::Ours
        } else if function == "memcpy" || function.starts_with("floor") {
            Self::Floor
        } else {
            Self::Peer
        }
    }

    /// The word shown in the tables.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Ours => "ours",
            Self::Peer => "peer",
            Self::Floor => "floor",
        }
    }
}

/// The unit a group's rows are compared in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    /// Elements per second.
    Elements,
    /// Bytes per second.
    Bytes,
    /// Bits per second.
    Bits,
    /// Iterations per second (no throughput declared, or mixed kinds in one group).
    Iterations,
}

/// One implementation's result within a group.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    /// The measurement.
    pub(crate) measurement: Measurement,
    /// Ours, peer or floor.
    pub(crate) role: Role,
    /// Work per second in the group's [`Unit`]; `None` when the time is not a positive number.
    pub(crate) rate: Option<f64>,
    /// `rate / best peer's rate`; `None` without a peer or a rate.
    pub(crate) vs_best_peer: Option<f64>,
    /// Bytes per second, for `ElementsAndBytes` throughput in an element-rated group.
    pub(crate) bytes_rate: Option<f64>,
}

/// One criterion group (plus value): the rows that compete with each other.
#[derive(Clone, Debug)]
pub(crate) struct Group {
    /// The full name, e.g. `queue/spsc/bounded64/sync_to_async`.
    pub(crate) name: String,
    /// The unit the rates are in.
    pub(crate) unit: Unit,
    /// Ours first, then peers fastest first, then floors.
    pub(crate) rows: Vec<Row>,
    /// The function id of the fastest peer, if any peer has a rate.
    pub(crate) best_peer: Option<String>,
}

impl Group {
    /// The name without its section prefix (`spsc/bounded64/sync_to_async`).
    pub(crate) fn short_name(&self) -> &str {
        self.name
            .split_once('/')
            .map_or(self.name.as_str(), |(_, rest)| rest)
    }

    /// The row of `function`, if the group has one.
    pub(crate) fn row(&self, function: &str) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.measurement.function == function)
    }
}

/// All groups sharing a first path segment (usually one bench file: `queue`, `codec`, ...).
#[derive(Clone, Debug)]
pub(crate) struct Section {
    /// The first path segment of the group names.
    pub(crate) name: String,
    /// Groups in natural name order (`2` before `10`).
    pub(crate) groups: Vec<Group>,
}

impl Section {
    /// Every function id seen in this section: ours first, then peers, then floors, by name.
    pub(crate) fn functions(&self) -> Vec<(Role, String)> {
        let mut all: Vec<(Role, String)> = self
            .groups
            .iter()
            .flat_map(|g| g.rows.iter())
            .map(|r| (r.role, r.measurement.function.clone()))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| natural_cmp(&a.1, &b.1)));
        all.dedup();
        all
    }
}

/// Splits measurements into sections and groups and computes every ratio.
pub(crate) fn build(measurements: Vec<Measurement>) -> Vec<Section> {
    let mut by_group: BTreeMap<String, Vec<Measurement>> = BTreeMap::new();
    for m in measurements {
        by_group.entry(m.group.clone()).or_default().push(m);
    }
    let mut sections: BTreeMap<String, Vec<Group>> = BTreeMap::new();
    for (name, members) in by_group {
        let section = name.split('/').next().unwrap_or_default().to_owned();
        sections
            .entry(section)
            .or_default()
            .push(group(name, members));
    }
    sections
        .into_iter()
        .map(|(name, mut groups)| {
            groups.sort_by(|a, b| natural_cmp(&a.name, &b.name));
            Section { name, groups }
        })
        .collect()
}

/// Builds one group: picks the unit, the rates, the best peer and the ratios.
fn group(name: String, members: Vec<Measurement>) -> Group {
    let unit = common_unit(&members);
    let mut rows: Vec<Row> = members
        .into_iter()
        .map(|measurement| Row {
            role: Role::of(&measurement.function),
            rate: rate(&measurement, unit),
            bytes_rate: bytes_rate(&measurement, unit),
            measurement,
            vs_best_peer: None,
        })
        .collect();
    let best = rows
        .iter()
        .filter(|r| r.role == Role::Peer)
        .filter_map(|r| Some((r.rate?, r.measurement.function.clone())))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    for row in &mut rows {
        row.vs_best_peer = match (row.rate, &best) {
            (Some(rate), Some((best_rate, _))) => Some(rate / best_rate),
            _ => None,
        };
    }
    rows.sort_by(|a, b| {
        a.role
            .cmp(&b.role)
            .then_with(|| match a.role {
                Role::Ours => natural_cmp(&a.measurement.function, &b.measurement.function),
                _ => cmp_rate_desc(a.rate, b.rate),
            })
            .then_with(|| natural_cmp(&a.measurement.function, &b.measurement.function))
    });
    Group {
        name,
        unit,
        rows,
        best_peer: best.map(|(_, function)| function),
    }
}

/// The unit every member can be compared in: their common throughput kind, else iterations.
fn common_unit(members: &[Measurement]) -> Unit {
    let unit_of = |m: &Measurement| match m.throughput {
        Some(Throughput::Elements { .. }) => Unit::Elements,
        Some(Throughput::Bytes(_)) => Unit::Bytes,
        Some(Throughput::Bits(_)) => Unit::Bits,
        None => Unit::Iterations,
    };
    let mut units = members.iter().map(unit_of);
    let first = units.next().unwrap_or(Unit::Iterations);
    if units.all(|u| u == first) {
        first
    } else {
        Unit::Iterations
    }
}

/// Work per second of `m` in `unit`; `None` for a time that is NaN, infinite or not positive.
fn rate(m: &Measurement, unit: Unit) -> Option<f64> {
    if !(m.mean_ns.is_finite() && m.mean_ns > 0.0) {
        return None;
    }
    let per_iteration = match (unit, m.throughput) {
        (Unit::Elements, Some(Throughput::Elements { elements, .. })) => elements,
        (Unit::Bytes, Some(Throughput::Bytes(bytes))) => bytes,
        (Unit::Bits, Some(Throughput::Bits(bits))) => bits,
        _ => 1.0,
    };
    let rate = per_iteration / (m.mean_ns * 1e-9);
    (rate.is_finite() && rate > 0.0).then_some(rate)
}

/// Bytes per second of an `ElementsAndBytes` measurement shown in elements.
fn bytes_rate(m: &Measurement, unit: Unit) -> Option<f64> {
    match (unit, m.throughput) {
        (
            Unit::Elements,
            Some(Throughput::Elements {
                bytes: Some(bytes), ..
            }),
        ) => {
            let rate = bytes / (m.mean_ns * 1e-9);
            (m.mean_ns > 0.0 && rate.is_finite() && rate > 0.0).then_some(rate)
        }
        _ => None,
    }
}

/// Orders `Some` rates fastest first, `None` last.
fn cmp_rate_desc(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => b.total_cmp(&a),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Compares strings with digit runs compared as numbers: `4KiB` < `64KiB` < `256KiB`.
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (va, rest_a) = sized_number(a);
                let (vb, rest_b) = sized_number(b);
                if va != vb {
                    return va.cmp(&vb);
                }
                a = rest_a;
                b = rest_b;
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

/// A leading digit run as a number, scaled by a following size suffix (`KiB`, `MB`, ...), and the
/// text after the digits (the suffix still compares as text, so `1KiB` and `1024B` stay apart).
fn sized_number(s: &[u8]) -> (u128, &[u8]) {
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let value = s[..digits].iter().fold(0u128, |v, &c| {
        v.saturating_mul(10).saturating_add(u128::from(c - b'0'))
    });
    let rest = &s[digits..];
    let scale: u128 = [
        (&b"KiB"[..], 1 << 10),
        (b"MiB", 1 << 20),
        (b"GiB", 1 << 30),
        (b"KB", 1_000),
        (b"kB", 1_000),
        (b"MB", 1_000_000),
        (b"GB", 1_000_000_000),
    ]
    .iter()
    .find(|(suffix, _)| rest.starts_with(suffix))
    .map_or(1, |&(_, scale)| scale);
    (value.saturating_mul(scale), rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(group: &str, function: &str, mean_ns: f64, elements: Option<f64>) -> Measurement {
        Measurement {
            group: group.to_owned(),
            function: function.to_owned(),
            mean_ns,
            mean_ci_ns: (mean_ns, mean_ns),
            throughput: elements.map(|elements| Throughput::Elements {
                elements,
                bytes: None,
            }),
            written: None,
        }
    }

    #[test]
    fn roles() {
        assert_eq!(Role::of("amphi"), Role::Ours);
        assert_eq!(Role::of("amphi_async"), Role::Ours);
        assert_eq!(Role::of("memcpy"), Role::Floor);
        assert_eq!(Role::of("floor:copy"), Role::Floor);
        assert_eq!(Role::of("flume"), Role::Peer);
        assert_eq!(Role::of(""), Role::Peer);
    }

    #[test]
    fn ratio_to_best_peer_ignores_floors() {
        let sections = build(vec![
            m("q/spsc", "amphi", 100.0, Some(1000.0)),
            m("q/spsc", "flume", 200.0, Some(1000.0)),
            m("q/spsc", "kanal", 50.0, Some(1000.0)),
            m("q/spsc", "memcpy", 1.0, Some(1000.0)),
            m("q/spsc", "floor:spin", 2.0, Some(1000.0)),
        ]);
        let g = &sections[0].groups[0];
        assert_eq!(g.best_peer.as_deref(), Some("kanal"));
        assert_eq!(g.unit, Unit::Elements);
        let order: Vec<_> = g
            .rows
            .iter()
            .map(|r| r.measurement.function.as_str())
            .collect();
        assert_eq!(order, ["amphi", "kanal", "flume", "memcpy", "floor:spin"]);
        let amphi = g.row("amphi").and_then(|r| r.vs_best_peer).expect("ratio");
        assert!((amphi - 0.5).abs() < 1e-12);
        let rate = g.row("amphi").and_then(|r| r.rate).expect("rate");
        assert!((rate - 1e10).abs() < 1.0, "{rate}");
        assert_eq!(g.row("amphi").and_then(|r| r.bytes_rate), None);
    }

    #[test]
    fn groups_without_peers_or_amphi_or_time() {
        let sections = build(vec![
            m("a/only_amphi", "amphi", 10.0, None),
            m("a/no_amphi", "flume", 10.0, None),
            m("a/nan", "amphi", f64::NAN, None),
            m("a/nan", "flume", 10.0, None),
            m("b/x", "amphi", 0.0, None),
        ]);
        assert_eq!(sections.len(), 2);
        let a = &sections[0];
        let only = a
            .groups
            .iter()
            .find(|g| g.name == "a/only_amphi")
            .expect("group");
        assert_eq!(only.best_peer, None);
        assert_eq!(only.rows[0].vs_best_peer, None);
        let nan = a.groups.iter().find(|g| g.name == "a/nan").expect("group");
        assert_eq!(nan.row("amphi").and_then(|r| r.vs_best_peer), None);
        assert_eq!(nan.row("flume").and_then(|r| r.vs_best_peer), Some(1.0));
        assert_eq!(sections[1].groups[0].rows[0].rate, None);
    }

    #[test]
    fn mixed_throughput_kinds_fall_back_to_time() {
        let sections = build(vec![
            m("g", "amphi", 10.0, Some(5.0)),
            m("g", "p", 20.0, None),
        ]);
        let g = &sections[0].groups[0];
        assert_eq!(g.unit, Unit::Iterations);
        assert_eq!(g.row("amphi").and_then(|r| r.vs_best_peer), Some(2.0));
    }

    #[test]
    fn elements_and_bytes_keep_both_rates() {
        let mut both = m("c/x", "amphi", 1000.0, None);
        both.throughput = Some(Throughput::Elements {
            elements: 10.0,
            bytes: Some(4096.0),
        });
        let sections = build(vec![both]);
        let row = &sections[0].groups[0].rows[0];
        assert_eq!(sections[0].groups[0].unit, Unit::Elements);
        assert!((row.rate.unwrap_or_default() - 1e7).abs() < 1e-3);
        assert!((row.bytes_rate.unwrap_or_default() - 4.096e9).abs() < 1.0);
    }

    #[test]
    fn natural_order() {
        let mut names = vec!["c/64KiB", "c/256B", "c/4KiB", "c/1MiB", "c/04KiB"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(names, ["c/256B", "c/4KiB", "c/04KiB", "c/64KiB", "c/1MiB"]);
        let mut plain = vec!["x10", "x9", "x1k"];
        plain.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(plain, ["x1k", "x9", "x10"]);
    }
}
