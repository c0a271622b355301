//! The read buffer: grows with the bytes received, and behind the crate's own decoders
//! never zeroes memory twice.
//!
//! `futures-io` readers need an initialised `&mut [u8]`. Zeroing the spare capacity before
//! every read costs as much as the read itself on large frames (tokio#3417), so this module
//! remembers which address range of the current allocation it has already initialised,
//! and zeroes only the part of the room that a read is handed: a fresh buffer that
//! `reserve` grew to 112 KiB for 64 KiB frames zeroes at most the frame and the first
//! read's room (72 KiB; a unit test checks the bound), not 112.
//!
//! One handle, `data`, holds the received bytes not yet decoded, and its spare capacity is
//! the room for the next read. A read writes into that room and extends `data` over what
//! it received: no handle is split off or joined back per read, so a read costs no atomic
//! reference-count update.
//!
//! `region` is an address range of the allocation that `data` keeps alive, every byte of
//! which has been written (zeroed by us, or received) and has been reachable since only
//! through handles that this crate's own code used. The crate's own decoders only take
//! bytes off the front of `data`; they prove it with a [`KeepsInit`] that only this crate
//! can make. Safe code with a `BytesMut` can make bytes uninitialised again: it can write
//! `MaybeUninit::uninit()` into the handle's spare capacity. So before code outside the
//! crate (a decoder of the user's, or a caller of `read_buffer_mut`) gets `data`, the room
//! is split off into a second handle, `spare`, which is never handed out; the next read
//! joins it back and trusts only the room `spare` held, zeroing the rest again.
//!
//! Whenever `data` may have moved to another allocation (after the decoder or a caller had
//! it), the range is only trusted again if its capacity overlaps the range *while the old
//! allocation is still alive* (`spare` keeps it alive): a live allocation cannot overlap
//! another one, so an overlap proves `data` is in the same allocation. Nothing of an
//! allocation that `reserve` made is trusted.

// One of the four modules of the crate with `unsafe` (with `lines`, `scan` and
// `length_delimited::plain_frame`); each block says why it holds.
#![allow(unsafe_code)]

use std::io;
use std::mem;
use std::ops::Range;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use futures_io::AsyncRead;

pub(crate) use sealed::KeepsInit;

mod sealed {
    /// Proof that a decoder is one of this crate's own: it only takes bytes off the front
    /// of the buffer (`advance`, `split_to(..).freeze()`), never writes uninitialised bytes
    /// and never hands a `BytesMut` on the buffer to other code. Code outside the crate
    /// cannot name this type, so it cannot claim the same.
    #[derive(Debug, Clone, Copy)]
    pub struct KeepsInit(());

    impl KeepsInit {
        /// Only for the decoders of this crate (see the type's docs).
        pub(crate) const fn new() -> Self {
            Self(())
        }
    }
}

/// A refill leaves at least this much room after the buffered bytes (a read may be asked
/// for less: a header, the rest of a frame, whole frames).
///
/// The allocation grows only when the bytes held plus this room do not fit: with the bytes
/// the peer sent, never ahead of them.
pub(crate) const MIN_READ: usize = 8 * 1024;

/// A partial frame that fills half the room when the room runs out doubles the room, up to
/// this, so large frames are not moved to the front of the buffer on every read.
pub(crate) const MAX_ROOM: usize = 64 * 1024;

/// See the module docs.
#[derive(Debug)]
pub(crate) struct ReadBuf {
    /// The received bytes not yet decoded; unless `exposed`, its spare capacity is the
    /// room for the next read.
    data: BytesMut,
    /// While `exposed`: the room split off `data` before code outside the crate got it,
    /// never handed out (it may have no capacity). Otherwise empty, with no capacity.
    spare: BytesMut,
    /// Addresses known initialised in the allocation that `data` keeps alive, and
    /// reachable since only by this crate's code (module docs). While `exposed`, only its
    /// part inside `spare` counts (`rejoin`).
    region: Option<Range<usize>>,
    /// Room to make when refilling: [`MIN_READ`], doubled by large partial frames.
    room: usize,
    /// Code outside the crate had `data` since the last read.
    exposed: bool,
    /// Bytes zeroed so far, for the tests of the reuse rules.
    #[cfg(test)]
    zeroed: usize,
}

