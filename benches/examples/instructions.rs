//! Instruction counts of one put and one get with nobody waiting, single-threaded, for amphi
//! and the peers: deterministic where wall time on a shared machine is not.
//!
//! Run under callgrind and compare against the `none` baseline (same loop, no channel):
//!
//! ```text
//! cargo build --release -p amphi-benches --example instructions
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/instructions amphi 1000000
//! ```
//!
//! `(Ir(impl) - Ir(none)) / N` is the cost of one put plus one get (`amphi-async` includes
//! `futures_lite::future::block_on` around each operation). See
//! `scripts/instructions` for the whole table.

use std::hint::black_box;

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "none".to_owned());
    let n: u64 = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let mut sum = 0u64;
    match which.as_str() {
        "none" => {
            for i in 0..n {
                sum = sum.wrapping_add(black_box(i));
            }
        }
        "amphi" => {
            let q = amphi_queue::Queue::bounded(64);
            for i in 0..n {
                q.try_put(i).map_err(drop).expect("room");
                sum = sum.wrapping_add(black_box(q.try_get().expect("item")));
            }
        }
        "amphi-blocking" => {
            let q = amphi_queue::Queue::bounded(64);
            for i in 0..n {
                q.put_blocking(i).expect("open");
                sum = sum.wrapping_add(black_box(q.get_blocking().expect("item")));
            }
        }
        "amphi-async" => {
            let q = amphi_queue::Queue::bounded(64);
            for i in 0..n {
                futures_lite::future::block_on(q.put(i)).expect("open");
                sum = sum.wrapping_add(black_box(
                    futures_lite::future::block_on(q.get()).expect("item"),
                ));
            }
        }
        "amphi-unbounded" => {
            let q = amphi_queue::Queue::unbounded();
            for i in 0..n {
                q.try_put(i).map_err(drop).expect("open");
                sum = sum.wrapping_add(black_box(q.try_get().expect("item")));
            }
        }
        "amphi-lifo" => {
            let q = amphi_queue::Queue::lifo(64);
            for i in 0..n {
                q.try_put(i).map_err(drop).expect("room");
                sum = sum.wrapping_add(black_box(q.try_get().expect("item")));
            }
        }
        "crossbeam-channel" => {
            let (tx, rx) = crossbeam_channel::bounded(64);
            for i in 0..n {
                tx.try_send(i).expect("room");
                sum = sum.wrapping_add(black_box(rx.try_recv().expect("item")));
            }
        }
        "crossbeam-channel-unbounded" => {
            let (tx, rx) = crossbeam_channel::unbounded();
            for i in 0..n {
                tx.try_send(i).expect("open");
                sum = sum.wrapping_add(black_box(rx.try_recv().expect("item")));
            }
        }
        "kanal" => {
            let (tx, rx) = kanal::bounded(64);
            for i in 0..n {
                tx.try_send(i).expect("open");
                sum = sum.wrapping_add(black_box(rx.try_recv().expect("open").expect("item")));
            }
        }
        "flume" => {
            let (tx, rx) = flume::bounded(64);
            for i in 0..n {
                tx.try_send(i).expect("room");
                sum = sum.wrapping_add(black_box(rx.try_recv().expect("item")));
            }
        }
        "async-channel" => {
            let (tx, rx) = async_channel::bounded(64);
            for i in 0..n {
                tx.try_send(i).expect("room");
                sum = sum.wrapping_add(black_box(rx.try_recv().expect("item")));
            }
        }
        "tokio-mpsc" => {
            let (tx, mut rx) = tokio::sync::mpsc::channel(64);
            for i in 0..n {
                tx.try_send(i).expect("room");
                sum = sum.wrapping_add(black_box(rx.try_recv().expect("item")));
            }
        }
        other => {
            eprintln!("unknown implementation {other}");
            std::process::exit(2);
        }
    }
    println!("{which}: {n} round trips (sum {sum})");
}
