//! The read and write halves that every `Framed*` type drives: one poll implementation each.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use bytes::Buf;
use futures_io::{AsyncRead, AsyncWrite};

use crate::decoder::Decoder;
use crate::encoder::Encoder;
use crate::read_buf::ReadBuf;
use crate::write_buf::{MAX_SLICES, MIN_QUEUED_CHUNK, WriteBuf, io_slice};
use crate::write_through::WriteThrough;

/// The default write high-water mark: [`poll_ready`](futures_sink::Sink::poll_ready) flushes
/// until the write buffer holds less than this. 16 KiB: larger buffers leave the CPU caches
/// and cost more than the writes they save.
pub const DEFAULT_HIGH_WATER_MARK: usize = 16 * 1024;

/// Rounds of short items (writes of the buffer) after which a writer stops writing long
/// payloads through.
const LONG_ROUNDS: u8 = 4;

/// Where the read side of a framed stream stands.
///
/// After [`Eof`](ReadState::Eof) or [`Errored`](ReadState::Errored) the stream is
/// terminated for good: it yields `None` on every later poll and
/// [`FusedStream::is_terminated`](futures_core::FusedStream::is_terminated) is `true`. It
/// never yields `None` and then frames again, so a `None` after an error cannot be taken
/// for a clean end of stream that later resumes (tokio#3976): check this state to tell
/// the two apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadState {
    /// Frames may still come.
    Open,
    /// The transport reached end of stream and every frame was yielded.
    Eof,
    /// A read or decode error was yielded; nothing more will be read.
    Errored,
}

/// The read half: buffer, phase and whether new bytes arrived since the last `None`.
#[derive(Debug)]
pub(crate) struct ReadHalf {
    pub(crate) buf: ReadBuf,
    /// New bytes (or a frame taken) since the decoder last said "need more".
    readable: bool,
    /// Code other than the decoder may have edited the buffer since the last decode:
    /// call [`Decoder::buffer_edited`] first.
    edited: bool,
    /// The transport said end of stream; `decode_eof` drains the rest.
    eof: bool,
    /// Bytes the last frame took off the buffer (header included), for the size of the
    /// next read (see `ReadBuf::poll_read_from`); 0 before the first frame.
    stride: usize,
    /// Bytes taken off the buffer since the last frame (a header decoded before its
    /// payload arrived).
    taken: usize,
    state: ReadState,
}

impl ReadHalf {
    pub(crate) fn new(buf: ReadBuf) -> Self {
        // Bytes handed over by a previous codec may already hold frames.
        let readable = !buf.data().is_empty();
        Self {
            buf,
            readable,
            // A codec handed over with the bytes may have scanned them in another buffer.
            edited: true,
            eof: false,
            stride: 0,
            taken: 0,
            state: ReadState::Open,
        }
    }

    /// The buffer or the codec was changed from outside (`read_buffer_mut`, `codec_mut`,
    /// `map_codec`): decode what is buffered before reading more, and tell the decoder
    /// first that the buffer may have been edited.
    pub(crate) fn mark_edited(&mut self) {
        self.readable = true;
        self.edited = true;
    }

    pub(crate) fn state(&self) -> ReadState {
        self.state
    }

    pub(crate) fn is_terminated(&self) -> bool {
        self.state != ReadState::Open
    }

    pub(crate) fn poll_next<R, D>(
        &mut self,
        cx: &mut Context<'_>,
        io: &mut R,
        codec: &mut D,
    ) -> Poll<Option<Result<D::Item, D::Error>>>
    where
        R: AsyncRead + Unpin + ?Sized,
        D: Decoder,
    {
        loop {
            if self.state != ReadState::Open {
                return Poll::Ready(None);
            }
            if self.readable {
                if self.edited {
                    self.edited = false;
                    codec.buffer_edited();
                }
                let before = self.buf.data().len();
                let src = match codec.keeps_buffer_init() {
                    Some(proof) => self.buf.data_mut_keeping_init(proof),
                    None => self.buf.data_mut(),
                };
                let decoded = if self.eof {
                    codec.decode_eof(src)
                } else {
                    codec.decode(src)
                };
                self.taken = self
                    .taken
                    .saturating_add(before.saturating_sub(self.buf.data().len()));
                match decoded {
                    Ok(Some(frame)) => {
                        self.stride = std::mem::take(&mut self.taken);
                        return Poll::Ready(Some(Ok(frame)));
                    }
                    Ok(None) if self.eof => {
                        self.state = ReadState::Eof;
                        return Poll::Ready(None);
                    }
                    Ok(None) => self.readable = false,
                    Err(err) => {
                        if !codec.is_recoverable(&err) {
                            self.state = ReadState::Errored;
                        }
                        return Poll::Ready(Some(Err(err)));
                    }
                }
            }
            let frame_remaining = codec.frame_remaining(self.buf.data());
            match self
                .buf
                .poll_read_from(cx, io, frame_remaining, self.stride)
            {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(n)) => {
                    self.readable = true;
                    self.eof = n == 0;
                }
                Poll::Ready(Err(err)) if err.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(err)) => {
                    self.state = ReadState::Errored;
                    return Poll::Ready(Some(Err(err.into())));
                }
            }
        }
    }
}