fn capacity_range(buf: &BytesMut) -> Range<usize> {
    let start = buf.as_ptr() as usize;
    start..start + buf.capacity()
}

/// The addresses in both ranges, if any.
fn intersection(a: &Range<usize>, b: &Range<usize>) -> Option<Range<usize>> {
    let both = a.start.max(b.start)..a.end.min(b.end);
    (!both.is_empty()).then_some(both)
}

/// Writes zeroes over `bytes`; returns how many it wrote.
#[cold]
fn zero(bytes: &mut [std::mem::MaybeUninit<u8>]) -> usize {
    for byte in &mut *bytes {
        byte.write(0);
    }
    bytes.len()
}

impl ReadBuf {
    /// Starts from bytes already received (for example by a previous codec).
    pub(crate) fn from_bytes(data: BytesMut) -> Self {
        Self {
            data,
            spare: BytesMut::new(),
            region: None,
            room: MIN_READ,
            exposed: false,
            #[cfg(test)]
            zeroed: 0,
        }
    }

    /// The received bytes not yet decoded.
    pub(crate) fn data(&self) -> &BytesMut {
        &self.data
    }

    /// The received bytes not yet decoded, for code outside the crate to edit.
    ///
    /// The room is split off first (the first time since the last read: one atomic
    /// reference-count update, and joining it back at the next read another). Whatever
    /// the caller does, the next read re-checks where `data` lives and zeroes again all
    /// the memory it reuses except that room.
    pub(crate) fn data_mut(&mut self) -> &mut BytesMut {
        if !self.exposed {
            self.exposed = true;
            let len = self.data.len();
            if self.data.capacity() > len {
                self.spare = self.data.split_off(len);
            }
        }
        &mut self.data
    }

    /// The received bytes not yet decoded, for a decoder of this crate (`KeepsInit`): the
    /// memory it leaves is reused without zeroing it again.
    pub(crate) fn data_mut_keeping_init(&mut self, _proof: KeepsInit) -> &mut BytesMut {
        &mut self.data
    }

    /// Gives the buffered bytes back, with the spare room.
    pub(crate) fn into_bytes(mut self) -> BytesMut {
        let spare = mem::take(&mut self.spare);
        self.data.unsplit(spare);
        self.data
    }

