//! Codec workloads: the same wire bytes for every framer, and the peer codecs that need a
//! shim to read them.
//!
//! Length-delimited streams use the default format of amphi and tokio-util (4-byte
//! big-endian length, then the payload). asynchronous-codec's own `LengthCodec` has a fixed
//! 8-byte prefix, so [`U32LengthCodec`] ports it line for line to a 4-byte prefix: the
//! driver (`asynchronous_codec::FramedRead`) is what is measured.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures::Sink;

/// Payload bytes per measured iteration (rounded down to whole frames).
pub const STREAM_BYTES: usize = 1 << 20;

/// Frame sizes of the length-delimited rows.
pub const FRAME_SIZES: [usize; 4] = [16, 256, 4 * 1024, 64 * 1024];

/// Length of a line of the lines rows, `\n` included.
pub const LINE_LEN: usize = 80;

/// The name of a frame size in a group name: `16B`, `4KiB`.
pub fn size_name(size: usize) -> String {
    if size >= 1024 && size.is_multiple_of(1024) {
        format!("{}KiB", size / 1024)
    } else {
        format!("{size}B")
    }
}

/// How many copies of a payload [`Placements`] keeps: one every 32 bytes of a page.
pub const PLACEMENTS: usize = 128;

/// Spacing of the offsets that [`Shifting`] steps through: odd, so that 4096 steps visit
/// every offset within a page once, and far from a multiple of 32 so that neighbouring
/// steps land far apart.
const SHIFT_STEP: usize = 1093;

/// The `k`-th offset of the sequence that [`Shifting`] and [`shift_output`] use.
fn shift_offset(k: usize) -> usize {
    k.wrapping_mul(SHIFT_STEP) % 4096
}

// On this machine's CPU (AMD EPYC, glibc 2.36) a `memcpy` of more than 4 KiB uses
// `rep movsb`, which runs about 10x slower when the destination lies 1 to 31 bytes past the
// source modulo 4096. Every framer copies (source to its buffer, its buffer to the output),
// and a framer's buffer sits at whatever address the allocator gave it, the same one in
// every iteration. With the source and output at fixed addresses too, a row measures that
// lottery: the same code measured 125 K to 490 K frames/s of 64 KiB in different runs, and
// with the source at 8 offsets 512 bytes apart, one placement in 8 ran at 3.5 GB/s where
// the other 7 ran at 21. Moving the source and the output over every offset within a page
// gives every implementation the same mix of relative placements, whatever its buffer's
// address, so a row measures the framer.

/// One payload stored [`PLACEMENTS`] times, at offsets 32 bytes apart within a 4 KiB page
/// (finer than the 31-byte window above); [`next`](Placements::next) cycles through them.
#[derive(Debug)]
pub struct Placements {
    /// The copies, each at its own offset within its allocation.
    copies: Vec<Bytes>,
    next: std::cell::Cell<usize>,
}

impl Placements {
    /// [`PLACEMENTS`] copies of `bytes`, at offsets `k * 4096 / PLACEMENTS`.
    pub fn new(bytes: &[u8]) -> Self {
        let copies = (0..PLACEMENTS)
            .map(|k| {
                let offset = k * 4096 / PLACEMENTS;
                let mut buf = vec![0u8; offset];
                buf.extend_from_slice(bytes);
                Bytes::from(buf).slice(offset..)
            })
            .collect();
        Self {
            copies,
            next: std::cell::Cell::new(0),
        }
    }

    /// The next copy, in turn.
    pub fn next(&self) -> &[u8] {
        self.next_bytes()
    }

    /// The next copy, in turn, as the `Bytes` that holds it (clone it for an owned item:
    /// a reference count, no copy).
    pub fn next_bytes(&self) -> &Bytes {
        let k = self.next.get();
        self.next.set((k + 1) % PLACEMENTS);
        &self.copies[k]
    }
}

/// A byte string (a whole stream, too large for [`PLACEMENTS`] copies) that moves to the
/// next offset within a page before every iteration: [`shift`](Shifting::shift) copies it
/// there (in a benchmark's untimed setup) and [`at`](Shifting::at) reads it.
#[derive(Debug)]
pub struct Shifting {
    bytes: Vec<u8>,
    buf: std::cell::RefCell<Vec<u8>>,
    next: std::cell::Cell<usize>,
}

