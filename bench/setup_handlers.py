"""The two FastAGI servers of the call setup benchmark, each in a process of its own so
its CPU can be read from /proc: ``python -m bench.setup_handlers ours|panoramisk PORT``.

Both run the same commands per call as the process-per-call script
(bench/setup_agi_script.py): ANSWER, GET VARIABLE BENCH_TOKEN, STREAM FILE of a short
prompt, VERBOSE, SET VARIABLE BENCH_OK to the token. The dialplan checks BENCH_OK after
the AGI returns, so a call counts only when every command ran. Each prints "ready" once
listening and serves until SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

from bench.setup_agi_script import PROMPT
from ivr.agi.channel import AgiChannel
from ivr.agi.server import FastAgiServer

WAYS = ("ours", "panoramisk")


async def ours(channel: AgiChannel) -> None:
    """Our stack: FastAgiServer hands each call an AgiChannel."""
    await channel.answer()
    token = await channel.get_variable("BENCH_TOKEN") or ""
    await channel.stream_file(PROMPT)
    await channel.verbose(f"bench setup {token}")
    await channel.set_variable("BENCH_OK", token)


async def panoramisk_route(request: Any) -> None:
    """panoramisk's FastAGI: Request.send_command returns the parsed reply as a dict."""
    await request.send_command("ANSWER")
    reply = await request.send_command('GET VARIABLE "BENCH_TOKEN"')
    token = reply["result"][1]  # "200 result=1 (value)" -> {"result": ("1", "value")}
    await request.send_command(f'STREAM FILE {PROMPT} ""')
    await request.send_command(f'VERBOSE "bench setup {token}" 1')
    await request.send_command(f'SET VARIABLE "BENCH_OK" "{token}"')


async def serve(way: str, port: int) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    if way == "ours":
        server = FastAgiServer(ours, "127.0.0.1", port)
        await server.start()
        print("ready", flush=True)
        await stop.wait()
        await server.close()
        return
    from panoramisk.fast_agi import Application  # the alternative, only in this process

    app = Application()
    app.add_route("setup", panoramisk_route)
    plain = await asyncio.start_server(app.handler, "127.0.0.1", port)
    print("ready", flush=True)
    await stop.wait()
    plain.close()


def main() -> None:
    way, port = sys.argv[1], int(sys.argv[2])
    if way not in WAYS:
        sys.exit(f"way {way!r}: choose from {', '.join(WAYS)}")
    asyncio.run(serve(way, port))


if __name__ == "__main__":
    main()
