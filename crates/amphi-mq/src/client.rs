//! Clients of the broker: async over `async-net`, blocking over `std::net`.

use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpStream as StdStream};

use async_net::TcpStream;
use bytes::Bytes;
use futures_lite::AsyncWriteExt;

use crate::config::DEFAULT_MAX_FRAME;
use crate::wire::{FrameReader, encode_frames};

/// Once this many bytes are buffered, [`Client::publish`] writes them out.
const FLUSH_AT: usize = 64 * 1024;

/// An async client: subscribed to one channel, publishing to any.
///
/// Publishing is buffered: call [`flush`](Client::flush) to send what is buffered.
#[derive(Debug)]
pub struct Client {
    reader: FrameReader<TcpStream>,
    stream: TcpStream,
    out: Vec<u8>,
}

impl Client {
    /// Connects to `addr` and subscribes to `channel` (use e.g. `/null` to only publish).
    ///
    /// # Errors
    ///
    /// When the connection or the first write fails.
    pub async fn connect(addr: SocketAddr, channel: &str) -> io::Result<Client> {
        Client::connect_with_max_frame(addr, channel, DEFAULT_MAX_FRAME).await
    }

    /// [`connect`](Client::connect), accepting frames from the broker of up to `max_frame`
    /// bytes (the default, [`DEFAULT_MAX_FRAME`], is the broker's default): for a broker
    /// started with a larger `--max-frame`.
    ///
    /// # Errors
    ///
    /// When the connection or the first write fails.
    pub async fn connect_with_max_frame(
        addr: SocketAddr,
        channel: &str,
        max_frame: usize,
    ) -> io::Result<Client> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let mut client = Client {
            reader: FrameReader::new(stream.clone(), max_frame),
            stream,
            out: Vec::with_capacity(FLUSH_AT),
        };
        encode_frames(&mut client.out, &[channel.as_bytes()])?;
        client.flush().await?;
        Ok(client)
    }

    /// Buffers one message to `channel`, writing the buffer out when it is large.
    ///
    /// # Errors
    ///
    /// When writing fails, or ([`io::ErrorKind::InvalidInput`], nothing buffered) when
    /// `channel` or `payload` is longer than the 4-byte length field can express.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: a cancelled write may leave half a frame on the wire.
    pub async fn publish(&mut self, channel: &str, payload: &[u8]) -> io::Result<()> {
        encode_frames(&mut self.out, &[channel.as_bytes(), payload])?;
        if self.out.len() >= FLUSH_AT {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes out everything buffered.
    ///
    /// # Errors
    ///
    /// When writing fails.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: a cancelled write may leave half a frame on the wire.
    pub async fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            self.stream.write_all(&self.out).await?;
            self.out.clear();
        }
        self.stream.flush().await
    }

    /// The next message for the subscribed channel; `None` when the broker closed the connection.
    ///
    /// # Errors
    ///
    /// When reading fails or the broker sends a malformed frame.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing read is lost.
    pub async fn recv(&mut self) -> io::Result<Option<Bytes>> {
        Ok(self.reader.next_frame().await?)
    }

    /// Flushes, sends the goodbye (a zero-length frame) and closes the writing side.
    ///
    /// # Errors
    ///
    /// When writing fails.
    pub async fn goodbye(mut self) -> io::Result<()> {
        encode_frames(&mut self.out, &[b""])?;
        self.flush().await?;
        self.stream.shutdown(Shutdown::Write)
    }

    /// Says goodbye, then reads (and discards) until the broker closes the connection. Once
    /// it returns, the broker has read every message this client sent.
    ///
    /// # Errors
    ///
    /// When writing or reading fails.
    pub async fn goodbye_and_wait(mut self) -> io::Result<()> {
        encode_frames(&mut self.out, &[b""])?;
        self.flush().await?;
        while self.reader.next_frame().await?.is_some() {}
        Ok(())
    }
}

/// A blocking client, for threads: the same protocol over `std::net`.
#[derive(Debug)]
pub struct BlockingClient {
    reader: FrameReader<StdStream>,
    stream: StdStream,
    out: Vec<u8>,
}

