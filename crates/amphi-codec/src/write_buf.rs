//! [`WriteBuf`]: what a framed writer holds to write, with owned chunks queued uncopied.

use std::collections::VecDeque;
use std::fmt;
use std::io::IoSlice;

use bytes::{Buf, Bytes, BytesMut};

/// Chunks shorter than this are copied into the buffer instead of queued: 8 KiB. For short
/// chunks a copy costs less than the queue slot, the split-off header and the extra slices
/// of the vectored write. Measured with owned `Bytes` frames on this project's benchmark
/// machine (Intel Xeon), in `codec_interleaved encode-bytes/SIZE` runs (SIZE 4KiB, 8KiB,
/// 16KiB, 32KiB) where a temporary build switched between copying and queuing from trial
/// to trial: copying was 7.5% faster at 4 KiB, queuing 3% faster at 8 KiB, 11% at 16 KiB
/// and 1.7x at 32 KiB. An earlier AMD EPYC machine had queuing ahead from 4 KiB already.
pub const MIN_QUEUED_CHUNK: usize = 8 * 1024;

/// The room the tail takes when a split leaves it less than [`TAIL_ROOM_LOW`]: 4 KiB, a
/// thousand 4-byte headers per allocation.
const TAIL_ROOM: usize = 4 * 1024;

/// See [`TAIL_ROOM`]: the longest header of the length-delimited codec, 8 bytes, with room
/// to spare.
const TAIL_ROOM_LOW: usize = 64;

/// At most this many slices go into one vectored write (Linux's `IOV_MAX` is 1024); a
/// longer queue takes several writes.
pub(crate) const MAX_SLICES: usize = 64;

/// The bytes a framed writer holds to write: encoded bytes, and owned chunks queued among
/// them without a copy.
///
/// An [`Encoder`](crate::Encoder) appends its encoding to [`bytes_mut`](WriteBuf::bytes_mut).
/// One that gets an owned [`Bytes`] item can instead [`push_chunk`](WriteBuf::push_chunk)
/// it: the chunk is written after everything before it, straight from its own memory, by a
/// vectored write together with the bytes around it. The codecs of this crate do that for
/// items of [`MIN_QUEUED_CHUNK`] bytes or more (`Bytes` and `BytesMut` for
/// [`LengthDelimitedCodec`](crate::LengthDelimitedCodec) and [`BytesCodec`](crate::BytesCodec),
/// `Bytes` for [`DelimitedCodec`](crate::DelimitedCodec)), so sending a large frame costs one
/// copy (into the transport) instead of two.
///
/// What a queued chunk costs:
///
/// - Memory: the high-water mark counts the bytes waiting to be written, but a queued
///   `Bytes` keeps its whole allocation alive until written. A frame split off a read
///   buffer and forwarded keeps that buffer's block; a frozen `BytesMut` keeps its spare
///   capacity, so a scratch buffer that is `split().freeze()`-ed and sent cannot reclaim
///   its memory until the next write.
/// - Writes: a writer that does not override
///   [`poll_write_vectored`](futures_io::AsyncWrite::poll_write_vectored) (the default
///   writes only the first slice; `tokio_util::compat::Compat` is one) would take a write
///   per header and one per payload. The framed writer notices the first time a vectored
///   write stops exactly at the end of its first slice, and from then on copies every
///   chunk, as the peers do.
///
/// It is a [`Buf`] over everything it holds, in write order.
///
/// # Examples
///
/// ```
/// use amphi_codec::WriteBuf;
/// use bytes::{Buf, BufMut, Bytes};
///
/// let mut buf = WriteBuf::new();
/// buf.bytes_mut().put_u32(8192);
/// buf.push_chunk(Bytes::from(vec![7u8; 8192])); // queued, not copied
/// buf.bytes_mut().put_u8(b'\n');
/// assert_eq!(buf.len(), 4 + 8192 + 1);
/// assert_eq!(buf.queued_chunks(), 2); // the 4 bytes before the chunk, then the chunk
///
/// let mut flat = Vec::new();
/// while buf.has_remaining() {
///     flat.extend_from_slice(buf.chunk());
///     let n = buf.chunk().len();
///     buf.advance(n);
/// }
/// assert_eq!(flat.len(), 8197);
/// assert_eq!(flat[8196], b'\n');
/// ```
#[derive(Default)]
pub struct WriteBuf {
    /// Copy every chunk: the writer looked unable to write vectored.
    copy_chunks: bool,
    /// Bytes written before `tail`, in order: chunks pushed and the bytes encoded before
    /// each of them. None is empty.
    queued: VecDeque<Bytes>,
    /// Total length of `queued`.
    queued_len: usize,
    /// Bytes encoded after the last queued chunk.
    tail: BytesMut,
}

