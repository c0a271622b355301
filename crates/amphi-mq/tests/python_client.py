"""An asyncio client of the broker, standard library only, written from the protocol alone.

Every message is a frame: a 4-byte big-endian length, then the bytes. A client's first frame
names the channel it subscribes to; then it sends (channel, payload) pairs. `/queue...`
channels deliver round-robin, others fan out. A zero-length frame is a goodbye.

Usage: python3 python_client.py HOST PORT   (prints "ok" and exits 0 on success)
"""

import asyncio
import sys


async def read_msg(reader: asyncio.StreamReader) -> bytes:
    size = int.from_bytes(await reader.readexactly(4), byteorder="big")
    return await reader.readexactly(size)


async def write_msg(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(len(data).to_bytes(4, byteorder="big"))
    writer.write(data)
    await writer.drain()


async def connect(host, port, channel: bytes):
    reader, writer = await asyncio.open_connection(host, port)
    await write_msg(writer, channel)
    return reader, writer


async def subscribe_topic(host, port, channel: bytes):
    """Subscribes, then waits for its own probe to come back: the subscription holds."""
    reader, writer = await connect(host, port, channel)
    await write_msg(writer, channel)
    await write_msg(writer, b"probe")
    while await read_msg(reader) != b"probe":
        pass
    return reader, writer


async def main(host: str, port: int) -> None:
    topic = b"/topic/python"
    subs = [await subscribe_topic(host, port, topic) for _ in range(3)]
    # Probes of later subscribers reached the earlier ones: skip them.
    for i, (reader, _) in enumerate(subs):
        for _ in range(len(subs) - 1 - i):
            assert await read_msg(reader) == b"probe"

    workers = [await connect(host, port, b"/queue/python") for _ in range(2)]
    await asyncio.sleep(1.0)  # no probe for a work queue: give the broker a moment

    _, pub = await connect(host, port, b"/null")
    for i in range(20):
        await write_msg(pub, topic)
        await write_msg(pub, f"news {i}".encode())
    for i in range(20):
        await write_msg(pub, b"/queue/python")
        await write_msg(pub, f"job {i}".encode())

    for reader, _ in subs:
        got = [await asyncio.wait_for(read_msg(reader), 10) for _ in range(20)]
        assert got == [f"news {i}".encode() for i in range(20)], got

    jobs = []
    for reader, _ in workers:
        got = [await asyncio.wait_for(read_msg(reader), 10) for _ in range(10)]
        jobs.extend(got)
    assert sorted(jobs) == sorted(f"job {i}".encode() for i in range(20)), jobs

    # A clean goodbye, then a plain close: the broker forgets both and keeps serving.
    await write_msg(pub, b"")
    pub.close()
    await pub.wait_closed()
    for _, writer in subs + workers:
        writer.close()
        await writer.wait_closed()
    print("ok")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
