"""The admins' audit (reload and supervision logs) and phone PINs where ``[database] url``
puts them, opened as the CLI and the web app open them (``for_config``, ivr.storeplace):
on SQLite files, and on PostgreSQL, where a second node sees the same."""

from __future__ import annotations

import dataclasses

from ivr import storefiles
from ivr.admin import studio as studio_mod
from ivr.admin.audit import PG_SCHEMA, SCHEMA, Audit
from ivr.admin.studio import Studio
from ivr.agents.store import AgentStore
from ivr.config import Config
from ivr.settings import DatabaseSettings
from tests.rig.postgres import Backend


def on_backend(backend: Backend, config: Config | None = None) -> Config:
    """``config`` (default: the defaults) in the test's folder, with its shared stores on
    ``backend``: [database] url set and the tables migrated, as `hajj-ivr db migrate`."""
    config = dataclasses.replace(config or Config(), state_dir=backend.folder)
    if backend.postgres:
        config = dataclasses.replace(config, database=DatabaseSettings(url=backend.url))
        storefiles.migrate_shared(config)
    return config


def test_audit_logged_on_one_node_read_on_the_other(backend: Backend) -> None:
    config = on_backend(backend)
    one = Audit.for_config(config)
    two = Audit(config.state_dir / "elsewhere.sqlite", sql=backend.sql((SCHEMA,), (PG_SCHEMA,)))
    if not backend.postgres:  # one node: the same file
        two = Audit.for_config(config)
    assert two.recent() == [] and two.counts("data") == (0, 0)
    first = one.record("rahmat", "data", True, "imported 300 jemaah")
    two.record("budi", "data", False, "refused: older export")
    one.supervised("nurul", "ali", "1795650000.1", "listen", True, "PJSIP/agent-ali-0000000a")
    assert [(r.who, r.ok) for r in two.recent()] == [("budi", False), ("rahmat", True)]
    assert two.recent()[-1] == first and first.id > 0
    assert two.counts("data") == (1, 1) and one.counts("asterisk") == (0, 0)
    assert [(s.who, s.mode) for s in two.supervisions()] == [("nurul", "listen")]


def test_audit_on_postgresql_makes_no_file(backend: Backend) -> None:
    config = on_backend(backend)
    Audit.for_config(config).record("rahmat", "hours", True, "08:00-16:00")
    assert (config.state_dir / "admin.sqlite").exists() == (not backend.postgres)


def test_phone_pins_made_on_one_node_checked_on_another(backend: Backend) -> None:
    config = on_backend(backend)
    admins = AgentStore.for_config(config)
    admins.add("rahmat", 0, role="admin")
    admins.add("sari", 0, role="admin")
    number, pin = Studio(config).new_pin("rahmat")
    other = Studio(config)  # another node's (PostgreSQL: the same table)
    assert other.is_admin_number(number) and other.check_pin(number, pin) == "rahmat"
    second, _ = other.new_pin("sari")
    assert (number, second) == (str(studio_mod.FIRST_NUMBER), str(studio_mod.FIRST_NUMBER + 1))
    again, new = other.new_pin("rahmat")  # a new PIN keeps the number, ends the old PIN
    assert again == number and Studio(config).check_pin(number, pin) is None
    AgentStore.for_config(config).remove("rahmat", role="admin")
    assert Studio(config).check_pin(number, new) is None
