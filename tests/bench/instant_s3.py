"""A stand-in for S3 that answers every request after a fixed delay (or at once) and keeps nothing:
`make bench` sends a publication's file uploads to it to measure the publisher alone, without
moto's own time (moto is one Python process serving each PutObject in a few ms of its CPU, far
slower than S3). Each connection is answered in turn, as S3 answers one request per connection.

Run as `python -m tests.bench.instant_s3 PORT [DELAY_MS]`; `running(delay_ms)` starts and stops
one on a free port.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"expect":  # botocore asks before sending a PutObject's body
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            if length:
                await reader.readexactly(length)
            if delay:
                await asyncio.sleep(delay)
            writer.write(b'HTTP/1.1 200 OK\r\nETag: "0"\r\nContent-Length: 0\r\n\r\n')
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    writer.close()


async def _main(port: int, delay: float) -> None:
    server = await asyncio.start_server(lambda r, w: _serve(r, w, delay), "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


@contextmanager
def running(delay_ms: int = 0) -> Iterator[str]:
    """The stand-in's address (host:port), stopped on exit."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "tests.bench.instant_s3", str(port), str(delay_ms)])
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


if __name__ == "__main__":
    asyncio.run(_main(int(sys.argv[1]), int(sys.argv[2] if len(sys.argv) > 2 else 0) / 1000))
