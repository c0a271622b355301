//! One codec benchmark row for amphi, the peers and `memcpy`, run in turn in one process:
//! one stream of each, repeated, so that a slow spell of a shared machine (criterion
//! measures one implementation for seconds, then the next) lands on all of them. Prints
//! quartiles and the mean of each in GiB/s, and the ratio of amphi's median to the best
//! peer's.
//!
//! Encode rows also run `two-copies`: no framer, just the copies a buffered encoder of
//! borrowed items must make, each header and item appended to a 16 KiB buffer (amphi's
//! default high-water mark) that is appended to the output whenever it is full. It is the
//! floor of every framer that copies an item into its buffer; amphi's median over it is
//! printed too. The owned rows (`encode-bytes/...`) run `clone-drop` instead: each item
//! only cloned from the payload's `Bytes` and dropped, as every framer's items are there,
//! with no framing and no copy: the two atomic reference-count updates per item that no
//! framer can skip. Decode rows run `one-copy` instead: the stream copied 64 KiB at a time into
//! one reused 64 KiB buffer, the copy every decoder of a `futures-io` reader makes (the
//! reader copies into the decoder's buffer), with the buffer already warm. They also run
//! `fresh-copy`: the same copies into a buffer allocated for each stream and zeroed once
//! over one read's length (one frame and its header, or 64 KiB for smaller frames and
//! lines). That is the least a `futures-io` decoder does when it frames a fresh transport,
//! as every benchmark iteration does: `AsyncRead::poll_read` takes an initialised
//! `&mut [u8]`, and fresh memory is not initialised. tokio-util's reads skip the zeroing
//! (tokio's `ReadBuf` takes uninitialised memory), so on 64 KiB frames
//! `fresh-copy / tokio-util` is the most any `futures-io` decoder can reach there.
//!
//! ```text
//! cargo run --release -p amphi-benches --example codec_interleaved -- encode/256B 2000
//! ```
//!
//! Arguments: the row (`decode/{16B,256B,4KiB,64KiB,lines}`,
//! `encode/{16B,256B,4KiB,64KiB,lines}`, `encode-bytes/{16B,256B,4KiB,64KiB}`: the
//! owned-`Bytes` rows), or `all`, and the trials per implementation. The workload is
//! `benches/codec.rs`'s (`codec_workload::Row`), placed the same way: before each decode
//! the stream moves to the next offset of a page (untimed), each encode stream takes its
//! payload from the next of 128 placements and writes behind a prefix of another length.
//! This is a diagnostic beside the criterion report (`docs/benchmarks.md`), not a
//! replacement for it.

use std::cell::Cell;
use std::time::Instant;

use amphi_benches::codec_workload::{
    IMPLEMENTATIONS, Placements, ROWS, Row, Shifting, fresh_copy, fresh_read, shift_output,
};

/// Quartiles and mean of `rates`, sorted in place.
fn summary(rates: &mut [f64]) -> (f64, f64, f64, f64) {
    rates.sort_by(f64::total_cmp);
    let at = |q: f64| rates[((rates.len() - 1) as f64 * q) as usize];
    let mean = rates.iter().sum::<f64>() / rates.len() as f64;
    (at(0.25), at(0.5), at(0.75), mean)
}

/// The copies a buffered encoder makes, without a framer (see the module docs).
fn two_copies(row: &Row, payload: &[u8], out: &mut Vec<u8>) {
    const MARK: usize = 16 * 1024;
    let line = row.lines.as_ref().map(|lines| lines.line.as_bytes());
    // Room for the mark and one more item, so that it never reallocates.
    let item = line.map_or(payload.len() + 4, |line| line.len() + 1);
    let mut buf: Vec<u8> = Vec::with_capacity(MARK + item);
    for _ in 0..row.count {
        match line {
            Some(line) => {
                buf.extend_from_slice(line);
                buf.push(b'\n');
            }
            None => {
                buf.extend_from_slice(&(payload.len() as u32).to_be_bytes());
                buf.extend_from_slice(payload);
            }
        }
        if buf.len() >= MARK {
            out.extend_from_slice(&buf);
            buf.clear();
        }
    }
    out.extend_from_slice(&buf);
}