    /// Reads once from `io` into the buffer; `Ok(0)` is end of stream.
    ///
    /// `frame_remaining` (from the decoder) and `stride` (the bytes the last frame took, 0
    /// before the first) decide where the read ends: for frames of at least [`MIN_READ`]
    /// bytes, where the decoder's next step ends, or at a frame boundary where a whole
    /// frame of `stride` bytes ends; else on a frame boundary if the frames so far were of
    /// one size; else at the end of the room.
    pub(crate) fn poll_read_from<R>(
        &mut self,
        cx: &mut Context<'_>,
        io: &mut R,
        frame_remaining: Option<usize>,
        stride: usize,
    ) -> Poll<io::Result<usize>>
    where
        R: AsyncRead + Unpin + ?Sized,
    {
        if self.exposed {
            self.rejoin();
        }
        // At a frame boundary (nothing buffered) after a frame of at least `MIN_READ` bytes,
        // ask for a whole frame of the last one's size, header included, not just for the
        // header: frames of one size then take one read each instead of two (on a socket,
        // one system call, not two). A different size only moves the boundary: the rest is
        // read exactly again.
        let frame_remaining = match frame_remaining {
            Some(rest) if stride >= MIN_READ && self.data.is_empty() => Some(rest.max(stride)),
            other => other,
        };
        // Large frames: read just what the decoder needs (the header, then the rest of the
        // frame), so the buffer ends on a frame boundary and the next frame starts at the
        // front of the room instead of being moved there. Small frames: fill the room, or
        // as many whole frames of `stride` bytes as fit in it (below).
        let exact = frame_remaining.filter(|&rest| {
            rest > 0 && (stride >= MIN_READ || self.data.len().saturating_add(rest) >= MIN_READ)
        });
        if self.data.capacity() - self.data.len() < MIN_READ {
            // A partial frame that fills half the room would be moved again and again:
            // make the room larger (still bounded by what the peer keeps sending).
            if self.data.len() > self.room / 2 && self.room < MAX_ROOM {
                self.room *= 2;
            }
            // The rest of a frame needs no more room than it has left: the last step of a
            // growing buffer asks only for the frame's end (`reserve` may still double the
            // allocation past it: a fresh stream of 64 KiB frames ends at 112 KiB, not the
            // 120 KiB that asking for a whole room would give). Growing exactly, by a trip
            // through `Vec::reserve_exact`, moved the buffered bytes once more and measured
            // 3-5% slower.
            let want = match exact {
                Some(rest) if !self.data.is_empty() => rest.clamp(MIN_READ, self.room),
                _ => self.room,
            };
            self.refill(want, true);
        }
        if let Some(rest) = exact
            && rest > self.data.capacity() - self.data.len()
        {
            // Make room for the whole frame now, while few bytes of it are buffered, if
            // the allocation has it.
            self.refill(rest, false);
        }
        let room = self.data.capacity() - self.data.len();
        let len = match (exact, frame_remaining) {
            (Some(rest), _) => rest.min(room),
            // If the next frames are as long as the last one (`stride`), end the read on a
            // frame boundary, so that the next refill has no partial frame to move to the
            // front of the buffer: 4 KiB frames in a 16 KiB room left 4084 bytes to move on
            // every refill, a third of the bytes read (+9% on `decode/4KiB`, interleaved).
            // The read loses less than one frame of room, and no more than half of it.
            (None, Some(rest)) if stride > 0 && rest < room => {
                let whole = rest + (room - rest) / stride * stride;
                if whole >= room / 2 { whole } else { room }
            }
            _ => room,
        };
        self.init_room(len);
        let ptr = self.data.spare_capacity_mut().as_mut_ptr().cast::<u8>();
        // SAFETY: the spare capacity of `data` is `room >= len` bytes from `ptr`, owned by
        // this handle alone (`BytesMut` hands out disjoint regions). `init_room` just made
        // the first `len` of them lie inside `region`, so every one is initialised (module
        // docs). The slice is used only by the `poll_read` below, before `data` is touched
        // again.
        let dst = unsafe { std::slice::from_raw_parts_mut(ptr, len) };
        let n = match Pin::new(io).poll_read(cx, dst) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
            Poll::Ready(Ok(n)) => n,
        };
        if n > len {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("reader claimed {n} bytes read into a buffer of {len}"),
            )));
        }
        let filled = self.data.len() + n;
        // SAFETY: `n <= len <= room`, so `filled` is within the capacity, and the first
        // `len` bytes past the old length are initialised (see above; the reader wrote
        // into them through an initialised slice).
        unsafe { self.data.set_len(filled) };
        Poll::Ready(Ok(n))
    }

    /// Makes the first `len` bytes of the spare capacity of `data` (at most all of it)
    /// initialised: zeroes those past `region` and extends `region` over them.
    #[inline]
    fn init_room(&mut self, len: usize) {
        let spare = self.data.spare_capacity_mut();
        let start = spare.as_ptr() as usize;
        let end = start + len;
        let _zeroed = match &mut self.region {
            Some(region) if region.start <= start && end <= region.end => 0,
            // `region` ends inside the room (or where it starts): zero the rest.
            Some(region) if region.start <= start && start <= region.end => {
                let zeroed = zero(&mut spare[region.end - start..len]);
                region.end = end;
                zeroed
            }
            // Nothing of the room is known: `region` is the room alone from now on.
            region => {
                *region = Some(start..end);
                zero(&mut spare[..len])
            }
        };
        #[cfg(test)]
        {
            self.zeroed += _zeroed;
        }
    }

    /// Takes back the room that [`data_mut`](Self::data_mut) split off, after code outside
    /// the crate had `data`, and keeps of `region` only what that room held (never handed
    /// out), and only if `data` is still in the same allocation.
    #[cold]
    fn rejoin(&mut self) {
        let spare = mem::take(&mut self.spare);
        // `spare` still keeps the old allocation alive here (if it holds room at all; if
        // not, nothing is kept below), so a `data` whose capacity overlaps `region` is a
        // handle of that same allocation. An empty `data` (of any capacity) becomes `spare`
        // itself in `unsplit`; with no capacity it cannot overlap anything, so it counts as
        // known.
        let data_range = capacity_range(&self.data);
        let data_known = self.data.capacity() == 0
            || self
                .region
                .as_ref()
                .is_some_and(|r| intersection(r, &data_range).is_some());
        self.region = match self.region.take() {
            Some(region) if data_known => intersection(&region, &capacity_range(&spare)),
            _ => None,
        };
        // O(1) if the two are contiguous (the usual case); otherwise it drops `spare`,
        // copying nothing (it holds no bytes). Then the addresses of `region` lie in the
        // allocation `data` keeps alive but outside its capacity, and only a `reserve`
        // that reclaims the allocation in place brings them back into it.
        self.data.unsplit(spare);
        self.exposed = false;
    }

    /// Makes at least `want` bytes of room after `data`: by reclaiming its allocation (the
    /// bytes move to the front, or the capacity extends in place when `data` is the
    /// allocation's only handle), or (if `allocate`) by a new allocation. Without
    /// `allocate` the room may stay smaller: `poll_read_from` calls it so only when the
    /// room is at least [`MIN_READ`] already, so a read never gets no room (which would
    /// return `Ok(0)`, a false end of stream). The room is initialised as far as `region`
    /// reaches; [`init_room`](Self::init_room) zeroes the rest when a read is handed it.
    #[cold]
    fn refill(&mut self, want: usize, allocate: bool) {
        let mut known = self.region.take();
        let room = self.data.capacity() - self.data.len();
        if room < want {
            // Reclaiming the front of the allocation is a move inside it: `known` stays
            // true. Otherwise `reserve` allocates, possibly by reallocating the block
            // `data` alone holds, and nothing promises where the new block lies or what
            // it holds past the bytes copied: nothing of it is known.
            if !self.data.try_reclaim(want) && allocate {
                known = None;
                self.data.reserve(want);
            }
        }
        // Bytes below `len` are received bytes, and `known` addresses are initialised. A
        // gap between the two is zeroed now; the room past `known` only when a read is
        // handed it (`init_room`), so a growing buffer zeroes what the peer fills, not what
        // `reserve` rounded the allocation up to.
        let range = capacity_range(&self.data);
        let (start, room) = (range.start, range.start + self.data.len()..range.end);
        let spare = self.data.spare_capacity_mut();
        let mut end = room.start;
        if let Some(k) = known.as_ref().and_then(|k| intersection(k, &room)) {
            let _zeroed = zero(&mut spare[..k.start - room.start]);
            #[cfg(test)]
            {
                self.zeroed += _zeroed;
            }
            end = k.end;
        }
        self.region = (end > start).then_some(start..end);
    }
}

