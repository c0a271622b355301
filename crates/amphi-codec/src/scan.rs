//! One pass over the front of a frame that finds its delimiter and notes whether every byte
//! before it is ASCII.
//!
//! A line decoder otherwise reads each line twice: `memchr` to find the `\n`, then
//! `str::from_utf8` to validate it, each with its own set-up cost that dominates on short
//! lines. This pass reads 16 bytes at a time with SSE2 on x86_64 (8 at a time in a `u64`
//! elsewhere) and does both. It looks at the first [`SHORT`] bytes only: on longer frames
//! `memchr`'s vector loop is faster, and the caller goes on with it.

// One of the four modules of the crate with `unsafe` (with `read_buf`, `lines` and
// `length_delimited::plain_frame`): the SSE2 intrinsics.
#![allow(unsafe_code)]

/// How many bytes [`scan_short`] looks at.
pub(crate) const SHORT: usize = 128;

/// What [`scan_short`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scan {
    /// Index of the first delimiter in the bytes looked at.
    pub(crate) found: Option<usize>,
    /// Every byte before `found` (or every byte looked at, if none) is below `0x80`.
    pub(crate) ascii: bool,
}

/// Looks for `delimiter` in the first [`SHORT`] bytes of `hay`.
///
/// Cost: on x86_64 about 8 instructions per 16 bytes (SSE2, part of the x86_64 baseline);
/// elsewhere about 14 per 8 bytes. No call, no set-up.
#[inline(always)]
pub(crate) fn scan_short(delimiter: u8, hay: &[u8]) -> Scan {
    let hay = &hay[..hay.len().min(SHORT)];
    #[cfg(target_arch = "x86_64")]
    let chunks = sse2::scan(delimiter, hay);
    #[cfg(not(target_arch = "x86_64"))]
    let chunks = swar::scan(delimiter, hay);
    finish(delimiter, hay, chunks)
}

/// The scan of the whole chunks, or else the bytes after them one by one.
#[inline(always)]
fn finish(delimiter: u8, hay: &[u8], chunks: Result<Scan, (usize, bool)>) -> Scan {
    let (base, mut ascii) = match chunks {
        Ok(scan) => return scan,
        Err(progress) => progress,
    };
    for (i, &byte) in hay[base..].iter().enumerate() {
        if byte == delimiter {
            return Scan {
                found: Some(base + i),
                ascii,
            };
        }
        ascii &= byte < 0x80;
    }
    Scan { found: None, ascii }
}

/// 16 bytes at a time with SSE2.
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use core::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };

    use super::Scan;

    /// The scan if the delimiter is in the whole 16-byte chunks of `hay`; otherwise how many
    /// bytes were passed and whether they were all ASCII.
    #[inline(always)]
    pub(super) fn scan(delimiter: u8, hay: &[u8]) -> Result<Scan, (usize, bool)> {
        // SAFETY: SSE2 is part of the x86_64 baseline, so the SSE2 intrinsics here exist
        // on every CPU this code can run on.
        let splat = unsafe { _mm_set1_epi8(delimiter as i8) };
        // Bit `i`: byte `i` of some chunk passed had its high bit set.
        let mut high = 0;
        let mut base = 0;
        for chunk in hay.chunks_exact(16) {
            // SAFETY: SSE2 as above; `chunk` is 16 readable bytes and `loadu` has no
            // alignment requirement.
            let lanes = unsafe { _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>()) };
            // SAFETY: SSE2 as above; register operations only.
            let (found, top) = unsafe {
                (
                    _mm_movemask_epi8(_mm_cmpeq_epi8(lanes, splat)),
                    _mm_movemask_epi8(lanes),
                )
            };
            if found != 0 {
                let lane = found.trailing_zeros();
                // The lanes before the delimiter.
                let before = top & ((1 << lane) - 1);
                return Ok(Scan {
                    found: Some(base + lane as usize),
                    ascii: (high | before) == 0,
                });
            }
            high |= top;
            base += 16;
        }
        Err((base, high == 0))
    }
}