/// The copy every decoder makes, without a decoder (see the module docs).
fn one_copy(src: &[u8], buf: &mut [u8]) {
    for chunk in src.chunks(buf.len()) {
        buf[..chunk.len()].copy_from_slice(chunk);
        std::hint::black_box(&buf);
    }
}

fn run_row(name: &str, trials: usize) {
    let row = Row::new(name).unwrap_or_else(|err| {
        eprintln!("{err}");
        std::process::exit(2)
    });
    let wire = Shifting::new(&row.wire);
    let placements = row.frames.as_ref().map(|f| Placements::new(&f.payload));
    let empty = bytes::Bytes::new();
    let mut out = Vec::with_capacity(row.wire.len() + 4096);
    let shifts = Cell::new(0);
    let mut names: Vec<&str> = IMPLEMENTATIONS.iter().copied().chain(["memcpy"]).collect();
    names.push(if row.decode {
        "one-copy"
    } else if row.owned {
        "clone-drop"
    } else {
        "two-copies"
    });
    if row.decode {
        names.push("fresh-copy");
    }
    let fresh_read = fresh_read(row.frames.as_ref().map_or(0, |f| f.payload.len()));
    let mut read_buf = vec![0u8; 64 * 1024];
    let mut rates = vec![Vec::with_capacity(trials); names.len()];
    let gib = row.wire.len() as f64 / f64::from(1u32 << 30);
    for trial in 0..trials {
        // Rotate who goes first, so no one always follows the same neighbour.
        for k in 0..names.len() {
            let which = (trial + k) % names.len();
            let imp = names[which];
            // Only a decode and `memcpy` read the stream: an encode skips the untimed
            // 1 MiB copy that moves it, as the criterion rows do.
            let offset = if row.decode || imp == "memcpy" {
                wire.shift()
            } else {
                0
            };
            let src = wire.at(offset);
            let payload = placements.as_ref().map_or(&empty, |p| p.next_bytes());
            shift_output(&mut out, &shifts);
            let start = Instant::now();
            if imp == "memcpy" {
                out.extend_from_slice(std::hint::black_box(&src));
                std::hint::black_box(&out);
            } else if imp == "one-copy" {
                one_copy(&src, &mut read_buf);
            } else if imp == "fresh-copy" {
                fresh_copy(&src, fresh_read);
            } else if imp == "clone-drop" {
                for _ in 0..row.count {
                    drop(std::hint::black_box(payload.clone()));
                }
            } else if imp == "two-copies" {
                two_copies(&row, std::hint::black_box(payload), &mut out);
                std::hint::black_box(&out);
            } else {
                row.run(imp, &src, payload, &mut out);
            }
            rates[which].push(gib / start.elapsed().as_secs_f64());
        }
    }
    println!("{name} ({trials} trials, GiB/s)");
    let mut medians = Vec::new();
    for (imp, rates) in names.iter().zip(&mut rates) {
        let (p25, median, p75, mean) = summary(rates);
        medians.push(median);
        println!("  {imp:>18}: p25 {p25:6.2}  median {median:6.2}  p75 {p75:6.2}  mean {mean:6.2}");
    }
    let best_peer = medians[1..IMPLEMENTATIONS.len()]
        .iter()
        .copied()
        .fold(0.0, f64::max);
    println!(
        "  amphi / best peer (medians): {:.3}x",
        medians[0] / best_peer
    );
    for floor in IMPLEMENTATIONS.len() + 1..names.len() {
        println!(
            "  amphi / {} (medians): {:.3}x",
            names[floor],
            medians[0] / medians[floor]
        );
    }
    if row.decode {
        let fresh = names.len() - 1;
        println!(
            "  {} / best peer (medians): {:.3}x",
            names[fresh],
            medians[fresh] / best_peer
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(row), Some(trials)) = (args.first(), args.get(1).and_then(|t| t.parse().ok())) else {
        eprintln!("usage: codec_interleaved ROW|all TRIALS (see the example's docs)");
        std::process::exit(2)
    };
    if trials == 0 {
        eprintln!("codec_interleaved: TRIALS must be at least 1");
        std::process::exit(2)
    }
    if row == "all" {
        for name in ROWS {
            run_row(name, trials);
        }
    } else {
        run_row(row, trials);
    }
}