impl Shifting {
    /// `bytes`, not yet placed.
    pub fn new(bytes: &[u8]) -> Self {
        Self {
            bytes: bytes.to_vec(),
            buf: std::cell::RefCell::new(vec![0u8; bytes.len() + 4096]),
            next: std::cell::Cell::new(0),
        }
    }

    /// The length of the byte string.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the byte string is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Copies the bytes to the next offset and returns it.
    pub fn shift(&self) -> usize {
        let k = self.next.get();
        self.next.set(k + 1);
        let offset = shift_offset(k);
        self.buf.borrow_mut()[offset..offset + self.bytes.len()].copy_from_slice(&self.bytes);
        offset
    }

    /// The bytes at `offset`, as placed by [`shift`](Shifting::shift).
    pub fn at(&self, offset: usize) -> std::cell::Ref<'_, [u8]> {
        std::cell::Ref::map(self.buf.borrow(), |buf| {
            &buf[offset..offset + self.bytes.len()]
        })
    }
}

/// Empties `out` and fills it with the `k`-th prefix of the [`Shifting`] sequence (under
/// 4 KiB of zeroes), so that what a framer writes after it starts at another offset within
/// a page in every iteration; returns the prefix length. `out` should have room for the
/// prefix and the output, so that it never reallocates.
pub fn shift_output(out: &mut Vec<u8>, k: &std::cell::Cell<usize>) -> usize {
    let prefix = shift_offset(k.get());
    k.set(k.get() + 1);
    out.clear();
    out.resize(prefix, 0);
    prefix
}

/// A length-delimited workload: `frames` frames of `payload` bytes.
#[derive(Debug, Clone)]
pub struct Frames {
    /// One payload, sent `frames` times.
    pub payload: Bytes,
    /// Frames per iteration.
    pub frames: usize,
    /// The encoded stream.
    pub wire: Vec<u8>,
}

impl Frames {
    /// About [`STREAM_BYTES`] of `size`-byte frames (at least 16 frames).
    pub fn new(size: usize) -> Self {
        let frames = (STREAM_BYTES / size).max(16);
        let payload: Bytes = (0..size)
            .map(|i| (i * 31 + 7) as u8)
            .collect::<Vec<u8>>()
            .into();
        let mut wire = Vec::with_capacity(frames * (size + 4));
        for _ in 0..frames {
            wire.put_u32(size as u32);
            wire.extend_from_slice(&payload);
        }
        Self {
            payload,
            frames,
            wire,
        }
    }
}

/// A lines workload: `lines` lines of [`LINE_LEN`] bytes (`\n` included).
#[derive(Debug, Clone)]
pub struct Lines {
    /// One line without its `\n`.
    pub line: String,
    /// Lines per iteration.
    pub lines: usize,
    /// The encoded stream.
    pub wire: Vec<u8>,
}

impl Lines {
    /// About [`STREAM_BYTES`] of lines.
    pub fn new() -> Self {
        let line: String = (0..LINE_LEN - 1)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let lines = STREAM_BYTES / LINE_LEN;
        let mut wire = Vec::with_capacity(lines * LINE_LEN);
        for _ in 0..lines {
            wire.extend_from_slice(line.as_bytes());
            wire.push(b'\n');
        }
        Self { line, lines, wire }
    }
}

impl Default for Lines {
    fn default() -> Self {
        Self::new()
    }
}

/// asynchronous-codec's `LengthCodec` with a 4-byte prefix instead of 8.
#[derive(Debug, Clone, Copy, Default)]
pub struct U32LengthCodec;

const U32_LENGTH: usize = 4;

impl asynchronous_codec::Decoder for U32LengthCodec {
    type Item = Bytes;
    type Error = std::io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Self::Error> {
        if src.len() < U32_LENGTH {
            return Ok(None);
        }
        let mut len_bytes = [0u8; U32_LENGTH];
        len_bytes.copy_from_slice(&src[..U32_LENGTH]);
        let len = u32::from_be_bytes(len_bytes) as usize;
        if src.len() - U32_LENGTH >= len {
            src.advance(U32_LENGTH);
            Ok(Some(src.split_to(len).freeze()))
        } else {
            Ok(None)
        }
    }
}