/// 8 bytes at a time in a `u64` (SIMD within a register).
#[cfg(any(not(target_arch = "x86_64"), test))]
mod swar {
    use super::Scan;

    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;

    /// As `sse2::scan`, over whole 8-byte chunks.
    #[inline(always)]
    pub(super) fn scan(delimiter: u8, hay: &[u8]) -> Result<Scan, (usize, bool)> {
        let splat = ONES * u64::from(delimiter);
        // The OR of every byte passed: its high bits say whether any was non-ASCII.
        let mut seen = 0u64;
        let mut base = 0;
        for chunk in hay.chunks_exact(8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let word = u64::from_le_bytes(word);
            let diff = word ^ splat;
            // The high bit of each zero byte of `diff`, plus (only above such a byte) bits
            // set by the borrow: the lowest one marks the first delimiter exactly.
            let zeros = diff.wrapping_sub(ONES) & !diff & HIGHS;
            if zeros != 0 {
                let lane = (zeros.trailing_zeros() / 8) as usize;
                // The bytes before the delimiter (little-endian: the low ones).
                let before = match lane {
                    0 => 0,
                    lane => word & (u64::MAX >> (64 - 8 * lane)),
                };
                return Ok(Scan {
                    found: Some(base + lane),
                    ascii: (seen | before) & HIGHS == 0,
                });
            }
            seen |= word;
            base += 8;
        }
        Err((base, seen & HIGHS == 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(delimiter: u8, hay: &[u8]) -> Scan {
        let hay = &hay[..hay.len().min(SHORT)];
        let found = hay.iter().position(|&b| b == delimiter);
        let before = &hay[..found.unwrap_or(hay.len())];
        Scan {
            found,
            ascii: before.is_ascii(),
        }
    }

    /// Both chunk scanners (SSE2 on x86_64, SWAR everywhere) against the byte loop.
    fn check(delimiter: u8, hay: &[u8]) {
        let want = reference(delimiter, hay);
        assert_eq!(
            scan_short(delimiter, hay),
            want,
            "{delimiter:#x} in {hay:x?}"
        );
        let short = &hay[..hay.len().min(SHORT)];
        let swar = finish(delimiter, short, swar::scan(delimiter, short));
        assert_eq!(swar, want, "SWAR: {delimiter:#x} in {hay:x?}");
    }

    #[test]
    fn agrees_with_a_byte_loop_on_every_position_and_byte() {
        // Every length up to past SHORT, the delimiter (or a non-ASCII byte, or both) at
        // every position, for delimiters whose neighbours could confuse the borrow trick.
        for delimiter in [b'\n', 0, 1, 0x7f, 0x80, 0xff] {
            // Under miri, a few lengths around the chunk and SHORT boundaries.
            let lens: Vec<usize> = if cfg!(miri) {
                vec![0, 8, 15, 16, 17, 33, SHORT - 1, SHORT + 1]
            } else {
                (0..SHORT + 12).collect()
            };
            for len in lens {
                let plain: Vec<u8> = (0..len)
                    .map(|i| {
                        let b = b'a' + (i % 26) as u8;
                        if b == delimiter { b'.' } else { b }
                    })
                    .collect();
                check(delimiter, &plain);
                // Under miri (SSE2 is interpreted), a few positions: ends and middle.
                let ats: Vec<usize> = if cfg!(miri) {
                    [0, len / 2, len.saturating_sub(1)]
                        .into_iter()
                        .filter(|&at| at < len)
                        .collect()
                } else {
                    (0..len).collect()
                };
                for at in ats {
                    for odd in [delimiter, 0xc3, 0x80, delimiter.wrapping_add(1)] {
                        let mut hay = plain.clone();
                        hay[at] = odd;
                        check(delimiter, &hay);
                        // A second odd byte after the first.
                        if at + 3 < len {
                            hay[at + 3] = 0xe2;
                            check(delimiter, &hay);
                        }
                    }
                }
            }
        }
    }
}
