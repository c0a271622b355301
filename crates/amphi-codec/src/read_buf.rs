//! The read buffer: grows with the bytes received and never zeroes memory twice.
//!
//! `futures-io` readers need an initialised `&mut [u8]`. Zeroing the spare capacity before
//! every read costs as much as the read itself on large frames (tokio#3417), so this module
//! remembers which address range of the current allocation it has already initialised.
//!
//! Two handles share one allocation:
//!
//! - `data`: the received bytes not yet decoded, handed to the decoder; its capacity ends
//!   where `spare` starts;
//! - `spare`: the room for the next read (length 0), never handed out. It keeps the
//!   allocation alive, and its whole capacity lies in `region`.
//!
//! `region` is an address range of the allocation that `spare` keeps alive, every byte of
//! which has been written (zeroed by us, or received). Bytes never become uninitialised
//! again, so the range stays valid while the allocation lives. Whenever a handle may have
//! moved to another allocation (after `reserve`, or after the decoder had `data`), the
//! range is only trusted again if the handle's capacity lies inside it *while the old
//! allocation is still alive*: a live allocation cannot overlap another one, so that
//! containment proves the handle is in the same allocation.

// One of the three modules of the crate with `unsafe` (with `lines` and
// `length_delimited::small_frame`); each block says why it holds.
#![allow(unsafe_code)]

use std::io;
use std::mem;
use std::ops::Range;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use futures_io::AsyncRead;

/// A read is given at least this much room (and all the room the allocation has).
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
    data: BytesMut,
    spare: BytesMut,
    /// Addresses known initialised in the allocation that `spare` keeps alive.
    region: Option<Range<usize>>,
    /// Room to make when refilling: [`MIN_READ`], doubled by large partial frames.
    room: usize,
}