impl asynchronous_codec::Encoder for U32LengthCodec {
    type Item<'a> = &'a [u8];
    type Error = std::io::Error;

    fn encode(&mut self, src: &[u8], dst: &mut BytesMut) -> Result<(), Self::Error> {
        dst.reserve(U32_LENGTH + src.len());
        dst.put_u32(src.len() as u32);
        dst.extend_from_slice(src);
        Ok(())
    }
}

/// asynchronous-codec's `LengthCodec` with a 4-byte prefix instead of 8, taking owned
/// `Bytes` items as the original does.
#[derive(Debug, Clone, Copy, Default)]
pub struct U32LengthBytesCodec;

impl asynchronous_codec::Encoder for U32LengthBytesCodec {
    type Item<'a> = Bytes;
    type Error = std::io::Error;

    fn encode(&mut self, src: Bytes, dst: &mut BytesMut) -> Result<(), Self::Error> {
        dst.reserve(U32_LENGTH + src.len());
        dst.put_u32(src.len() as u32);
        dst.extend_from_slice(&src);
        Ok(())
    }
}

/// Sends `count` items made by `item` into `sink`, then flushes it, polling the sink
/// directly (no per-item future).
pub fn feed_all<S, I, F>(sink: &mut S, count: usize, mut item: F)
where
    S: Sink<I> + Unpin,
    S::Error: std::fmt::Debug,
    F: FnMut() -> I,
{
    futures_lite::future::block_on(Feed {
        sink,
        left: count,
        item: &mut item,
        _marker: std::marker::PhantomData,
    });
}

struct Feed<'a, S, I, F> {
    sink: &'a mut S,
    left: usize,
    item: &'a mut F,
    _marker: std::marker::PhantomData<fn() -> I>,
}

