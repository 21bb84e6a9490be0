"""Every SQLite file of the state dir with the stores' tables in it, and with ``[database]
url`` the stores in PostgreSQL: what `hajj-ivr db migrate` brings forward (each store also
does when it opens, the controller's PostgreSQL ones when it starts). The data mirror is
not here: every import builds it whole, with its own version (ivr/data/schema.py)."""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ivr import calldb, heartbeats
from ivr.admin import audit, overrides, studio
from ivr.agents import schema as accounts
from ivr.complaints import model as tickets
from ivr.config import Config
from ivr.data import published
from ivr.store import Schema, migrate, open_store

if TYPE_CHECKING:
    from ivr.pgstore import Migrated as PgMigrated

# The stores that move to PostgreSQL with [database] url, with their PostgreSQL steps:
# calls.sqlite's (calldb.PG_SCHEMAS, callbacks among them), the desk's, and the tables
# only a cluster has: the published data mirrors and the nodes' heartbeats.
PG_SCHEMAS = (
    *calldb.PG_SCHEMAS,
    accounts.PG_SCHEMA,
    tickets.PG_SCHEMA,
    audit.PG_SCHEMA,
    studio.PG_SCHEMA,
    overrides.PG_SCHEMA,
    published.PG_SCHEMA,
    heartbeats.PG_SCHEMA,
)


@dataclass(frozen=True)
class Migrated:
    path: Path
    part: str
    before: int
    after: int


def store_files(config: Config) -> dict[Path, tuple[Schema, ...]]:
    return {
        config.calllog_path: calldb.SCHEMAS,
        config.agents_path: (accounts.SCHEMA,),
        config.complaints_path: (tickets.SCHEMA,),
        audit.Audit.for_config(config).path: (audit.SCHEMA, studio.SCHEMA),
    }


def migrate_all(config: Config) -> list[Migrated]:
    """Bring every store file that exists to this release; what each part was and is."""
    done = []
    for path, schemas in store_files(config).items():
        if not path.exists():
            continue
        with closing(open_store(path)) as db:
            for schema in schemas:
                before, after = migrate(db, schema, path)
                done.append(Migrated(path, schema.part, before, after))
    return done


def migrate_shared(config: Config) -> list[PgMigrated]:
    """The PostgreSQL stores' tables brought to this release (none without a URL)."""
    if not config.database.postgres:
        return []
    # psycopg is imported only where PostgreSQL is configured: every command loads this.
    from ivr import pgstore

    return pgstore.migrate_all(config.database, PG_SCHEMAS)
