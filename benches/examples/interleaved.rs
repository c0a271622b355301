//! amphi's queue, crossbeam-channel and kanal between threads (blocking on both sides), run
//! in turn in one process: one trial of each, repeated, so that a slow spell of a shared
//! machine (criterion measures one implementation for seconds, then the next) lands on all
//! of them. Prints quartiles and the mean of each, in M items a second, and amphi's median
//! over the best peer's.
//!
//! ```text
//! cargo run --release -p amphi-benches --example interleaved -- mpmc 1 5000 300
//! ```
//!
//! Arguments: `spsc` or `mpmc` (2 producers, 2 consumers), the capacity, messages per
//! trial, trials per implementation. The workload is `benches/queue.rs`'s
//! (`queue_workload::time_threads`). This is a diagnostic beside the criterion report
//! (`docs/benchmarks.md`), not a replacement for it.

use amphi_benches::queue_workload::{LastOut, Shape, time_threads};
use amphi_queue::Queue;

/// One trial through amphi's queue; M items a second.
fn amphi(shape: Shape, cap: usize, n: u64) -> f64 {
    let queue = Queue::bounded(cap);
    let last = LastOut::new(shape.producers);
    let q = queue.clone();
    let took = time_threads(
        shape,
        n,
        move |_, count| {
            for i in 0..count {
                let _ = q.put_blocking(i);
            }
            last.done(|| {
                q.close();
            });
        },
        move |_| {
            let mut got = 0;
            while queue.get_blocking().is_ok() {
                got += 1;
            }
            got
        },
    );
    n as f64 / took.as_secs_f64() / 1e6
}

/// One trial through a peer's channel, ends `tx` and `rx`, that ends when every sender is
/// gone; M items a second.
fn channel<S, R>(
    shape: Shape,
    n: u64,
    (tx, rx): (S, R),
    send: fn(&S, u64),
    recv: fn(&R) -> bool,
) -> f64
where
    S: Send + Sync + 'static,
    R: Send + Sync + 'static,
{
    let took = time_threads(
        shape,
        n,
        move |_, count| {
            for i in 0..count {
                send(&tx, i);
            }
        },
        move |_| {
            let mut got = 0;
            while recv(&rx) {
                got += 1;
            }
            got
        },
    );
    n as f64 / took.as_secs_f64() / 1e6
}

/// One trial through crossbeam-channel; M items a second.
fn crossbeam(shape: Shape, cap: usize, n: u64) -> f64 {
    channel(
        shape,
        n,
        crossbeam_channel::bounded(cap),
        |tx, i| {
            let _ = tx.send(i);
        },
        |rx| rx.recv().is_ok(),
    )
}

/// One trial through kanal; M items a second.
fn kanal(shape: Shape, cap: usize, n: u64) -> f64 {
    channel(
        shape,
        n,
        kanal::bounded(cap),
        |tx, i| {
            let _ = tx.send(i);
        },
        |rx| rx.recv().is_ok(),
    )
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize, what: &str) -> T {
    args.get(i).and_then(|a| a.parse().ok()).unwrap_or_else(|| {
        eprintln!("usage: interleaved spsc|mpmc CAPACITY MESSAGES TRIALS ({what} missing)");
        std::process::exit(2)
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let shape = match args.first().map(String::as_str) {
        Some("spsc") => Shape::SPSC,
        Some("mpmc") => Shape::MPMC,
        _ => {
            eprintln!("usage: interleaved spsc|mpmc CAPACITY MESSAGES TRIALS");
            std::process::exit(2)
        }
    };
    let cap: usize = arg(&args, 1, "CAPACITY");
    let n: u64 = arg(&args, 2, "MESSAGES");
    let trials: usize = arg(&args, 3, "TRIALS");
    if trials == 0 || n == 0 {
        eprintln!("interleaved: MESSAGES and TRIALS must be at least 1");
        std::process::exit(2)
    }
    type Trial = fn(Shape, usize, u64) -> f64;
    let runs: [(&str, Trial); 3] = [
        ("amphi", amphi),
        ("crossbeam-channel", crossbeam),
        ("kanal", kanal),
    ];
    let mut rates = vec![Vec::with_capacity(trials); runs.len()];
    for trial in 0..trials {
        // Rotate who goes first, so no one always follows the same neighbour.
        for k in 0..runs.len() {
            let which = (trial + k) % runs.len();
            rates[which].push(runs[which].1(shape, cap, n));
        }
    }
    let mut medians = Vec::new();
    for ((name, _), rates) in runs.iter().zip(&mut rates) {
        rates.sort_by(f64::total_cmp);
        let at = |q: f64| rates[((rates.len() - 1) as f64 * q) as usize];
        let mean = rates.iter().sum::<f64>() / rates.len() as f64;
        medians.push(at(0.5));
        println!(
            "{name:>17}: p25 {:6.2}  median {:6.2}  p75 {:6.2}  mean {mean:6.2}",
            at(0.25),
            at(0.5),
            at(0.75)
        );
    }
    let best_peer = medians[1..].iter().copied().fold(0.0, f64::max);
    println!(
        "amphi / best peer (medians): {:.3}x",
        medians[0] / best_peer
    );
}
