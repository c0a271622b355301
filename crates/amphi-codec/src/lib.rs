//! Framed streams over `futures-io`, on any runtime.
//!
//! ```
//! use amphi_codec::{Framed, LengthDelimitedCodec};
//! use bytes::Bytes;
//! use futures::{SinkExt, StreamExt};
//!
//! futures_lite::future::block_on(async {
//!     // Any futures-io transport: a TCP stream from async-net, smol or async-std, or
//!     // tokio's through `tokio_util::compat`. Here, two in-memory byte streams.
//!     let mut writer = Framed::new(futures::io::Cursor::new(Vec::new()), LengthDelimitedCodec::new());
//!     writer.send(Bytes::from_static(b"hello")).await.unwrap();
//!     writer.send(Bytes::from_static(b"world")).await.unwrap();
//!     let wire = writer.into_inner().into_inner();
//!     assert_eq!(&wire[..9], b"\x00\x00\x00\x05hello");
//!
//!     let mut reader = Framed::new(&wire[..], LengthDelimitedCodec::new());
//!     assert_eq!(&reader.next().await.unwrap().unwrap()[..], b"hello");
//!     assert_eq!(&reader.next().await.unwrap().unwrap()[..], b"world");
//!     assert!(reader.next().await.is_none());
//! });
//! ```
//!
//! A codec turns bytes into frames ([`Decoder`]) and items into bytes ([`Encoder`]). A
//! driver runs it over a transport: [`Framed`] (a [`Stream`](futures_core::Stream) of frames
//! and a [`Sink`](futures_sink::Sink) of items), [`FramedRead`] and [`FramedWrite`].
//!
//! | codec | frame | limit (default) |
//! |---|---|---|
//! | [`LengthDelimitedCodec`] | length field of 1-8 bytes, either endianness, offset, adjustment, skip | 8 MiB |
//! | [`LinesCodec`] | UTF-8 line ended by `\n` or `\r\n`, as `String` | 64 KiB |
//! | [`DelimitedCodec`] | bytes ended by any delimiter byte, as `Bytes` | 64 KiB |
//! | [`BytesCodec`] | whatever arrived | none |
//!
//! # Memory
//!
//! - Frames of [`LengthDelimitedCodec`], [`DelimitedCodec`] and [`BytesCodec`] are
//!   [`Bytes`](bytes::Bytes) split off the read buffer: no copy and no allocation per frame.
//!   [`LinesCodec`] allocates one `String` per line.
//! - The read buffer grows with the bytes actually received, never with the length a header
//!   announces: a peer that claims an 8 MiB frame and sends 10 bytes costs 10 bytes (plus
//!   the read room, 8 KiB growing to 64 KiB while partial frames fill it). The maximum
//!   frame length is checked before anything is buffered for the frame.
//! - The read buffer's memory is zeroed once, when a read is first handed it, and with the
//!   codecs of this crate never again. The buffer is reused once the frames split off it
//!   are dropped; frames kept alive keep their part of it alive. After a [`Decoder`] of
//!   your own, or an edit through `read_buffer_mut`, the memory reused is zeroed again
//!   (what the peers pay on every read): safe code can leave uninitialised bytes in a
//!   `BytesMut`'s spare capacity, and a reader must never be handed those.
//! - The write buffer ([`WriteBuf`]) holds encoded items until written; `poll_ready` writes
//!   it down below the high-water mark ([`DEFAULT_HIGH_WATER_MARK`] by default) before
//!   accepting more. Borrowed and short items are copied into it. Owned `Bytes` and
//!   `BytesMut` payloads of [`MIN_QUEUED_CHUNK`] bytes or more are queued as they are and
//!   written together with their headers by one vectored write: a large frame is copied
//!   once, into the transport, where the peers copy it twice.
//! - A borrowed `&[u8]` payload at least as long as the high-water mark (and 8 KiB) is not
//!   copied into the buffer either once the writer has seen such items (the first of a
//!   run is): `start_send` writes it to the transport right away, behind the bytes
//!   buffered before it, for as long as the transport takes it without waiting (as
//!   `std::io::BufWriter` does with a slice longer than its buffer). The rest is copied
//!   into the buffer. On a vectored writer, buffering it would not have saved a write: the
//!   next `poll_ready` would have written it.
//!
//! # Errors and end of stream
//!
//! After a transport error, or a decode error the codec cannot recover from, the stream is
//! terminated: every later poll yields `None` and [`ReadState`] says whether the end was
//! clean ([`ReadState::Eof`]) or an error ([`ReadState::Errored`]). A stream never yields
//! `None` and then frames again. [`LinesCodec`] and [`DelimitedCodec`] recover from
//! overlong or non-UTF-8 lines: the error is yielded and the next line follows. Errors name
//! the limit and the stream offset involved. No input makes a decoder panic.
//!
//! # Cancel safety
//!
//! Dropping a `next()` future loses nothing: the bytes stay in the read buffer. Dropping a
//! `send()` future may drop its item if it was not yet encoded; `flush` and `close` can be
//! retried.

#![deny(unsafe_code)]

mod bytes_codec;
mod decoder;
mod delimited;
mod encoder;
mod error;
mod framed;
mod framed_read;
mod framed_write;
mod length_delimited;
mod lines;
mod parts;
mod read_buf;
mod scan;
mod state;
mod write_buf;
mod write_through;

pub use bytes_codec::BytesCodec;
pub use decoder::Decoder;
pub use delimited::{DEFAULT_MAX_LENGTH, DelimitedCodec, DelimitedError};
pub use encoder::Encoder;
pub use error::TrailingBytes;
pub use framed::Framed;
pub use framed_read::FramedRead;
pub use framed_write::FramedWrite;
pub use length_delimited::{
    Builder as LengthDelimitedBuilder, DEFAULT_MAX_FRAME_LENGTH, LengthDelimitedCodec,
    LengthDelimitedEncodeError, LengthDelimitedError,
};
pub use lines::{LinesCodec, LinesError};
pub use parts::FramedParts;
pub use state::{DEFAULT_HIGH_WATER_MARK, ReadState};
pub use write_buf::{MIN_QUEUED_CHUNK, WriteBuf};
pub use write_through::WriteThrough;