#[cfg(test)]
mod sequences;

#[cfg(test)]
mod tests {
    use super::*;
    use futures_lite::future::block_on;
    use futures_lite::future::poll_fn;

    /// Input sizes are divided by this under miri, which runs them about 1000x slower; they
    /// still span several refills of the buffer.
    const SCALE: u32 = if cfg!(miri) { 10 } else { 1 };

    #[test]
    fn reads_accumulate_and_reuse_memory() {
        let input: Vec<u8> = (0..100_000 / SCALE).map(|i| i as u8).collect();
        let mut reader = &input[..];
        let mut buf = ReadBuf::from_bytes(BytesMut::new());
        let mut out = Vec::new();
        block_on(async {
            loop {
                let n = poll_fn(|cx| buf.poll_read_from(cx, &mut reader, None, 0))
                    .await
                    .unwrap();
                if n == 0 {
                    break;
                }
                let chunk = buf.data_mut().split();
                out.extend_from_slice(&chunk);
            }
        });
        assert_eq!(out, input);
    }

    #[test]
    fn exact_reads_with_leftovers_and_kept_frames() {
        // 20 KB "frames" read with exact hints, leftovers kept, every third frame kept alive
        // (so the allocation cannot always be reclaimed).
        // Frames stay above `MIN_READ` under miri too: the hints below treat them as large.
        let frame = 20_000;
        let input: Vec<u8> = (0..(200_000 / SCALE).max(3 * frame as u32))
            .map(|i| (i % 251) as u8)
            .collect();
        let mut reader = &input[..];
        let mut buf = ReadBuf::from_bytes(BytesMut::new());
        let mut out = Vec::new();
        let mut kept = Vec::new();
        block_on(async {
            loop {
                let have = buf.data().len();
                let rest = frame - have % frame;
                let n = poll_fn(|cx| buf.poll_read_from(cx, &mut reader, Some(rest), MIN_READ))
                    .await
                    .unwrap();
                if n == 0 {
                    break;
                }
                assert!(n <= rest);
                while buf.data().len() >= frame {
                    let f = buf.data_mut().split_to(frame).freeze();
                    out.extend_from_slice(&f);
                    if out.len() % (3 * frame) == 0 {
                        kept.push(f);
                    }
                }
            }
        });
        out.extend_from_slice(buf.data());
        assert_eq!(out, input);
        assert!(kept.iter().all(|f| f.len() == frame));
    }