impl BlockingClient {
    /// Connects to `addr` and subscribes to `channel`.
    ///
    /// # Errors
    ///
    /// When the connection or the first write fails.
    ///
    /// # Blocking
    ///
    /// Blocks the calling thread; never call it from async code.
    pub fn connect(addr: SocketAddr, channel: &str) -> io::Result<BlockingClient> {
        BlockingClient::connect_with_max_frame(addr, channel, DEFAULT_MAX_FRAME)
    }

    /// [`connect`](BlockingClient::connect), accepting frames from the broker of up to
    /// `max_frame` bytes (the default, [`DEFAULT_MAX_FRAME`], is the broker's default): for
    /// a broker started with a larger `--max-frame`.
    ///
    /// # Errors
    ///
    /// When the connection or the first write fails.
    ///
    /// # Blocking
    ///
    /// Blocks the calling thread; never call it from async code.
    pub fn connect_with_max_frame(
        addr: SocketAddr,
        channel: &str,
        max_frame: usize,
    ) -> io::Result<BlockingClient> {
        let stream = StdStream::connect(addr)?;
        stream.set_nodelay(true)?;
        let mut client = BlockingClient {
            reader: FrameReader::new(stream.try_clone()?, max_frame),
            stream,
            out: Vec::with_capacity(FLUSH_AT),
        };
        encode_frames(&mut client.out, &[channel.as_bytes()])?;
        client.flush()?;
        Ok(client)
    }

    /// Buffers one message to `channel`, writing the buffer out when it is large.
    ///
    /// # Errors
    ///
    /// When writing fails.
    ///
    /// # Blocking
    ///
    /// Blocks the calling thread; never call it from async code.
    pub fn publish(&mut self, channel: &str, payload: &[u8]) -> io::Result<()> {
        encode_frames(&mut self.out, &[channel.as_bytes(), payload])?;
        if self.out.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes out everything buffered.
    ///
    /// # Errors
    ///
    /// When writing fails.
    ///
    /// # Blocking
    ///
    /// Blocks the calling thread; never call it from async code.
    pub fn flush(&mut self) -> io::Result<()> {
        self.stream.write_all(&self.out)?;
        self.out.clear();
        self.stream.flush()
    }

    /// Makes [`recv`](BlockingClient::recv) give up with `WouldBlock`/`TimedOut` after `timeout`
    /// (`None`: wait for ever). A timed-out `recv` loses nothing; call it again.
    ///
    /// # Errors
    ///
    /// When the socket refuses the option.
    pub fn set_read_timeout(&self, timeout: Option<std::time::Duration>) -> io::Result<()> {
        self.stream.set_read_timeout(timeout)
    }

    /// Another handle on the socket, e.g. to shut it down from another thread, which ends a
    /// blocked [`recv`](BlockingClient::recv).
    ///
    /// # Errors
    ///
    /// When the socket cannot be duplicated.
    pub fn socket(&self) -> io::Result<StdStream> {
        self.stream.try_clone()
    }

    /// The next message; `None` when the broker closed the connection.
    ///
    /// # Errors
    ///
    /// When reading fails or the broker sends a malformed frame.
    ///
    /// # Blocking
    ///
    /// Blocks the calling thread; never call it from async code.
    pub fn recv(&mut self) -> io::Result<Option<Bytes>> {
        Ok(self.reader.next_frame_blocking()?)
    }

    /// Flushes, sends the goodbye and closes the writing side.
    ///
    /// # Errors
    ///
    /// When writing fails.
    ///
    /// # Blocking
    ///
    /// Blocks the calling thread; never call it from async code.
    pub fn goodbye(mut self) -> io::Result<()> {
        encode_frames(&mut self.out, &[b""])?;
        self.flush()?;
        self.stream.shutdown(Shutdown::Write)
    }

    /// Says goodbye, then reads (and discards) until the broker closes the connection. Once
    /// it returns, the broker has read every message this client sent.
    ///
    /// # Errors
    ///
    /// When writing or reading fails.
    ///
    /// # Blocking
    ///
    /// Blocks the calling thread; never call it from async code.
    pub fn goodbye_and_wait(mut self) -> io::Result<()> {
        encode_frames(&mut self.out, &[b""])?;
        self.flush()?;
        while self.reader.next_frame_blocking()?.is_some() {}
        Ok(())
    }
}