fn capacity_range(buf: &BytesMut) -> Range<usize> {
    let start = buf.as_ptr() as usize;
    start..start + buf.capacity()
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

impl ReadBuf {
    /// Starts from bytes already received (for example by a previous codec).
    pub(crate) fn from_bytes(data: BytesMut) -> Self {
        Self {
            data,
            spare: BytesMut::new(),
            region: None,
            room: MIN_READ,
        }
    }

    /// The received bytes not yet decoded.
    pub(crate) fn data(&self) -> &BytesMut {
        &self.data
    }

    /// The received bytes not yet decoded, for a decoder or a caller to edit.
    ///
    /// Whatever the caller does, the next refill re-checks where `data` lives.
    pub(crate) fn data_mut(&mut self) -> &mut BytesMut {
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
    /// `frame_remaining` (from the decoder) and `large_frames` (the last frame was at least
    /// [`MIN_READ`] bytes) end the read where the decoder's next step ends.
    pub(crate) fn poll_read_from<R>(
        &mut self,
        cx: &mut Context<'_>,
        io: &mut R,
        frame_remaining: Option<usize>,
        large_frames: bool,
    ) -> Poll<io::Result<usize>>
    where
        R: AsyncRead + Unpin + ?Sized,
    {
        // Large frames: read just what the decoder needs (the header, then the rest of the
        // frame), so the buffer ends on a frame boundary and the next frame starts at the
        // front of the room instead of being moved there. Small frames: fill the room.
        let exact = frame_remaining
            .filter(|&rest| rest > 0 && (large_frames || self.data.len() + rest >= MIN_READ));
        if self.spare.capacity() < MIN_READ {
            // A partial frame that fills half the room would be moved again and again:
            // make the room larger (still bounded by what the peer keeps sending).
            if self.data.len() > self.room / 2 && self.room < MAX_ROOM {
                self.room *= 2;
            }
            self.refill(self.room, true);
        }
        if let Some(rest) = exact
            && rest > self.spare.capacity()
        {
            // Make room for the whole frame now, while few bytes of it are buffered, if
            // the allocation has it (never allocates).
            self.refill(rest, false);
        }
        let room = self.spare.capacity();
        let ptr = self.spare.spare_capacity_mut().as_mut_ptr().cast::<u8>();
        // SAFETY: `spare` has length 0, so its spare capacity is its whole capacity,
        // `room` bytes from `ptr`, owned by this handle alone (`BytesMut` hands out
        // disjoint regions). `refill` made that capacity lie inside `region`, and since
        // then `spare` only shrank from the front (`split_to`), so every byte is
        // initialised (module docs). The slice borrows `self.spare` mutably and ends
        // before `spare` is touched again.
        let dst = unsafe { std::slice::from_raw_parts_mut(ptr, room) };
        let dst = match exact {
            Some(rest) if rest < room => &mut dst[..rest],
            _ => dst,
        };
        let room = dst.len();
        let n = match Pin::new(io).poll_read(cx, dst) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
            Poll::Ready(Ok(n)) => n,
        };
        if n > room {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("reader claimed {n} bytes read into a buffer of {room}"),
            )));
        }
        // SAFETY: `n <= room`, and the first `n` bytes of the capacity are initialised
        // (see above; the reader wrote into them through an initialised slice).
        unsafe { self.spare.set_len(n) };
        let got = self.spare.split_to(n);
        // O(1) when `data` still ends where `spare` started (the normal case); a copy
        // otherwise.
        self.data.unsplit(got);
        Poll::Ready(Ok(n))
    }

    /// Makes `spare` at least `want` bytes of initialised room after `data`: by moving
    /// `data` to the front of its allocation, or (if `allocate`) by a new allocation.
    /// Without `allocate` the room may stay smaller.
    #[cold]
    fn refill(&mut self, want: usize, allocate: bool) {
        let spare = mem::take(&mut self.spare);
        // `spare` still keeps the old allocation alive here, so a non-empty `data` whose
        // capacity lies inside `region` is a handle of that same allocation.
        let data_range = capacity_range(&self.data);
        let data_known = self.data.capacity() == 0
            || self
                .region
                .as_ref()
                .is_some_and(|r| contains(r, &data_range));
        // When `data` is empty it becomes `spare` itself; otherwise this is O(1) if the
        // two are contiguous, and drops `spare` (copying nothing) if not.
        self.data.unsplit(spare);
        if !data_known {
            self.region = None;
        }
        let room = self.data.capacity() - self.data.len();
        if room < want {
            // May reclaim the front of the allocation (a move inside it) or allocate a
            // new one; a new one is made while the old one is alive, so it cannot lie in
            // `region` and the check below notices it.
            if allocate {
                self.data.reserve(want);
            } else {
                // If it cannot, the read below fills the room there is.
                let _ = self.data.try_reclaim(want);
            }
        }
        let range = capacity_range(&self.data);
        let known = self.region.as_ref().is_some_and(|r| contains(r, &range)) && !range.is_empty();
        if !known {
            for byte in self.data.spare_capacity_mut() {
                byte.write(0);
            }
            // Received bytes and the zeroed room: all of the capacity.
            self.region = Some(range);
        }
        let len = self.data.len();
        self.spare = self.data.split_off(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_lite::future::block_on;
    use futures_lite::future::poll_fn;

    #[test]
    fn reads_accumulate_and_reuse_memory() {
        let input: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
        let mut reader = &input[..];
        let mut buf = ReadBuf::from_bytes(BytesMut::new());
        let mut out = Vec::new();
        block_on(async {
            loop {
                let n = poll_fn(|cx| buf.poll_read_from(cx, &mut reader, None, false))
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
        let input: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut reader = &input[..];
        let mut buf = ReadBuf::from_bytes(BytesMut::new());
        let mut out = Vec::new();
        let mut kept = Vec::new();
        let frame = 20_000;
        block_on(async {
            loop {
                let have = buf.data().len();
                let rest = frame - have % frame;
                let n = poll_fn(|cx| buf.poll_read_from(cx, &mut reader, Some(rest), true))
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

    #[test]
    fn survives_a_decoder_that_swaps_the_buffer() {
        let input = vec![7u8; 50_000];
        let mut reader = &input[..];
        let mut buf = ReadBuf::from_bytes(BytesMut::new());
        let mut total = 0;
        block_on(async {
            loop {
                let n = poll_fn(|cx| buf.poll_read_from(cx, &mut reader, None, false))
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