impl<S, I, F> Future for Feed<'_, S, I, F>
where
    S: Sink<I> + Unpin,
    S::Error: std::fmt::Debug,
    F: FnMut() -> I,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        while this.left > 0 {
            match Pin::new(&mut *this.sink).poll_ready(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(err)) => panic!("sink failed: {err:?}"),
                Poll::Pending => return Poll::Pending,
            }
            let item = (this.item)();
            Pin::new(&mut *this.sink).start_send(item).expect("encode");
            this.left -= 1;
        }
        match Pin::new(&mut *this.sink).poll_flush(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(()),
            Poll::Ready(Err(err)) => panic!("flush failed: {err:?}"),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Polls `stream` to its end, handing each frame to `frame`; returns the frame count.
pub fn drain_all<S, T, E, F>(stream: &mut S, mut frame: F) -> usize
where
    S: futures::Stream<Item = Result<T, E>> + Unpin,
    E: std::fmt::Debug,
    F: FnMut(T),
{
    let mut count = 0;
    futures_lite::future::block_on(futures_lite::future::poll_fn(|cx| {
        loop {
            match Pin::new(&mut *stream).poll_next(cx) {
                Poll::Ready(Some(Ok(item))) => {
                    frame(item);
                    count += 1;
                }
                Poll::Ready(Some(Err(err))) => panic!("decode failed: {err:?}"),
                Poll::Ready(None) => return Poll::Ready(()),
                Poll::Pending => return Poll::Pending,
            }
        }
    }));
    count
}

/// The floor of a decoder of a `futures-io` reader that frames a fresh transport: the
/// stream copied `read` bytes at a time into a buffer allocated for this stream and zeroed
/// once over `read` bytes, with no decoding. `AsyncRead::poll_read` takes an initialised
/// `&mut [u8]` and fresh memory is not, so every such decoder zeroes (or otherwise
/// initialises) at least what its largest read is handed; tokio's `ReadBuf` takes
/// uninitialised memory, so tokio-util's reads skip that. [`fresh_read`] gives `read` for a
/// row.
pub fn fresh_copy(src: &[u8], read: usize) {
    let mut buf = vec![0u8; read];
    for chunk in src.chunks(read) {
        buf[..chunk.len()].copy_from_slice(chunk);
        std::hint::black_box(&buf);
    }
}

/// The read length of [`fresh_copy`] for frames of `payload` bytes (0 for lines): one whole
/// frame and its 4-byte header, and at least 64 KiB, the most a decoder reads at once when
/// frames are small.
pub fn fresh_read(payload: usize) -> usize {
    (payload + 4).max(64 * 1024)
}

/// The framers a codec row compares.
pub const IMPLEMENTATIONS: [&str; 3] = ["amphi", "tokio-util", "asynchronous-codec"];

/// The rows of the codec benchmark, by the names the examples take: `decode/SIZE`,
/// `decode/lines`, `encode/SIZE`, `encode/lines`, `encode-bytes/SIZE` (the owned-`Bytes`
/// rows), SIZE one of `16B`, `256B`, `4KiB`, `64KiB` (or any other size up to 16 MiB written
/// the same way, `8KiB`, `100B`, for a run outside the benchmark's rows).
pub const ROWS: [&str; 14] = [
    "decode/16B",
    "decode/256B",
    "decode/4KiB",
    "decode/64KiB",
    "decode/lines",
    "encode/16B",
    "encode/256B",
    "encode/4KiB",
    "encode/64KiB",
    "encode/lines",
    "encode-bytes/16B",
    "encode-bytes/256B",
    "encode-bytes/4KiB",
    "encode-bytes/64KiB",
];

/// What one stream of a codec row sends or receives, built once from the row's name.
#[derive(Debug)]
pub struct Row {
    /// Decode (`true`) or encode.
    pub decode: bool,
    /// Encode owned `Bytes` items rather than borrowed `&[u8]`.
    pub owned: bool,
    /// The lines workload (else length-delimited frames).
    pub lines: Option<Lines>,
    /// The length-delimited workload (else lines).
    pub frames: Option<Frames>,
    /// The encoded stream.
    pub wire: Vec<u8>,
    /// Frames (or lines) per stream.
    pub count: usize,
    /// A line with its `\n`, for asynchronous-codec's lines encoder.
    with_newline: String,
}

impl Row {
    /// The row named `name` (see [`ROWS`]), or a message saying what is wrong.
    pub fn new(name: &str) -> Result<Self, String> {
        let (kind, what) = name.split_once('/').unwrap_or((name, ""));
        let (decode, owned) = match kind {
            "decode" => (true, false),
            "encode" => (false, false),
            "encode-bytes" if what != "lines" => (false, true),
            _ => return Err(format!("unknown row {name}: one of {}", ROWS.join(", "))),
        };
        if what == "lines" {
            let lines = Lines::new();
            return Ok(Self {
                decode,
                owned,
                wire: lines.wire.clone(),
                count: lines.lines,
                with_newline: format!("{}\n", lines.line),
                lines: Some(lines),
                frames: None,
            });
        }
        // The benchmark's sizes, or any other written the same way (`8KiB`, `100B`), for
        // measuring between them.
        let parsed = match what.strip_suffix("KiB") {
            Some(kib) => kib.parse::<usize>().ok().and_then(|k| k.checked_mul(1024)),
            None => what.strip_suffix('B').and_then(|b| b.parse().ok()),
        };
        let Some(size) = parsed.filter(|&size| size > 0 && size <= 16 << 20) else {
            return Err(format!("unknown row {name}: one of {}", ROWS.join(", ")));
        };
        let frames = Frames::new(size);
        Ok(Self {
            decode,
            owned,
            wire: frames.wire.clone(),
            count: frames.frames,
            with_newline: String::new(),
            lines: None,
            frames: Some(frames),
        })
    }

    /// Runs one stream of the row through `imp` (one of [`IMPLEMENTATIONS`]): decodes
    /// `wire` (which must hold this row's stream), or encodes this row's items, each taken
    /// from `payload` (a placement of the payload, as [`Placements`] gives), onto `out`.
    /// Checks the frame or byte count and panics on a mismatch.
    pub fn run(&self, imp: &str, wire: &[u8], payload: &Bytes, out: &mut Vec<u8>) {
        let before = out.len();
        let count = self.count;
        if self.decode {
            let n = match (imp, self.lines.is_some()) {
                ("amphi", false) => drain_all(
                    &mut amphi_codec::FramedRead::new(
                        wire,
                        amphi_codec::LengthDelimitedCodec::new(),
                    ),
                    sink,
                ),
                ("amphi", true) => drain_all(
                    &mut amphi_codec::FramedRead::new(wire, amphi_codec::LinesCodec::new()),
                    sink,
                ),
                ("tokio-util", false) => drain_all(
                    &mut tokio_util::codec::FramedRead::new(
                        wire,
                        tokio_util::codec::LengthDelimitedCodec::new(),
                    ),
                    sink,
                ),
                ("tokio-util", true) => drain_all(
                    &mut tokio_util::codec::FramedRead::new(
                        wire,
                        tokio_util::codec::LinesCodec::new(),
                    ),
                    sink,
                ),
                ("asynchronous-codec", false) => drain_all(
                    &mut asynchronous_codec::FramedRead::new(wire, U32LengthCodec),
                    sink,
                ),
                ("asynchronous-codec", true) => drain_all(
                    &mut asynchronous_codec::FramedRead::new(wire, asynchronous_codec::LinesCodec),
                    sink,
                ),
                (other, _) => panic!("unknown implementation {other}"),
            };
            assert_eq!(n, count, "frames decoded");
            return;
        }
        if let Some(lines) = &self.lines {
            let line = lines.line.as_str();
            match imp {
                "amphi" => feed_all(
                    &mut amphi_codec::FramedWrite::new(&mut *out, amphi_codec::LinesCodec::new()),
                    count,
                    || line,
                ),
                "tokio-util" => feed_all(
                    &mut tokio_util::codec::FramedWrite::new(
                        &mut *out,
                        tokio_util::codec::LinesCodec::new(),
                    ),
                    count,
                    || line,
                ),
                // Its encoder takes an owned `String` and does not add the `\n`.
                "asynchronous-codec" => feed_all(
                    &mut asynchronous_codec::FramedWrite::new(
                        &mut *out,
                        asynchronous_codec::LinesCodec,
                    ),
                    count,
                    || self.with_newline.clone(),
                ),
                other => panic!("unknown implementation {other}"),
            }
        } else if self.owned {
            match imp {
                "amphi" => feed_all(
                    &mut amphi_codec::FramedWrite::new(
                        &mut *out,
                        amphi_codec::LengthDelimitedCodec::new(),
                    ),
                    count,
                    || payload.clone(),
                ),
                "tokio-util" => feed_all(
                    &mut tokio_util::codec::FramedWrite::new(
                        &mut *out,
                        tokio_util::codec::LengthDelimitedCodec::new(),
                    ),
                    count,
                    || payload.clone(),
                ),
                "asynchronous-codec" => feed_all(
                    &mut asynchronous_codec::FramedWrite::new(&mut *out, U32LengthBytesCodec),
                    count,
                    || payload.clone(),
                ),
                other => panic!("unknown implementation {other}"),
            }
        } else {
            let payload = &payload[..];
            match imp {
                "amphi" => feed_all(
                    &mut amphi_codec::FramedWrite::new(
                        &mut *out,
                        amphi_codec::LengthDelimitedCodec::new(),
                    ),
                    count,
                    || payload,
                ),
                "tokio-util" => feed_all(
                    &mut tokio_util::codec::FramedWrite::new(
                        &mut *out,
                        tokio_util::codec::LengthDelimitedCodec::new(),
                    ),
                    count,
                    || payload,
                ),
                "asynchronous-codec" => feed_all(
                    &mut asynchronous_codec::FramedWrite::new(&mut *out, U32LengthCodec),
                    count,
                    || payload,
                ),
                other => panic!("unknown implementation {other}"),
            }
        }
        assert_eq!(out.len() - before, self.wire.len(), "bytes encoded");
    }
}

/// Keeps a decoded frame from being optimised away.
fn sink<T>(frame: T) {
    std::hint::black_box(frame);
}