impl WriteBuf {
    /// An empty buffer; allocates nothing until written to.
    pub fn new() -> Self {
        Self::default()
    }

    /// A buffer holding `bytes`.
    pub fn from_bytes(bytes: BytesMut) -> Self {
        Self {
            copy_chunks: false,
            queued: VecDeque::new(),
            queued_len: 0,
            tail: bytes,
        }
    }

    /// Bytes held, queued chunks included.
    #[inline]
    pub fn len(&self) -> usize {
        self.queued_len + self.tail.len()
    }

    /// Whether nothing is held.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The end of the buffer: bytes appended here are written after everything already
    /// held. Editing it changes only the bytes after the last queued chunk.
    #[inline]
    pub fn bytes_mut(&mut self) -> &mut BytesMut {
        &mut self.tail
    }

    /// The bytes after the last queued chunk (all of them when nothing is queued).
    pub fn tail(&self) -> &BytesMut {
        &self.tail
    }

    /// How many chunks wait to be written before [`tail`](WriteBuf::tail): every pushed
    /// chunk, and each run of bytes encoded before one.
    pub fn queued_chunks(&self) -> usize {
        self.queued.len()
    }

    /// Appends `chunk`, to be written after everything already held.
    ///
    /// A chunk of [`MIN_QUEUED_CHUNK`] bytes or more is queued as it is: no copy. The bytes
    /// appended before it are split off into the queue (no copy either; the buffer's
    /// memory is reused once they are written). A shorter chunk is copied to the end, and
    /// so is every chunk once the writer turned out not to write vectored (see above).
    ///
    /// Cost of a queued chunk: a move of `chunk` and a slot in the queue, which allocates
    /// only when the queue outgrows its capacity; when the split leaves the end of the
    /// buffer with under 64 bytes of room, a reserve of 4 KiB (an allocation unless the
    /// written part can be reclaimed: about one per thousand headers). A copied chunk costs
    /// what `extend_from_slice` does.
    pub fn push_chunk(&mut self, chunk: Bytes) {
        if self.would_copy(chunk.len()) {
            self.tail.extend_from_slice(&chunk);
            return;
        }
        if !self.tail.is_empty() {
            let before = self.tail.split().freeze();
            self.queue(before);
            // What follows a chunk is mostly the next header: keep room for many, or each
            // split leaves the tail full and the next header allocates.
            if self.tail.capacity() < TAIL_ROOM_LOW {
                self.tail.reserve(TAIL_ROOM);
            }
        }
        self.queue(chunk);
    }

    fn queue(&mut self, chunk: Bytes) {
        self.queued_len += chunk.len();
        self.queued.push_back(chunk);
    }

    /// Everything held as one `BytesMut`: copies the queued chunks (if any) in front of the
    /// tail.
    pub fn into_bytes_mut(self) -> BytesMut {
        if self.queued.is_empty() {
            return self.tail;
        }
        let mut flat = BytesMut::with_capacity(self.len());
        for chunk in &self.queued {
            flat.extend_from_slice(chunk);
        }
        flat.extend_from_slice(&self.tail);
        flat
    }

    /// Drops everything held, queued chunks included (for example, output that must not be
    /// sent after a reconnect). `bytes_mut().clear()` clears only the bytes after the last
    /// queued chunk.
    pub fn clear(&mut self) {
        self.queued.clear();
        self.queued_len = 0;
        self.tail.clear();
    }

    /// Whether chunks are queued: a write then needs [`Buf::chunks_vectored`].
    #[inline]
    pub(crate) fn has_queued(&self) -> bool {
        !self.queued.is_empty()
    }

    /// From now on, copy every chunk: the writer does not seem to write vectored.
    pub(crate) fn copy_chunks_from_now_on(&mut self) {
        self.copy_chunks = true;
    }