/// The write half: buffer and high-water mark.
#[derive(Debug)]
pub(crate) struct WriteHalf {
    pub(crate) buf: WriteBuf,
    /// At least 1 (see [`set_high_water`](Self::set_high_water)).
    pub(crate) high_water: usize,
    /// Rounds left in which items count as long enough to write through (see
    /// [`WriteHalf::learn_item_size`]): only then does `poll_ready` keep its waker, so
    /// short items pay nothing for it.
    long: u8,
    /// Items sent since the buffer was last written from `poll_ready` or `poll_flush`.
    sent: usize,
    /// Payload bytes handed to the transport from `start_send` in that time.
    through: usize,
    /// The waker of the last `poll_ready`, for a write from `start_send` (which has no
    /// context).
    waker: Option<Waker>,
    /// `poll_ready` kept `waker` since the last `start_send`: it belongs to the task
    /// sending now.
    ready: bool,
}

impl WriteHalf {
    pub(crate) fn new(buf: WriteBuf) -> Self {
        Self {
            buf,
            high_water: DEFAULT_HIGH_WATER_MARK,
            long: 0,
            sent: 0,
            through: 0,
            waker: None,
            ready: false,
        }
    }

    /// Sets the high-water mark; `0` is stored as `1`, so that the per-item check is one
    /// comparison.
    pub(crate) fn set_high_water(&mut self, mark: usize) {
        self.high_water = mark.max(1);
    }

    /// The shortest payload written through: the mark (a shorter one is better gathered
    /// with others into one write), and at least [`MIN_QUEUED_CHUNK`].
    fn through_min(&self) -> usize {
        self.high_water.max(MIN_QUEUED_CHUNK)
    }

    /// Before the buffer is written: whether the items sent since the last time averaged
    /// at least [`through_min`](Self::through_min) bytes, counting the buffer and the
    /// payloads written through (whose leftovers the buffer holds).
    ///
    /// Long items keep the writer writing through for [`LONG_ROUNDS`] rounds, so that a
    /// short item between long ones (a control frame, each sent with `send()`) does not
    /// switch it off.
    fn learn_item_size(&mut self) {
        if self.sent > 0 {
            let seen = self.buf.len().saturating_add(self.through);
            self.long = if seen >= self.through_min().saturating_mul(self.sent) {
                LONG_ROUNDS
            } else {
                self.long.saturating_sub(1)
            };
            if self.long == 0 {
                // Not needed until items are long again: do not keep a task alive.
                self.waker = None;
                self.ready = false;
            }
            self.sent = 0;
            self.through = 0;
        }
    }

