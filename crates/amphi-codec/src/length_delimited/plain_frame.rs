//! The default format's encoder: header and payload written into the write buffer after one
//! `reserve`, short payloads with fixed-size copies instead of a call to `memcpy`.
//!
//! `reserve`, `put_u32` and `extend_from_slice` would each check the capacity again and
//! bump the length apart; here one check covers the frame.
//!
//! `BytesMut::extend_from_slice` copies a slice whose length is known only at run time,
//! which compiles to a call to libc's `memcpy`; for a 16-byte item that call costs more than
//! the rest of the encoding. Here an item of `n` bytes with `L <= n <= 2L` (`L` = 16, 8 or
//! 4) is written as two copies of exactly `L` bytes, its first `L` bytes at the front and
//! its last `L` bytes at the back, overlapping in the middle: each copy compiles to a load
//! and a store. Items of 1 to 3 bytes are written byte by byte.

// One of the four modules of the crate with `unsafe` (with `read_buf`, `lines` and `scan`): an
// unchecked index into the room `reserve` made, and one `set_len` over bytes this function
// has just written.
#![allow(unsafe_code)]

use std::mem::MaybeUninit;

use bytes::BytesMut;

/// Items of at most this many bytes are copied with fixed-size moves; longer ones with one
/// `memcpy`.
pub(super) const MAX_SMALL: usize = 32;

/// The default format's header: a 4-byte big-endian length.
const HEADER: usize = 4;

/// Appends a frame of the default format: `item.len()` as a 4-byte big-endian length, then
/// `item`.
///
/// For items of up to `u32::MAX` bytes (the caller checks the frame limits).
///
/// Cost: `reserve(4 + item.len())` (allocates only when the buffer lacks the room), the
/// header store, then for at most [`MAX_SMALL`] bytes at most three fixed-size loads and
/// stores of the item, no call; for a longer item one `memcpy`.
#[inline(always)]
pub(super) fn put_plain_frame(dst: &mut BytesMut, item: &[u8]) {
    let n = item.len();
    dst.reserve(HEADER + n);
    let spare = dst.spare_capacity_mut();
    debug_assert!(spare.len() >= HEADER + n);
    // SAFETY: `HEADER + n` does not overflow (a slice holds at most `isize::MAX` bytes),
    // and `reserve(HEADER + n)` returned, so the spare capacity is at least `HEADER + n`
    // bytes (`reserve`'s contract; it panics or aborts otherwise). The range
    // is in bounds; the unchecked index spares a second comparison that the compiler
    // cannot drop across `reserve`'s out-of-line growth path.
    let frame = unsafe { spare.get_unchecked_mut(..HEADER + n) };
    // `n <= u32::MAX`: the encoder checked it against the field's range.
    debug_assert!(u32::try_from(n).is_ok());
    frame[..HEADER].write_copy_of_slice(&(n as u32).to_be_bytes());
    let body = &mut frame[HEADER..];
    // Longest first: the sizes most worth this path are tested first.
    if n >= 16 {
        if n <= MAX_SMALL {
            copy_ends::<16>(body, item);
        } else {
            body.write_copy_of_slice(item);
        }
    } else if n >= 8 {
        copy_ends::<8>(body, item);
    } else if n >= 4 {
        copy_ends::<4>(body, item);
    } else if n > 0 {
        // Bytes 0, n / 2 and n - 1 are all the bytes for n <= 3.
        body[0].write(item[0]);
        body[n / 2].write(item[n / 2]);
        body[n - 1].write(item[n - 1]);
    }
    let len = dst.len() + HEADER + n;
    // SAFETY: `len` is the old length plus `HEADER + n`, and `frame` was the first
    // `HEADER + n` bytes of the spare capacity (so `len <= capacity`). Every byte of
    // `frame` is initialised: the header is bytes `0..HEADER`, and each branch writes all
    // of `body` (`n` bytes): none for 0; bytes 0, n / 2 and n - 1 for 1 to 3, which are
    // all of them; `copy_ends::<L>` writes `0..L` and `n - L..n`, which cover `0..n`
    // because `L <= n <= 2L`; above `MAX_SMALL` the whole slice is copied. So every byte up to
    // `len` is initialised.
    unsafe { dst.set_len(len) };
}

/// Writes `item` into `body` (of the same length `n`, `L <= n <= 2L`) as two copies of `L`
/// bytes: `item[..L]` to the front, `item[n - L..]` to the back.
#[inline(always)]
fn copy_ends<const L: usize>(body: &mut [MaybeUninit<u8>], item: &[u8]) {
    let n = item.len();
    debug_assert!(body.len() == n && L <= n && n <= 2 * L);
    body[..L].write_copy_of_slice(&item[..L]);
    body[n - L..].write_copy_of_slice(&item[n - L..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Encoder, LengthDelimitedCodec};
    use bytes::BufMut;

    /// The plain path this module replaces: header, then the item.
    fn plain_frame(item: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.put_u32(item.len() as u32);
        out.extend_from_slice(item);
        out
    }

    #[test]
    fn frames_match_the_plain_path_for_every_length() {
        // Distinct bytes (mod 251), so a byte copied to the wrong offset shows. Every length
        // around the fixed-size moves, then a few that take `memcpy`.
        let source: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8 + 1).collect();
        for n in (0..=40).chain([63, 64, 65, 255, 256, 257, 4095, 4096, 4097]) {
            let item = &source[..n];
            let expected = plain_frame(item);

            // Into an empty buffer.
            let mut dst = BytesMut::new();
            put_plain_frame(&mut dst, item);
            assert_eq!(&dst[..], &expected[..], "length {n}, empty buffer");

            // Into a buffer that already holds bytes and has an odd amount of room, from
            // none up to more than the frame needs: the prefix is kept and nothing is
            // written past the frame.
            for room in [0, 1, 3, 5, 7, 17, 33, 41] {
                let mut dst = BytesMut::with_capacity(3 + room);
                dst.extend_from_slice(b"abc");
                put_plain_frame(&mut dst, item);
                assert_eq!(&dst[..3], b"abc", "length {n}, room {room}");
                assert_eq!(&dst[3..], &expected[..], "length {n}, room {room}");
            }

            // A buffer that shares its allocation with a live handle (`reserve` cannot
            // simply reuse the room in front).
            let mut dst = BytesMut::with_capacity(9);
            dst.extend_from_slice(b"kept!abc");
            let kept = dst.split_to(5);
            put_plain_frame(&mut dst, item);
            assert_eq!(&kept[..], b"kept!");
            assert_eq!(&dst[..3], b"abc", "length {n}, shared allocation");
            assert_eq!(&dst[3..], &expected[..], "length {n}, shared allocation");

            // Through the codec: small and larger items, both sides of `MAX_SMALL`.
            let mut codec = LengthDelimitedCodec::new();
            let mut dst = BytesMut::with_capacity(8);
            dst.extend_from_slice(b"abc");
            Encoder::<&[u8]>::encode(&mut codec, item, &mut dst).unwrap();
            assert_eq!(&dst[..3], b"abc", "length {n}, codec");
            assert_eq!(&dst[3..], &expected[..], "length {n}, codec");

            // Two frames back to back, the second after an odd-length first one.
            let mut dst = BytesMut::with_capacity(7);
            put_plain_frame(&mut dst, &source[..n / 2 + 1]);
            put_plain_frame(&mut dst, item);
            let mut both = plain_frame(&source[..n / 2 + 1]);
            both.extend_from_slice(&expected);
            assert_eq!(&dst[..], &both[..], "length {n}, after a frame");
        }
    }
}