    /// Reads `frames` frames of `frame` bytes with exact hints and drops each one, taking
    /// them off through the trusted or the exposed handle; returns the bytes zeroed and
    /// the largest capacity the buffer had.
    fn zeroed_for(frames: usize, frame: usize, trusted: bool) -> (usize, usize) {
        let input: Vec<u8> = (0..frames * frame).map(|i| i as u8).collect();
        let mut reader = &input[..];
        let mut buf = ReadBuf::from_bytes(BytesMut::new());
        let mut largest = 0;
        let mut taken = 0;
        block_on(async {
            loop {
                let rest = frame - buf.data().len();
                let n = poll_fn(|cx| buf.poll_read_from(cx, &mut reader, Some(rest), MIN_READ))
                    .await
                    .unwrap();
                largest = largest.max(buf.data().capacity() + buf.spare.capacity());
                if n == 0 {
                    break;
                }
                if buf.data().len() == frame {
                    let data = if trusted {
                        buf.data_mut_keeping_init(KeepsInit::new())
                    } else {
                        buf.data_mut()
                    };
                    let f = data.split_to(frame).freeze();
                    assert_eq!(&f[..], &input[taken..taken + frame]);
                    taken += frame;
                }
            }
        });
        assert_eq!(taken, input.len());
        (buf.zeroed, largest)
    }

    #[test]
    fn trusted_reuse_zeroes_memory_once_and_exposed_reuse_zeroes_it_again() {
        let frames = (40 / SCALE as usize).max(4);
        let frame = 20_000;
        let (trusted, largest) = zeroed_for(frames, frame, true);
        assert!(
            trusted <= largest,
            "zeroed {trusted} bytes, more than the largest capacity {largest}"
        );
        let (exposed, _) = zeroed_for(frames, frame, false);
        assert!(
            exposed >= (frames - 2) * frame,
            "zeroed only {exposed} bytes for {frames} reused frames of {frame}"
        );
    }

    #[test]
    fn a_growing_buffer_zeroes_what_reads_fill_not_what_reserve_rounded_up_to() {
        // A fresh buffer grows to 112 KiB for 64 KiB frames (`reserve` doubles); only the
        // frame and the first read's room are zeroed.
        // Frames stay above `MIN_READ` under miri too (`zeroed_for` passes that stride).
        let frame = (65_536 / SCALE as usize).max(2 * MIN_READ);
        let (zeroed, largest) = zeroed_for(4, frame, true);
        assert!(
            zeroed <= frame + MIN_READ,
            "zeroed {zeroed} bytes for frames of {frame} (capacity {largest})"
        );
    }