    #[inline]
    pub(crate) fn poll_ready<W>(&mut self, cx: &mut Context<'_>, io: &mut W) -> Poll<io::Result<()>>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        if self.buf.len() >= self.high_water {
            match self.poll_drain_below_mark(cx, io) {
                Poll::Ready(Ok(())) => {}
                other => return other,
            }
        }
        if self.long > 0 {
            self.keep_waker(cx);
        }
        Poll::Ready(Ok(()))
    }

    #[inline(never)]
    fn keep_waker(&mut self, cx: &Context<'_>) {
        match &self.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => self.waker = Some(cx.waker().clone()),
        }
        self.ready = true;
    }

    /// Writes until the buffer is under the high-water mark.
    #[cold]
    fn poll_drain_below_mark<W>(&mut self, cx: &mut Context<'_>, io: &mut W) -> Poll<io::Result<()>>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        self.learn_item_size();
        while self.buf.len() >= self.high_water {
            match poll_write_some(&mut self.buf, cx, io, &[]) {
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Encodes `item`. Right after a `poll_ready`, a borrowed payload of at least the
    /// high-water mark (and [`MIN_QUEUED_CHUNK`]) goes to `io` behind what the buffer holds,
    /// as far as `io` takes it at once, as `std::io::BufWriter` writes a long slice: copying
    /// it into the buffer would not save a write.
    #[inline(always)]
    pub(crate) fn start_send<E, I, W>(
        &mut self,
        codec: &mut E,
        item: I,
        io: &mut W,
    ) -> Result<(), E::Error>
    where
        E: Encoder<I>,
        W: AsyncWrite + Unpin + ?Sized,
    {
        self.sent = self.sent.wrapping_add(1);
        if self.ready {
            return self.start_send_through(codec, item, io);
        }
        codec.encode_to(item, &mut self.buf)
    }

    /// [`start_send`](Self::start_send) with the waker `poll_ready` kept.
    #[inline(never)]
    fn start_send_through<E, I, W>(
        &mut self,
        codec: &mut E,
        item: I,
        io: &mut W,
    ) -> Result<(), E::Error>
    where
        E: Encoder<I>,
        W: AsyncWrite + Unpin + ?Sized,
    {
        self.ready = false;
        let min = self.through_min();
        let Some(waker) = &self.waker else {
            return codec.encode_to(item, &mut self.buf);
        };
        let through = &mut self.through;
        let mut write = |buf: &mut WriteBuf, payload: &[u8]| {
            *through = through.saturating_add(payload.len());
            write_through(buf, &mut Context::from_waker(waker), &mut *io, payload);
        };
        let mut through = WriteThrough::new(min, &self.buf, &mut write);
        codec.encode_through(item, &mut self.buf, &mut through)
    }

    pub(crate) fn poll_flush<W>(&mut self, cx: &mut Context<'_>, io: &mut W) -> Poll<io::Result<()>>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        if !self.buf.is_empty() {
            self.learn_item_size();
        }
        while !self.buf.is_empty() {
            match poll_write_some(&mut self.buf, cx, io, &[]) {
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Pin::new(io).poll_flush(cx)
    }

    pub(crate) fn poll_close<W>(&mut self, cx: &mut Context<'_>, io: &mut W) -> Poll<io::Result<()>>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        match self.poll_flush(cx, io) {
            Poll::Ready(Ok(())) => Pin::new(io).poll_close(cx),
            other => other,
        }
    }
}
/// One write of the front of `buf` and, when all of `buf` fits in the write, of the start
/// of `payload` (empty for a plain flush): a plain write while nothing is queued and there
/// is no payload, else a vectored one of up to `MAX_SLICES` slices. Returns how many bytes
/// of `payload` it wrote (maybe none).
fn poll_write_some<W>(
    buf: &mut WriteBuf,
    cx: &mut Context<'_>,
    io: &mut W,
    payload: &[u8],
) -> Poll<io::Result<usize>>
where
    W: AsyncWrite + Unpin + ?Sized,
{
    let held = buf.len();
    let (written, offered, first, vectored) = if held == 0 {
        let len = payload.len();
        (Pin::new(&mut *io).poll_write(cx, payload), len, len, false)
    } else if !buf.has_queued() && payload.is_empty() {
        let tail = buf.tail();
        let len = tail.len();
        (Pin::new(&mut *io).poll_write(cx, tail), len, len, false)
    } else {
        // Filled only here: the plain writes above skip setting up 64 slices.
        let mut slices = [IoSlice::new(&[]); MAX_SLICES];
        // Keep a slot for the payload, which goes only behind all of the buffer.
        let room = if payload.is_empty() {
            MAX_SLICES
        } else {
            MAX_SLICES - 1
        };
        let mut n = buf.chunks_vectored(&mut slices[..room]);
        let in_slices: usize = slices[..n].iter().map(|slice| slice.len()).sum();
        if in_slices == held && !payload.is_empty() {
            slices[n] = io_slice(payload);
            n += 1;
        }
        let slices = &slices[..n];
        let offered = slices.iter().map(|slice| slice.len()).sum();
        let first = slices.first().map_or(0, |slice| slice.len());
        (
            Pin::new(&mut *io).poll_write_vectored(cx, slices),
            offered,
            first,
            true,
        )
    };
    match written {
        Poll::Pending => Poll::Pending,
        Poll::Ready(Ok(0)) => Poll::Ready(Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "transport accepted no bytes; it is closed for writing",
        ))),
        Poll::Ready(Ok(n)) => {
            // A writer that claims more than it was offered loses none of the rest.
            let n = n.min(offered);
            if vectored && n == first && n < offered {
                // The mark of `AsyncWrite`'s default `poll_write_vectored`, which writes
                // only the first slice (a vectored writer stops exactly there only by
                // chance): queued chunks would each cost a write, so copy them.
                buf.copy_chunks_from_now_on();
            }
            let from_buf = n.min(held);
            buf.advance(from_buf);
            Poll::Ready(Ok(n - from_buf))
        }
        Poll::Ready(Err(err)) if err.kind() == io::ErrorKind::Interrupted => Poll::Ready(Ok(0)),
        Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
    }
}

/// Writes `buf` and then `payload` for as long as `io` takes them without waiting, and
/// copies the rest of `payload` into `buf`. A write that waits registers `cx`'s waker (that
/// of the `poll_ready` just before: that task flushes next); an error, or a write that
/// makes no progress, ends the attempt and the bytes stay buffered, so the next flush
/// meets the same error with nothing lost. A writer of one slice per write gets the
/// payload copied while bytes are buffered: a write for those and another for the payload
/// would double the writes.
#[inline(never)]
fn write_through<W>(buf: &mut WriteBuf, cx: &mut Context<'_>, io: &mut W, mut payload: &[u8])
where
    W: AsyncWrite + Unpin + ?Sized,
{
    while !payload.is_empty() && (buf.is_empty() || !buf.copies_chunks()) {
        let held = buf.len();
        match poll_write_some(buf, cx, io, payload) {
            Poll::Ready(Ok(taken)) if taken > 0 || buf.len() < held => {
                payload = &payload[taken..];
            }
            _ => break,
        }
    }
    buf.bytes_mut().extend_from_slice(payload);
}
