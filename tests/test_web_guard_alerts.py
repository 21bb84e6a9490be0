"""The wallboard's alerts read the guard's locks where the hotline counts them: calls.sqlite,
or with [database] url PostgreSQL (every node's calls add up there)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from ivr import config as config_mod
from ivr import storefiles, storeplace
from ivr.agents.store import AgentStore
from ivr.guard import SCHEMA, Guard, Limits
from ivr.web.app import build_app
from ivr.web.screenpop import ScreenPop
from tests.rig.postgres import Backend
from tests.test_web_complaints import NoAmi, logged_in

PORSI = "1100123456"


def test_wallboard_alerts_show_a_porsi_locked_by_tries_in_the_hotlines_store(
    backend: Backend, tmp_path: Path
) -> None:
    url = {"database.url": backend.url} if backend.postgres else {}
    overrides = {"state_dir": tmp_path, "ivr.dob_lock_failures": 2, **url}
    config = config_mod.load(file=None, env={}, overrides=overrides)
    storefiles.migrate_shared(config)
    with storeplace.opened(config.database, config.calllog_path, (SCHEMA,), wal=True) as sql:
        guard = Guard(sql, Limits.for_config(config))
        guard.dob_failed(PORSI, "081100000001")
        guard.dob_failed(PORSI, "081100000002")  # two numbers: only the porsi is locked
    password = AgentStore.for_config(config).add("rahmat", 0, role="admin")[1].web
    pop = ScreenPop(config.calllog_path, config.mirror_path)
    app = build_app(config, pop=pop, ami=NoAmi())  # type: ignore[arg-type]

    async def board() -> dict[str, Any]:
        async with logged_in(app, "rahmat", password) as client:
            answer: dict[str, Any] = (await client.get("/admin/api/wallboard")).json()
            return answer

    alerts = asyncio.run(board())["alerts"]
    assert [(a["kind"], a["what"], a["subject"], a["count"]) for a in alerts] == [
        ("dob_failed", "porsi", "11******56", 2)
    ]