    /// Whether chunks are copied: the writer turned out not to write vectored.
    #[inline]
    pub(crate) fn copies_chunks(&self) -> bool {
        self.copy_chunks
    }

    /// Whether [`push_chunk`](Self::push_chunk) would copy a chunk of `len` bytes rather
    /// than queue it: an encoder that knows so can copy it with its framing in one go.
    #[inline]
    pub(crate) fn would_copy(&self, len: usize) -> bool {
        len < MIN_QUEUED_CHUNK || self.copy_chunks
    }
}

impl Buf for WriteBuf {
    #[inline]
    fn remaining(&self) -> usize {
        self.len()
    }

    #[inline]
    fn chunk(&self) -> &[u8] {
        match self.queued.front() {
            Some(front) => front,
            None => &self.tail,
        }
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let mut filled = 0;
        let all = self
            .queued
            .iter()
            .map(|chunk| &chunk[..])
            .chain(std::iter::once(&self.tail[..]))
            .filter(|bytes| !bytes.is_empty());
        for (slot, bytes) in dst.iter_mut().zip(all) {
            *slot = io_slice(bytes);
            filled += 1;
            if slot.len() < bytes.len() {
                // Cut short: the next chunk must not follow the part left out.
                break;
            }
        }
        filled
    }

    /// # Panics
    ///
    /// When `cnt` is more than [`remaining`](Buf::remaining), as `Buf` requires.
    fn advance(&mut self, mut cnt: usize) {
        assert!(
            cnt <= self.len(),
            "cannot advance a WriteBuf by {cnt} bytes: it holds {}",
            self.len()
        );
        while cnt > 0 {
            let Some(front) = self.queued.front_mut() else {
                break;
            };
            if cnt < front.len() {
                front.advance(cnt);
                self.queued_len -= cnt;
                return;
            }
            cnt -= front.len();
            self.queued_len -= front.len();
            self.queued.pop_front();
        }
        if cnt == self.tail.len() {
            // All written (the common case after a write): keep the buffer's memory from
            // its start, so that the next item needs no reclaim. `advance` would move the
            // start to the end, leaving no room, and the next `reserve` would move it back.
            self.tail.clear();
        } else {
            self.tail.advance(cnt);
        }
    }
}

impl From<BytesMut> for WriteBuf {
    fn from(bytes: BytesMut) -> Self {
        Self::from_bytes(bytes)
    }
}

impl fmt::Debug for WriteBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteBuf")
            .field("len", &self.len())
            .field("queued_chunks", &self.queued.len())
            .field("copy_chunks", &self.copy_chunks)
            .field("tail", &self.tail.len())
            .finish()
    }
}

/// The longest slice one `IoSlice` holds everywhere: `IoSlice::new` panics on Windows for
/// a slice over `u32::MAX` bytes (a `BytesCodec` item or an 8-byte length field allows
/// one). A write takes at most this much of a longer slice; the rest follows in later
/// writes.
pub(crate) const MAX_IO_SLICE: usize = u32::MAX as usize;

