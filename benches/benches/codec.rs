//! Codec throughput: decoding and encoding length-delimited frames of 16 B, 256 B, 4 KiB and
//! 64 KiB and 80-byte lines through a framed stream over an in-memory transport, beside
//! tokio-util's codec (over tokio's `AsyncRead for &[u8]`) and asynchronous-codec on the
//! same bytes, with a `memcpy` of those bytes as the floor.
//!
//! Group names: `codec/{decode,encode}/{length_delimited/{16B,256B,4KiB,64KiB},lines/80B}`
//! and `codec/encode/length_delimited_bytes/{16B,256B,4KiB,64KiB}`;
//! function ids `amphi`, `tokio-util`, `asynchronous-codec`, `memcpy`, and on the
//! length-delimited decode rows `floor:fresh-copy` (the copies and the zeroing that every
//! decoder of a `futures-io` reader makes on a fresh transport: see
//! [`fresh_copy`](amphi_benches::codec_workload::fresh_copy)). Throughput is
//! reported in bytes and frames per iteration (about 1 MiB of payload). Each iteration
//! frames a fresh transport, so buffer growth is part of the cost. Before every decode
//! iteration the stream moves to another offset within a page ([`Shifting`], in untimed
//! setup), encoders take their payload from 128 copies 32 bytes apart ([`Placements`]),
//! and their output starts at another offset of its buffer every iteration
//! ([`shift_output`]): where a framer's own buffer lands then decides nothing, where with
//! fixed addresses a `memcpy` penalty on this CPU made single rows swing 2-4x between
//! runs (see `codec_workload`). The
//! `length_delimited` encoders take the payload as `&[u8]` (no per-item reference count);
//! the `length_delimited_bytes` rows send the same payloads as owned `Bytes` (a clone of
//! one `Bytes` per item for every implementation), which amphi writes without copying them
//! into its buffer from 4 KiB up. asynchronous-codec's lines encoder only takes an owned
//! `String`, so that row clones one per line.

use std::hint::black_box;

use std::cell::Cell;

use amphi_benches::codec_workload::{
    FRAME_SIZES, Frames, LINE_LEN, Lines, Placements, Shifting, U32LengthBytesCodec,
    U32LengthCodec, drain_all, feed_all, fresh_copy, fresh_read, shift_output, size_name,
};
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main,
    measurement::WallTime,
};

fn throughput(bytes: usize, frames: usize) -> Throughput {
    Throughput::ElementsAndBytes {
        elements: frames as u64,
        bytes: bytes as u64,
    }
}

/// The floor: one `memcpy` of the stream, moved like the decoders' input.
fn memcpy_row(group: &mut BenchmarkGroup<'_, WallTime>, wire: &Shifting) {
    let mut dst = vec![0u8; wire.len()];
    group.bench_function("memcpy", |b| {
        b.iter_batched(
            || wire.shift(),
            |offset| {
                dst.copy_from_slice(black_box(&wire.at(offset)));
                black_box(&dst);
            },
            BatchSize::PerIteration,
        )
    });
}

/// The floor of a `futures-io` decoder framing a fresh transport
/// ([`fresh_copy`](amphi_benches::codec_workload::fresh_copy)), moved like the decoders'
/// input.
fn fresh_copy_row(group: &mut BenchmarkGroup<'_, WallTime>, wire: &Shifting, payload: usize) {
    let read = fresh_read(payload);
    group.bench_function("floor:fresh-copy", |b| {
        b.iter_batched(
            || wire.shift(),
            |offset| fresh_copy(black_box(&wire.at(offset)), read),
            BatchSize::PerIteration,
        )
    });
}

