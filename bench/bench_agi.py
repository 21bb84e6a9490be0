"""FastAGI round trip: our AgiChannel against a raw asyncio baseline, same peer process.

The peer is a separate process playing Asterisk with blocking sockets: it sends an AGI
header, then answers every command line with "200 result=1" at once. We time N commands
through AgiChannel.command() and through a bare readline/write loop; the difference is
what our codec and channel add to each round trip.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import time

from bench.table import Row
from ivr.agi.channel import AgiChannel
from ivr.agi.server import FastAgiServer

COMMANDS = 20_000
HEADER = b"agi_network: yes\nagi_network_script: bench\nagi_uniqueid: 1.1\n\n"


def _peer(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(HEADER)
        f = s.makefile("rb")
        while f.readline():
            s.sendall(b"200 result=1\n")


async def _ours() -> float:
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    async def handler(channel: AgiChannel) -> None:
        start = time.perf_counter()
        for _ in range(COMMANDS):
            await channel.command("VERBOSE", "x", 1)
        done.set_result(time.perf_counter() - start)

    server = FastAgiServer(handler, "127.0.0.1", 0)
    await server.start()
    peer = multiprocessing.Process(target=_peer, args=(server.port,))
    peer.start()
    elapsed = await done
    await server.close()
    peer.join(5)
    return elapsed


async def _baseline() -> float:
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.readline() != b"\n":
            pass
        start = time.perf_counter()
        for _ in range(COMMANDS):
            writer.write(b'VERBOSE "x" 1\n')
            await reader.readline()
        done.set_result(time.perf_counter() - start)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    peer = multiprocessing.Process(target=_peer, args=(port,))
    peer.start()
    elapsed = await done
    server.close()
    peer.join(5)
    return elapsed


def main() -> list[Row]:
    # Alternate the two, three rounds each, and keep each one's best: the machine's noise
    # (another process waking) only ever adds time.
    bases, ours_ = [], []
    for _ in range(3):
        bases.append(asyncio.run(_baseline()) / COMMANDS * 1e6)
        ours_.append(asyncio.run(_ours()) / COMMANDS * 1e6)
    base, ours = min(bases), min(ours_)
    print(f"FastAGI round trip over loopback, {COMMANDS} commands, peer in another process")
    print(f"  raw asyncio readline/write : {base:7.1f} us (best of 3)")
    print(f"  AgiChannel.command()       : {ours:7.1f} us  (+{ours - base:.1f} us codec/channel)")
    return [
        Row(
            "FastAGI command round trip",
            ours,
            "us",
            "bare asyncio readline/write",
            base,
            "at most 1.2x",
            ours <= 1.2 * base,
        )
    ]


if __name__ == "__main__":
    main()
