//! Instructions per frame of each codec benchmark row, for amphi and the peers: the
//! workloads of `benches/codec.rs` (the same frames, codecs and sinks, one stream at a time,
//! single-threaded, but at one fixed placement: no moving sources or outputs), to be counted
//! by callgrind where wall time on a shared machine is not repeatable.
//!
//! ```text
//! cargo build --release -p amphi-benches --example codec_instructions
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/codec_instructions amphi decode/16B 4
//! ```
//!
//! Arguments: the implementation (`amphi`, `tokio-util`, `asynchronous-codec` or `memcpy`),
//! the row (`decode/{16B,256B,4KiB,64KiB,lines}`, `encode/{16B,256B,4KiB,64KiB,lines}`,
//! `encode-bytes/{16B,256B,4KiB,64KiB}`: the owned-`Bytes` rows) and how many streams of
//! about 1 MiB to run. It prints the frames per stream. Counting two stream counts and
//! dividing the difference by the frames between them cancels start-up and set-up; see
//! `scripts/instructions codec` for the whole table, which splits the count into the part
//! inside glibc's `memcpy`/`memmove` and the rest. Callgrind counts each iteration of a
//! `rep movsb` (what glibc's `memcpy` uses for long copies) as one instruction, so inside
//! `memcpy` the count follows the copy routine glibc picks, not time. The `memcpy`
//! implementation copies the stream once, for comparison by hand.

use std::hint::black_box;

use amphi_benches::codec_workload::Row;
use bytes::Bytes;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [imp, row, streams] = args.as_slice() else {
        eprintln!("usage: codec_instructions IMPL ROW STREAMS (see the example's docs)");
        std::process::exit(2)
    };
    let streams: usize = streams.parse().unwrap_or_else(|_| {
        eprintln!("STREAMS must be a number, not {streams}");
        std::process::exit(2)
    });
    let row = Row::new(row).unwrap_or_else(|err| {
        eprintln!("{err}");
        std::process::exit(2)
    });
    if !matches!(
        imp.as_str(),
        "memcpy" | "amphi" | "tokio-util" | "asynchronous-codec"
    ) {
        eprintln!("unknown implementation {imp}: amphi, tokio-util, asynchronous-codec or memcpy");
        std::process::exit(2)
    }
    let payload = row
        .frames
        .as_ref()
        .map_or_else(Bytes::new, |frames| frames.payload.clone());
    let mut out = Vec::with_capacity(row.wire.len() + 4096);
    for _ in 0..streams {
        out.clear();
        if imp == "memcpy" {
            out.extend_from_slice(black_box(&row.wire));
            black_box(&out);
            continue;
        }
        row.run(imp, black_box(&row.wire), &payload, &mut out);
    }
    println!("frames {}", row.count);
}
