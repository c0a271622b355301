//! Just enough of NATS's text protocol (CONNECT, PING/PONG, SUB, PUB, MSG) for `bench --nats`.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};

/// Once this many bytes are buffered, `publish` writes them out.
const FLUSH_AT: usize = 64 * 1024;

/// The NATS subject for one of our channel names: `/topic/bench` is `topic.bench`.
pub(crate) fn subject(channel: &str) -> String {
    channel.trim_start_matches('/').replace('/', ".")
}

/// A blocking NATS connection.
#[derive(Debug)]
pub(crate) struct NatsClient {
    reader: BufReader<TcpStream>,
    stream: TcpStream,
    out: Vec<u8>,
    line: String,
}

fn protocol_error(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

impl NatsClient {
    /// Connects, reads INFO, sends CONNECT and waits for the PONG that confirms it.
    pub(crate) fn connect(addr: &str) -> io::Result<NatsClient> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        let mut client = NatsClient {
            reader: BufReader::with_capacity(FLUSH_AT, stream.try_clone()?),
            stream,
            out: Vec::with_capacity(FLUSH_AT),
            line: String::new(),
        };
        client.read_line()?;
        if !client.line.starts_with("INFO") {
            return Err(protocol_error(format!(
                "expected INFO, got {:?}",
                client.line
            )));
        }
        client.out.extend_from_slice(
            b"CONNECT {\"verbose\":false,\"pedantic\":false,\"echo\":false}\r\n",
        );
        client.sync()?;
        Ok(client)
    }

    fn read_line(&mut self) -> io::Result<()> {
        self.line.clear();
        if self.reader.read_line(&mut self.line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }

    /// Sends PING and waits for PONG: everything sent before is processed by the server.
    pub(crate) fn sync(&mut self) -> io::Result<()> {
        self.out.extend_from_slice(b"PING\r\n");
        self.flush()?;
        loop {
            self.read_line()?;
            match self.line.trim_end() {
                "PONG" => return Ok(()),
                "PING" => {
                    self.out.extend_from_slice(b"PONG\r\n");
                    self.flush()?;
                }
                line if line.starts_with("-ERR") => return Err(protocol_error(line.to_owned())),
                _ => {}
            }
        }
    }

    /// Subscribes to `subject`, in queue group `group` if given, and waits until it holds.
    pub(crate) fn subscribe(&mut self, subject: &str, group: Option<&str>) -> io::Result<()> {
        let line = match group {
            Some(group) => format!("SUB {subject} {group} 1\r\n"),
            None => format!("SUB {subject} 1\r\n"),
        };
        self.out.extend_from_slice(line.as_bytes());
        self.sync()
    }

    /// Buffers one PUB, writing the buffer out when it is large.
    pub(crate) fn publish(&mut self, subject: &str, payload: &[u8]) -> io::Result<()> {
        self.out
            .extend_from_slice(format!("PUB {subject} {}\r\n", payload.len()).as_bytes());
        self.out.extend_from_slice(payload);
        self.out.extend_from_slice(b"\r\n");
        if self.out.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.stream.write_all(&self.out)?;
        self.out.clear();
        self.stream.flush()
    }

    /// A handle on the socket, to shut it down from another thread.
    pub(crate) fn socket(&self) -> io::Result<TcpStream> {
        self.stream.try_clone()
    }

    /// The next MSG's payload, answering PINGs on the way; `None` at end of stream.
    pub(crate) fn next_message(&mut self, payload: &mut Vec<u8>) -> io::Result<Option<()>> {
        loop {
            self.line.clear();
            if self.reader.read_line(&mut self.line)? == 0 {
                return Ok(None);
            }
            let line = self.line.trim_end();
            if let Some(rest) = line.strip_prefix("MSG ") {
                let len: usize = rest
                    .rsplit(' ')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| protocol_error(format!("bad MSG line {line:?}")))?;
                payload.resize(len + 2, 0);
                self.reader.read_exact(payload)?;
                payload.truncate(len);
                return Ok(Some(()));
            }
            match line {
                "PING" => {
                    self.out.extend_from_slice(b"PONG\r\n");
                    self.flush()?;
                }
                line if line.starts_with("-ERR") => return Err(protocol_error(line.to_owned())),
                _ => {}
            }
        }
    }

    pub(crate) fn close(mut self) {
        let _ = self.flush();
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}
