"""The call setup benchmark's three handlers each serve a real call completely."""

from __future__ import annotations

import asyncio

import pytest

from bench import bench_setup, setup_dialplan
from bench.setup_load import Load
from ivr.ami.users import AmiUser, session
from tests.rig.hotline import Hotline

pytestmark = pytest.mark.asterisk


def test_bench_setup_each_way_runs_every_command_of_one_call(hotline: Hotline) -> None:
    async def one_call_each() -> dict[str, bool]:
        async with session(hotline.config, AmiUser.CALLS) as ami:
            load = Load(ami)
            return {way: await load.call(way) for way in bench_setup.WAYS}

    with bench_setup.servers() as running:
        setup_dialplan.install(hotline, running["ours"].port, running["panoramisk"].port)
        try:
            served = asyncio.run(one_call_each())
        finally:
            setup_dialplan.remove(hotline)

    # True only after the dialplan's UserEvent said AGISTATUS=SUCCESS and BENCH_OK held
    # the token the handler read with GET VARIABLE (set by its last command).
    assert served == {"ours": True, "script": True, "panoramisk": True}
    assert f"Context '{setup_dialplan.CONTEXT}'" not in hotline.asterisk.cli("dialplan show")
