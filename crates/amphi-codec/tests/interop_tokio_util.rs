//! The default length-delimited format is byte for byte tokio-util's: each side reads what
//! the other writes, on every runtime (tokio-util through `compat`).

use amphi_codec::{Framed, LengthDelimitedCodec};
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use tokio_util::compat::TokioAsyncReadCompatExt;

fn frame(i: usize) -> Bytes {
    Bytes::from(
        (0..(i * 131) % 5000)
            .map(|j| (i ^ j) as u8)
            .collect::<Vec<u8>>(),
    )
}

const FRAMES: usize = 200;

#[test]
fn amphi_writes_tokio_util_reads() {
    amphi_test::run(|rt| async move {
        let (a, b) = tokio::io::duplex(4096);
        let writer = rt.spawn(async move {
            let mut out = Framed::new(a.compat(), LengthDelimitedCodec::new());
            for i in 0..FRAMES {
                out.send(frame(i)).await.unwrap();
            }
            SinkExt::<Bytes>::close(&mut out).await.unwrap();
        });
        let mut theirs =
            tokio_util::codec::FramedRead::new(b, tokio_util::codec::LengthDelimitedCodec::new());
        let mut n = 0;
        while let Some(got) = theirs.next().await {
            assert_eq!(got.unwrap().freeze(), frame(n), "on {}", rt.name());
            n += 1;
        }
        assert_eq!(n, FRAMES);
        writer.await.unwrap();
    });
}

#[test]
fn tokio_util_writes_amphi_reads() {
    amphi_test::run(|rt| async move {
        let (a, b) = tokio::io::duplex(4096);
        let writer = rt.spawn(async move {
            let mut theirs = tokio_util::codec::FramedWrite::new(
                a,
                tokio_util::codec::LengthDelimitedCodec::new(),
            );
            for i in 0..FRAMES {
                theirs.send(frame(i)).await.unwrap();
            }
            SinkExt::<Bytes>::close(&mut theirs).await.unwrap();
        });
        let mut ours = Framed::new(b.compat(), LengthDelimitedCodec::new());
        let mut n = 0;
        while let Some(got) = ours.next().await {
            assert_eq!(got.unwrap(), frame(n), "on {}", rt.name());
            n += 1;
        }
        assert_eq!(n, FRAMES);
        writer.await.unwrap();
    });
}

#[test]
fn custom_formats_match_tokio_util_byte_for_byte() {
    use amphi_codec::Encoder as _;
    use tokio_util::codec::Encoder as _;
    for (len, big, adj) in [
        (1usize, true, 0isize),
        (2, false, 2),
        (3, true, -3),
        (8, false, 0),
        (4, true, 5),
    ] {
        let mut ours = LengthDelimitedCodec::builder()
            .length_field_length(len)
            .length_adjustment(adj);
        ours = if big {
            ours.big_endian()
        } else {
            ours.little_endian()
        };
        let mut ours = ours.new_codec();
        let mut theirs = tokio_util::codec::LengthDelimitedCodec::builder();
        theirs.length_field_length(len).length_adjustment(adj);
        if big {
            theirs.big_endian();
        } else {
            theirs.little_endian();
        }
        let mut theirs = theirs.new_codec();
        for size in [5usize, 17, 200] {
            let item = Bytes::from(vec![0xAB; size]);
            let mut a = bytes::BytesMut::new();
            let mut b = bytes::BytesMut::new();
            ours.encode(item.clone(), &mut a).unwrap();
            theirs.encode(item, &mut b).unwrap();
            assert_eq!(a, b, "field {len} big {big} adj {adj} size {size}");
            let mut c = a.clone();
            let decoded_ours = amphi_codec::Decoder::decode(&mut ours, &mut a)
                .unwrap()
                .unwrap();
            let decoded_theirs = tokio_util::codec::Decoder::decode(&mut theirs, &mut c)
                .unwrap()
                .unwrap();
            assert_eq!(decoded_ours[..], decoded_theirs[..]);
        }
    }
}
