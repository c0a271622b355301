//! Threads and tasks working together on any runtime: a thread pool does blocking work,
//! async tasks fan it out and collect it, with no runtime started by hand.
//!
//! Run with `cargo run -p amphi-rt --example bridge`.

use std::time::{Duration, Instant};

use amphi_rt::Runtime;

fn main() {
    let rt = Runtime::global();
    let start = Instant::now();
    let total = futures_lite::future::block_on(async {
        // Eight tasks, each handing a blocking computation to the pool and awaiting it.
        let tasks: Vec<_> = (1..=8u64)
            .map(|n| {
                let rt2 = rt.clone();
                rt.spawn(async move {
                    let sum = rt2
                        .spawn_blocking(move || {
                            std::thread::sleep(Duration::from_millis(50));
                            (1..=n * 1_000_000).sum::<u64>()
                        })
                        .await;
                    (n, sum)
                })
            })
            .collect();
        let mut total = 0u64;
        for task in tasks {
            match task.await {
                Ok((n, Ok(sum))) => {
                    println!("task {n}: sum of 1..={n}M = {sum}");
                    total = total.wrapping_add(sum);
                }
                Ok((n, Err(err))) => eprintln!("task {n}: blocking work failed: {err}"),
                Err(err) => eprintln!("a task failed: {err}"),
            }
        }
        total
    });
    println!(
        "total {total} in {:?} (8 x 50 ms of blocking work, run in parallel)",
        start.elapsed()
    );
}
