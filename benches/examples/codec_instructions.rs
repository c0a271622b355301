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

use amphi_benches::codec_workload::{
    Frames, Lines, U32LengthBytesCodec, U32LengthCodec, drain_all, feed_all,
};
use bytes::Bytes;

/// One stream through `imp`'s decoder of `row`'s kind; the frame count.
fn decode(imp: &str, lines: bool, wire: &[u8]) -> usize {
    let sink = |frame| {
        black_box(frame);
    };
    match (imp, lines) {
        ("amphi", false) => drain_all(
            &mut amphi_codec::FramedRead::new(wire, amphi_codec::LengthDelimitedCodec::new()),
            sink,
        ),
        ("amphi", true) => drain_all(
            &mut amphi_codec::FramedRead::new(wire, amphi_codec::LinesCodec::new()),
            |line| {
                black_box(line);
            },
        ),
        ("tokio-util", false) => drain_all(
            &mut tokio_util::codec::FramedRead::new(
                wire,
                tokio_util::codec::LengthDelimitedCodec::new(),
            ),
            |frame| {
                black_box(frame);
            },
        ),
        ("tokio-util", true) => drain_all(
            &mut tokio_util::codec::FramedRead::new(wire, tokio_util::codec::LinesCodec::new()),
            |line| {
                black_box(line);
            },
        ),
        ("asynchronous-codec", false) => drain_all(
            &mut asynchronous_codec::FramedRead::new(wire, U32LengthCodec),
            sink,
        ),
        ("asynchronous-codec", true) => drain_all(
            &mut asynchronous_codec::FramedRead::new(wire, asynchronous_codec::LinesCodec),
            |line| {
                black_box(line);
            },
        ),
        (other, _) => unknown(other),
    }
}

/// One stream of `count` borrowed `payload`s through `imp`'s length-delimited encoder.
fn encode(imp: &str, payload: &[u8], count: usize, out: &mut Vec<u8>) {
    match imp {
        "amphi" => feed_all(
            &mut amphi_codec::FramedWrite::new(out, amphi_codec::LengthDelimitedCodec::new()),
            count,
            || payload,
        ),
        "tokio-util" => feed_all(
            &mut tokio_util::codec::FramedWrite::new(
                out,
                tokio_util::codec::LengthDelimitedCodec::new(),
            ),
            count,
            || payload,
        ),
        "asynchronous-codec" => feed_all(
            &mut asynchronous_codec::FramedWrite::new(out, U32LengthCodec),
            count,
            || payload,
        ),
        other => unknown(other),
    }
}

/// The same with a clone of the owned `payload` per item.
fn encode_bytes(imp: &str, payload: &Bytes, count: usize, out: &mut Vec<u8>) {
    match imp {
        "amphi" => feed_all(
            &mut amphi_codec::FramedWrite::new(out, amphi_codec::LengthDelimitedCodec::new()),
            count,
            || payload.clone(),
        ),
        "tokio-util" => feed_all(
            &mut tokio_util::codec::FramedWrite::new(
                out,
                tokio_util::codec::LengthDelimitedCodec::new(),
            ),
            count,
            || payload.clone(),
        ),
        "asynchronous-codec" => feed_all(
            &mut asynchronous_codec::FramedWrite::new(out, U32LengthBytesCodec),
            count,
            || payload.clone(),
        ),
        other => unknown(other),
    }
}

/// One stream of `count` lines through `imp`'s lines encoder (asynchronous-codec's takes an
/// owned `String` with its `\n`, as in the benchmark).
fn encode_lines(imp: &str, line: &str, with_newline: &str, count: usize, out: &mut Vec<u8>) {
    match imp {
        "amphi" => feed_all(
            &mut amphi_codec::FramedWrite::new(out, amphi_codec::LinesCodec::new()),
            count,
            || line,
        ),
        "tokio-util" => feed_all(
            &mut tokio_util::codec::FramedWrite::new(out, tokio_util::codec::LinesCodec::new()),
            count,
            || line,
        ),
        "asynchronous-codec" => feed_all(
            &mut asynchronous_codec::FramedWrite::new(out, asynchronous_codec::LinesCodec),
            count,
            || with_newline.to_owned(),
        ),
        other => unknown(other),
    }
}

fn unknown(imp: &str) -> ! {
    eprintln!("unknown implementation {imp}: amphi, tokio-util, asynchronous-codec or memcpy");
    std::process::exit(2)
}

fn size(name: &str) -> usize {
    match name {
        "16B" => 16,
        "256B" => 256,
        "4KiB" => 4 * 1024,
        "64KiB" => 64 * 1024,
        other => {
            eprintln!("unknown row size {other}: 16B, 256B, 4KiB, 64KiB or lines");
            std::process::exit(2)
        }
    }
}

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
    let (kind, what) = row.split_once('/').unwrap_or((row.as_str(), ""));
    let lines = what == "lines";
    let (wire, frames, work) = if lines {
        let work = Lines::new();
        (work.wire.clone(), work.lines, Err(work))
    } else {
        let work = Frames::new(size(what));
        (work.wire.clone(), work.frames, Ok(work))
    };
    let mut out = Vec::with_capacity(wire.len() + 4096);
    for _ in 0..streams {
        out.clear();
        if imp == "memcpy" {
            out.extend_from_slice(black_box(&wire));
            black_box(&out);
            continue;
        }
        match (kind, &work) {
            ("decode", _) => {
                let n = decode(imp, lines, black_box(&wire));
                assert_eq!(n, frames, "frames decoded");
            }
            ("encode", Ok(work)) => encode(imp, &work.payload, frames, &mut out),
            ("encode-bytes", Ok(work)) => encode_bytes(imp, &work.payload, frames, &mut out),
            ("encode", Err(work)) => {
                let with_newline = format!("{}\n", work.line);
                encode_lines(imp, &work.line, &with_newline, frames, &mut out);
            }
            _ => {
                eprintln!("unknown row {row}: decode/SIZE, encode/SIZE or encode-bytes/SIZE");
                std::process::exit(2)
            }
        }
        if kind != "decode" {
            assert_eq!(out.len(), wire.len(), "bytes encoded");
        }
    }
    println!("frames {frames}");
}