/// Runs `decode` on the stream, moved to its next offset in untimed setup.
fn decode_row<F>(group: &mut BenchmarkGroup<'_, WallTime>, id: &str, wire: &Shifting, mut decode: F)
where
    F: FnMut(&[u8]),
{
    group.bench_function(id, |b| {
        b.iter_batched(
            || wire.shift(),
            |offset| decode(black_box(&wire.at(offset))),
            BatchSize::PerIteration,
        )
    });
}

fn decode_length_delimited(c: &mut Criterion) {
    for size in FRAME_SIZES {
        let work = Frames::new(size);
        let wire = Shifting::new(&work.wire);
        let mut group =
            c.benchmark_group(format!("codec/decode/length_delimited/{}", size_name(size)));
        group.throughput(throughput(work.wire.len(), work.frames));
        decode_row(&mut group, "amphi", &wire, |src| {
            let mut framed =
                amphi_codec::FramedRead::new(src, amphi_codec::LengthDelimitedCodec::new());
            let n = drain_all(&mut framed, |frame| {
                black_box(frame);
            });
            assert_eq!(n, work.frames);
        });
        decode_row(&mut group, "tokio-util", &wire, |src| {
            let mut framed = tokio_util::codec::FramedRead::new(
                src,
                tokio_util::codec::LengthDelimitedCodec::new(),
            );
            let n = drain_all(&mut framed, |frame| {
                black_box(frame);
            });
            assert_eq!(n, work.frames);
        });
        decode_row(&mut group, "asynchronous-codec", &wire, |src| {
            let mut framed = asynchronous_codec::FramedRead::new(src, U32LengthCodec);
            let n = drain_all(&mut framed, |frame| {
                black_box(frame);
            });
            assert_eq!(n, work.frames);
        });
        memcpy_row(&mut group, &wire);
        fresh_copy_row(&mut group, &wire, size);
        group.finish();
    }
}

fn decode_lines(c: &mut Criterion) {
    let work = Lines::new();
    let wire = Shifting::new(&work.wire);
    let mut group = c.benchmark_group(format!("codec/decode/lines/{LINE_LEN}B"));
    group.throughput(throughput(work.wire.len(), work.lines));
    decode_row(&mut group, "amphi", &wire, |src| {
        let mut framed = amphi_codec::FramedRead::new(src, amphi_codec::LinesCodec::new());
        let n = drain_all(&mut framed, |line| {
            black_box(line);
        });
        assert_eq!(n, work.lines);
    });
    decode_row(&mut group, "tokio-util", &wire, |src| {
        let mut framed =
            tokio_util::codec::FramedRead::new(src, tokio_util::codec::LinesCodec::new());
        let n = drain_all(&mut framed, |line| {
            black_box(line);
        });
        assert_eq!(n, work.lines);
    });
    decode_row(&mut group, "asynchronous-codec", &wire, |src| {
        let mut framed = asynchronous_codec::FramedRead::new(src, asynchronous_codec::LinesCodec);
        let n = drain_all(&mut framed, |line| {
            black_box(line);
        });
        assert_eq!(n, work.lines);
    });
    memcpy_row(&mut group, &wire);
    group.finish();
}

/// Defines one encode benchmark function over every frame size: `$payload` picks an
/// iteration's payload from the `Placements` named `payloads`, and `|p| $item` makes each
/// item from it; asynchronous-codec runs `$ac_codec`.
macro_rules! encode_length_delimited_fn {
    ($(#[$doc:meta])* $fn_name:ident, $group:literal, $ac_codec:expr,
     |$payloads:ident| $payload:expr, |$p:ident| $item:expr) => {
        $(#[$doc])*
        fn $fn_name(c: &mut Criterion) {
            for size in FRAME_SIZES {
                let work = Frames::new(size);
                let expected = work.wire.len();
                let $payloads = Placements::new(&work.payload);
                let mut group =
                    c.benchmark_group(format!(concat!("codec/encode/", $group, "/{}"), size_name(size)));
                group.throughput(throughput(expected, work.frames));
                let mut out = Vec::with_capacity(expected + 4096);
                let shifts = Cell::new(0);
                group.bench_function("amphi", |b| {
                    b.iter(|| {
                        let prefix = shift_output(&mut out, &shifts);
                        let mut framed = amphi_codec::FramedWrite::new(
                            &mut out,
                            amphi_codec::LengthDelimitedCodec::new(),
                        );
                        let $p = $payload;
                        feed_all(&mut framed, work.frames, || $item);
                        drop(framed);
                        assert_eq!(out.len(), prefix + expected);
                    })
                });
                group.bench_function("tokio-util", |b| {
                    b.iter(|| {
                        let prefix = shift_output(&mut out, &shifts);
                        let mut framed = tokio_util::codec::FramedWrite::new(
                            &mut out,
                            tokio_util::codec::LengthDelimitedCodec::new(),
                        );
                        let $p = $payload;
                        feed_all(&mut framed, work.frames, || $item);
                        drop(framed);
                        assert_eq!(out.len(), prefix + expected);
                    })
                });
                group.bench_function("asynchronous-codec", |b| {
                    b.iter(|| {
                        let prefix = shift_output(&mut out, &shifts);
                        let mut framed = asynchronous_codec::FramedWrite::new(&mut out, $ac_codec);
                        let $p = $payload;
                        feed_all(&mut framed, work.frames, || $item);
                        drop(framed);
                        assert_eq!(out.len(), prefix + expected);
                    })
                });
                memcpy_row(&mut group, &Shifting::new(&work.wire));
                group.finish();
            }
        }
    };
}

encode_length_delimited_fn!(
    /// The frames sent as borrowed `&[u8]`: no per-item reference count.
    encode_length_delimited,
    "length_delimited",
    U32LengthCodec,
    |payloads| payloads.next(),
    |p| p
);

encode_length_delimited_fn!(
    /// The same frames sent as owned `Bytes`, the item type of tokio-util's and
    /// asynchronous-codec's own length codecs and what a broker forwards: every
    /// implementation gets a clone of the same `Bytes` per item.
    encode_length_delimited_bytes,
    "length_delimited_bytes",
    U32LengthBytesCodec,
    |payloads| payloads.next_bytes(),
    |p| p.clone()
);

fn encode_lines(c: &mut Criterion) {
    let work = Lines::new();
    let expected = work.wire.len();
    let line = work.line.as_str();
    let with_newline = format!("{line}\n");
    let mut group = c.benchmark_group(format!("codec/encode/lines/{LINE_LEN}B"));
    group.throughput(throughput(expected, work.lines));
    let mut out = Vec::with_capacity(expected + 4096);
    let shifts = Cell::new(0);
    group.bench_function("amphi", |b| {
        b.iter(|| {
            let prefix = shift_output(&mut out, &shifts);
            let mut framed =
                amphi_codec::FramedWrite::new(&mut out, amphi_codec::LinesCodec::new());
            feed_all(&mut framed, work.lines, || line);
            drop(framed);
            assert_eq!(out.len(), prefix + expected);
        })
    });
    group.bench_function("tokio-util", |b| {
        b.iter(|| {
            let prefix = shift_output(&mut out, &shifts);
            let mut framed =
                tokio_util::codec::FramedWrite::new(&mut out, tokio_util::codec::LinesCodec::new());
            feed_all(&mut framed, work.lines, || line);
            drop(framed);
            assert_eq!(out.len(), prefix + expected);
        })
    });
    group.bench_function("asynchronous-codec", |b| {
        b.iter(|| {
            let prefix = shift_output(&mut out, &shifts);
            // Its encoder takes an owned `String` and does not add the `\n`.
            let mut framed =
                asynchronous_codec::FramedWrite::new(&mut out, asynchronous_codec::LinesCodec);
            feed_all(&mut framed, work.lines, || with_newline.clone());
            drop(framed);
            assert_eq!(out.len(), prefix + expected);
        })
    });
    memcpy_row(&mut group, &Shifting::new(&work.wire));
    group.finish();
}

criterion_group!(
    codec,
    decode_length_delimited,
    decode_lines,
    encode_length_delimited,
    encode_length_delimited_bytes,
    encode_lines
);
criterion_main!(codec);