    #[test]
    fn reads_end_on_frame_boundaries_once_frames_are_of_one_size() {
        let frame = 4100;
        let frames = (40 / SCALE as usize).max(4);
        let input: Vec<u8> = (0..frames * frame).map(|i| (i % 251) as u8).collect();
        let mut reader = &input[..];
        let mut buf = ReadBuf::from_bytes(BytesMut::new());
        let mut stride = 0;
        let mut out = Vec::new();
        let mut reads = 0;
        block_on(async {
            loop {
                let rest = frame - buf.data().len() % frame;
                let n = poll_fn(|cx| buf.poll_read_from(cx, &mut reader, Some(rest), stride))
                    .await
                    .unwrap();
                if n == 0 {
                    break;
                }
                reads += 1;
                if stride > 0 {
                    assert_eq!(buf.data().len() % frame, 0, "read {reads} ended mid-frame");
                }
                while buf.data().len() >= frame {
                    let data = buf.data_mut_keeping_init(KeepsInit::new());
                    out.extend_from_slice(&data.split_to(frame));
                    stride = frame;
                }
            }
        });
        assert_eq!(out, input);
        assert!(
            reads < frames,
            "{reads} reads for {frames} frames: not one per frame"
        );
    }

    /// Length-delimited frames of 20 000 bytes, header included: once the first frame has
    /// set the stride, each frame takes one read (header and payload together), not one
    /// for the header and one for the payload.
    #[test]
    fn large_frames_of_one_size_take_one_read_each() {
        let frames = (40 / SCALE as usize).max(4);
        let payload = 20_000 - 4;
        let mut input = Vec::new();
        for i in 0..frames {
            input.extend_from_slice(&(payload as u32).to_be_bytes());
            input.extend((0..payload).map(|j| (i + j) as u8));
        }
        let mut reader = Inspecting::new(&input);
        let mut framed = crate::FramedRead::new(&mut reader, crate::LengthDelimitedCodec::new());
        let mut got = 0;
        block_on(async {
            while let Some(frame) = futures_lite::StreamExt::next(&mut framed).await {
                assert_eq!(frame.unwrap().len(), payload);
                got += 1;
            }
        });
        assert_eq!(got, frames);
        // The first frame grows the buffer over several reads; the end of stream is one more.
        assert!(
            reader.reads <= frames + 6,
            "{} reads for {frames} frames",
            reader.reads
        );
    }