/// `bytes` as an `IoSlice`, cut to [`MAX_IO_SLICE`].
#[inline]
pub(crate) fn io_slice(bytes: &[u8]) -> IoSlice<'_> {
    IoSlice::new(&bytes[..bytes.len().min(MAX_IO_SLICE)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BufMut;

    /// Drains `buf` through `chunks_vectored` in writes of at most `max` bytes.
    fn drain(buf: &mut WriteBuf, max: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while buf.has_remaining() {
            let mut slices = [IoSlice::new(&[]); 3];
            let n = buf.chunks_vectored(&mut slices);
            assert!(n > 0, "a non-empty buffer offers a slice");
            let mut budget = max;
            let mut wrote = 0;
            for slice in &slices[..n] {
                let take = slice.len().min(budget);
                out.extend_from_slice(&slice[..take]);
                budget -= take;
                wrote += take;
            }
            buf.advance(wrote);
        }
        out
    }

    #[test]
    fn chunks_come_out_in_order_however_the_writes_split() {
        // Byte-at-a-time writes of 30 KB take minutes under miri: it gets the larger ones.
        let (maxes, chunks): (&[usize], u8) = if cfg!(miri) {
            (&[1000, 4097, usize::MAX], 3)
        } else {
            (&[1, 3, 1000, 4097, 5003, 20_000, usize::MAX], 6)
        };
        for &max in maxes {
            let mut buf = WriteBuf::new();
            let mut expected = Vec::new();
            for k in 0..chunks {
                buf.bytes_mut().put_u16(u16::from(k));
                expected.extend_from_slice(&u16::from(k).to_be_bytes());
                let len = if k % 2 == 0 { 5000 } else { 10 };
                let chunk = Bytes::from(vec![k; len]);
                expected.extend_from_slice(&chunk);
                buf.push_chunk(chunk);
            }
            buf.bytes_mut().put_slice(b"end");
            expected.extend_from_slice(b"end");
            assert_eq!(buf.len(), expected.len());
            assert_eq!(drain(&mut buf, max), expected, "writes of {max}");
            assert!(buf.is_empty());
        }
    }

    #[test]
    fn only_long_chunks_are_queued() {
        let mut buf = WriteBuf::new();
        buf.push_chunk(Bytes::from(vec![1; MIN_QUEUED_CHUNK - 1]));
        assert_eq!(buf.queued_chunks(), 0);
        assert_eq!(buf.tail().len(), MIN_QUEUED_CHUNK - 1);
        buf.push_chunk(Bytes::from(vec![2; MIN_QUEUED_CHUNK]));
        // The copied bytes before it, then the chunk itself.
        assert_eq!(buf.queued_chunks(), 2);
        assert!(buf.tail().is_empty());
    }

    #[test]
    fn a_queued_chunk_is_not_copied() {
        let chunk = Bytes::from(vec![9u8; MIN_QUEUED_CHUNK]);
        let at = chunk.as_ptr();
        let mut buf = WriteBuf::new();
        buf.bytes_mut().put_u32(MIN_QUEUED_CHUNK as u32);
        buf.push_chunk(chunk);
        buf.advance(4);
        assert_eq!(
            buf.chunk().as_ptr(),
            at,
            "the write reads the chunk's own memory"
        );
    }

    #[test]
    fn clear_drops_queued_chunks_too_and_copying_stops_queuing() {
        let mut buf = WriteBuf::new();
        buf.bytes_mut().put_u8(1);
        buf.push_chunk(Bytes::from(vec![2; MIN_QUEUED_CHUNK]));
        buf.clear();
        assert!(buf.is_empty());
        assert_eq!(buf.queued_chunks(), 0);
        buf.copy_chunks_from_now_on();
        buf.push_chunk(Bytes::from(vec![3; 2 * MIN_QUEUED_CHUNK]));
        assert_eq!(buf.queued_chunks(), 0);
        assert_eq!(buf.tail().len(), 2 * MIN_QUEUED_CHUNK);
    }

    #[test]
    fn into_bytes_mut_keeps_everything_in_order() {
        let mut buf = WriteBuf::from(BytesMut::from(&b"ab"[..]));
        buf.push_chunk(Bytes::from(vec![b'c'; 5000]));
        buf.bytes_mut().put_slice(b"de");
        buf.advance(1);
        let flat = buf.into_bytes_mut();
        assert_eq!(flat.len(), 1 + 5000 + 2);
        assert_eq!(&flat[..2], b"bc");
        assert_eq!(&flat[5001..], b"de");
    }

    #[test]
    fn writing_everything_keeps_the_memory_from_its_start() {
        let mut buf = WriteBuf::new();
        buf.bytes_mut().reserve(64);
        buf.bytes_mut().put_slice(&[1; 40]);
        let start = buf.tail().as_ptr();
        let capacity = buf.tail().capacity();
        buf.advance(40);
        assert!(buf.is_empty());
        assert_eq!(
            buf.tail().capacity(),
            capacity,
            "no room lost to the written bytes"
        );
        buf.bytes_mut().put_slice(&[2; 40]);
        assert_eq!(
            buf.tail().as_ptr(),
            start,
            "the next bytes go where the first went"
        );
        // A partial write still moves the start past what was written.
        buf.advance(10);
        assert_eq!(&buf.tail()[..], &[2; 30][..]);
    }

    #[test]
    fn advancing_past_the_end_panics_with_the_lengths() {
        let mut buf = WriteBuf::from(BytesMut::from(&b"abc"[..]));
        let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| buf.advance(4)));
        let message = err
            .err()
            .and_then(|e| e.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        assert!(message.contains("by 4 bytes: it holds 3"), "{message}");
    }
}