    /// A reader that reads every byte of the buffer it is given before it fills it, as
    /// `AsyncRead` allows: under miri this fails if the driver ever hands it memory that
    /// is not initialised. It returns at most `max` bytes a read, and counts its reads.
    struct Inspecting<'a> {
        rest: &'a [u8],
        max: usize,
        reads: usize,
    }

    impl<'a> Inspecting<'a> {
        fn new(input: &'a [u8]) -> Self {
            Self {
                rest: input,
                max: usize::MAX,
                reads: 0,
            }
        }
    }

    impl AsyncRead for Inspecting<'_> {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            dst: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            self.reads += 1;
            std::hint::black_box(dst.iter().fold(0u8, |acc, &b| acc ^ b));
            let n = dst.len().min(self.rest.len()).min(self.max);
            dst[..n].copy_from_slice(&self.rest[..n]);
            self.rest = &self.rest[n..];
            Poll::Ready(Ok(n))
        }
    }

    /// Writes uninitialised bytes where safe code is allowed to: the spare capacity of a
    /// handle on the read buffer.
    fn uninit(buf: &mut BytesMut) {
        for byte in buf.spare_capacity_mut() {
            *byte = std::mem::MaybeUninit::uninit();
        }
    }

    /// A decoder outside the crate may write uninitialised bytes into the spare
    /// capacity of the buffer, or of a handle it splits off and drops: the driver must not
    /// hand that memory to a reader as initialised (miri checks it).
    #[derive(Debug)]
    enum Hostile {
        ClearsTheBuffer,
        TruncatesASplitHandle,
    }

    impl crate::Decoder for Hostile {
        type Item = usize;
        type Error = io::Error;

        fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<usize>> {
            let n = src.len();
            if n == 0 {
                return Ok(None);
            }
            match self {
                Hostile::ClearsTheBuffer => {
                    src.clear();
                    uninit(src);
                }
                Hostile::TruncatesASplitHandle => {
                    let mut taken = src.split_to(n);
                    taken.truncate(1);
                    uninit(&mut taken);
                }
            }
            Ok(Some(n))
        }
    }

    #[test]
    fn hostile_decoders_never_expose_uninitialised_memory() {
        for hostile in [Hostile::ClearsTheBuffer, Hostile::TruncatesASplitHandle] {
            let input: Vec<u8> = (0..100_000 / SCALE).map(|i| i as u8).collect();
            let mut framed = crate::FramedRead::new(Inspecting::new(&input), hostile);
            let mut total = 0;
            block_on(async {
                while let Some(n) = futures_lite::StreamExt::next(&mut framed).await {
                    total += n.unwrap();
                }
            });
            assert_eq!(total, input.len());
        }
    }

    /// The same through the public `read_buffer_mut`, with a decoder of the crate: after
    /// each line, the caller takes what is buffered and leaves uninitialised bytes behind.
    #[test]
    fn edits_through_read_buffer_mut_never_expose_uninitialised_memory() {
        let input: Vec<u8> = (0..100_000 / SCALE)
            .map(|i| {
                if i % 100 == 99 {
                    b'\n'
                } else {
                    b'a' + (i % 26) as u8
                }
            })
            .collect();
        let mut framed = crate::FramedRead::new(Inspecting::new(&input), crate::LinesCodec::new());
        let mut total = 0;
        block_on(async {
            while let Some(line) = futures_lite::StreamExt::next(&mut framed).await {
                total += line.unwrap().len() + 1;
                let buf = framed.read_buffer_mut();
                let mut taken = buf.split();
                total += taken.len();
                taken.clear();
                uninit(&mut taken);
                uninit(buf);
            }
        });
        assert_eq!(total, input.len());
    }

    /// A decoder that copies the buffer into a new allocation while a large frame is
    /// pending: the room `spare` held goes with the old allocation, and the next read must
    /// still get room (an empty buffer would read `Ok(0)`, a false end of stream).
    #[test]
    fn a_moved_buffer_still_gets_room_for_an_exact_read() {
        let frame = 200_000 / SCALE as usize;
        let input: Vec<u8> = (0..frame).map(|i| i as u8).collect();
        // Short reads, so that `spare` keeps more than `MIN_READ` once the room has grown.
        let mut reader = Inspecting {
            max: 1000,
            ..Inspecting::new(&input)
        };
        let mut buf = ReadBuf::from_bytes(BytesMut::new());
        block_on(async {
            while buf.data().len() < frame {
                let rest = frame - buf.data().len();
                let n = poll_fn(|cx| buf.poll_read_from(cx, &mut reader, Some(rest), MIN_READ))
                    .await
                    .unwrap();
                assert!(n > 0, "read 0 with {rest} bytes of the frame to come");
                let moved = BytesMut::from(&buf.data()[..]);
                *buf.data_mut() = moved;
            }
        });
        assert_eq!(&buf.data()[..], &input[..]);
    }

    #[test]
    fn survives_a_decoder_that_swaps_the_buffer() {
        let input = vec![7u8; 50_000 / SCALE as usize];
        let mut reader = &input[..];
        let mut buf = ReadBuf::from_bytes(BytesMut::new());
        let mut total = 0;
        block_on(async {
            loop {
                let n = poll_fn(|cx| buf.poll_read_from(cx, &mut reader, None, 0))
                    .await
                    .unwrap();
                if n == 0 {
                    break;
                }
                total += buf.data().len();
                assert!(buf.data().iter().all(|&b| b == 7));
                // A hostile decoder: frees the old handle and installs a fresh one.
                drop(mem::take(buf.data_mut()));
                *buf.data_mut() = BytesMut::with_capacity(100);
            }
        });
        assert_eq!(total, input.len());
    }
}
