"""`hajj-ivr data ...`: import an export, write the sample, show the live mirror."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ivr import heartbeats, mirrorsync
from ivr.admin import reloads
from ivr.admin.audit import Audit
from ivr.cli.table import Arg, Command
from ivr.config import Config
from ivr.corrections import cases
from ivr.data import diff, published, sample
from ivr.data.importer import import_export
from ivr.data.mirror import Mirror
from ivr.errors import DataError


def import_(config: Config, args: argparse.Namespace) -> int:
    """Validate, build beside the live mirror, swap in atomically; refused -> exit 1.
    Either way the attempt is logged with who ran it."""
    who = getpass.getuser()
    publish = mirrorsync.Publish(config, who)
    try:
        report = import_export(
            args.path,
            config.mirror_path,
            progress=None if args.quiet else _progress(),
            imported_by=who,
            force=args.force,
            then=publish,
        )
    except DataError as e:
        Audit.for_config(config).record(who, "data", False, str(e).splitlines()[0])
        raise
    if not args.quiet:
        print(file=sys.stderr)
    changes = report.diff.summary() if report.diff else ""
    changed = cases.after_import(config.database, config.calllog_path, config.mirror_path)
    changes += f"; correction cases whose data changed: {changed}" if changed else ""
    Audit.for_config(config).record(who, "data", True, f"{report.summary()}; {changes}")
    print(report.summary())
    if changes:
        print(f"changes: {changes}")
    print(reloads.office_prompts(config))
    return _published(publish)


def sample_(config: Config, args: argparse.Namespace) -> int:
    """Write the sample export and import it, never over a live mirror unless forced."""
    live = config.mirror_path.exists()
    if live and not (args.force or args.if_empty or args.skip_import):
        raise DataError(
            f"{config.state_dir} already holds a live mirror{_describe(config)}: the sample "
            "would replace it. Use --force to replace it anyway, --if-empty to keep it, or "
            "--skip-import to only write the sample files"
        )
    folder = args.out or config.state_dir / "sample"
    pilgrims = sample.write_sample(folder, jemaah=args.rows)
    print(f"sample export written to {folder} ({args.rows} jemaah)")
    if args.skip_import or (live and not args.force):  # --if-empty: the live mirror stays
        return 0
    publish = mirrorsync.Publish(config, getpass.getuser())
    report = import_export(
        folder, config.mirror_path, imported_by="sample", force=args.force, then=publish
    )
    Audit.for_config(config).record(getpass.getuser(), "data", True, f"sample {report.summary()}")
    print(report.summary())
    print(reloads.office_prompts(config))
    for p in pilgrims[: args.show]:
        print(f"  {p}")
    return _published(publish)


def _published(publish: mirrorsync.Publish) -> int:
    """After an import with ``[database] url``: whether the other nodes have it (exit 1
    when not: the import here stands, `hajj-ivr data publish` tries again)."""
    said = publish.outcome()
    if publish.error:
        print(f"hajj-ivr: {said}", file=sys.stderr)
        return 1
    if said:
        print(said)
    return 0


def publish(config: Config, args: argparse.Namespace) -> int:
    """Publish the live mirror again (after a publish that failed)."""
    if not config.database.postgres:
        raise DataError("data publish: no [database] url, so no other node to publish to")
    who = getpass.getuser()
    done = mirrorsync.publish_live(config, who)
    assert done is not None  # a URL is set
    Audit.for_config(config).record(who, "data", True, f"published the live mirror: {done.id}")
    print(f"{done.summary()}: every node takes it within seconds")
    return 0


def _describe(config: Config) -> str:
    """`` (as of 2026-04-10, 5,500,000 jemaah)``, or nothing for a mirror we cannot read."""
    try:
        with Mirror(config.mirror_path) as mirror:
            info = mirror.info
    except DataError:
        return ""
    return f" (as of {info.as_of}, {info.jemaah_rows:,} jemaah)"


def status(config: Config, args: argparse.Namespace) -> int:
    if config.database.postgres and not config.mirror_path.exists():
        print(f"mirror     none at {config.mirror_path}: the controller fetches the published one")
        _published_status(config)
        return 0
    with Mirror(config.mirror_path) as mirror:
        info = mirror.info
    print(f"mirror     {config.mirror_path}")
    print(f"as of      {info.as_of}")
    print(f"jemaah     {info.jemaah_rows:,}")
    print(f"kloter     {info.kloter_rows:,}")
    print(f"imported   {info.imported_at:%Y-%m-%d %H:%M} UTC by {info.imported_by or '?'}")
    print(f"source     {info.source}")
    last = diff.last(config.mirror_path)
    if last is not None:
        print(f"changes    {last.summary()}")
    if config.database.postgres:
        _published_status(config)
    return 0


def _published_status(config: Config) -> None:
    """The newest published mirror against the local one, and what each node serves."""
    from ivr import pgstore  # psycopg only where PostgreSQL is configured

    local = mirrorsync.LocalMirror(config.mirror_path).served()
    with pgstore.connect(config.database) as conn:
        newest = published.latest(conn)
        nodes = heartbeats.Heartbeats(pgstore.PgSql(pgstore.One(conn))).nodes()
    print(f"sha256     {local.sha256}")
    if newest is None:
        print("published  nothing yet: `hajj-ivr data publish` publishes this one")
        return
    same = "the same as here" if newest.sha256 == local.sha256 else "NOT the one here"
    print(f"published  #{newest.id} as of {newest.as_of}, {newest.sha256[:12]}…: {same}")
    for node in nodes:
        b = node.beat
        up = "up" if node.up() else f"stale ({node.age:.0f} s)"
        current = "current" if b.mirror_sha256 == newest.sha256 else "NOT current"
        print(f"node       {b.name} {up}: as of {b.mirror_as_of or '?'}, {current}")


def _progress() -> Callable[[int], None]:
    """A one-line progress report on stderr: rows so far and the rate."""
    started = time.monotonic()
    last = [0.0]

    def show(rows: int) -> None:
        now = time.monotonic()
        if now - last[0] < 0.2:
            return
        last[0] = now
        rate = rows / max(now - started, 1e-6)
        print(f"\rimporting: {rows:>12,} rows  {rate:>10,.0f} rows/s", end="", file=sys.stderr)

    return show


COMMANDS = (
    Command(
        ("data", "import"),
        "validate an export (folder or .zip) and swap it in atomically",
        "hajj-ivr data import exports/siskohat-2026-04-01.zip",
        import_,
        (
            Arg(("path",), {"type": Path, "help": "folder or .zip with jemaah.csv and kloter.csv"}),
            Arg(("--quiet",), {"action": "store_true", "help": "no progress line"}),
            Arg(
                ("--force",),
                {
                    "action": "store_true",
                    "help": "import even an export older than the live mirror",
                },
            ),
        ),
    ),
    Command(
        ("data", "sample"),
        "write realistic sample data and import it",
        "hajj-ivr data sample --rows 1000",
        sample_,
        (
            Arg(("--out",), {"type": Path, "help": "folder to write (default STATE_DIR/sample)"}),
            Arg(("--rows",), {"type": int, "default": 300, "help": "jemaah rows (default 300)"}),
            Arg(("--skip-import",), {"action": "store_true", "help": "only write the CSV files"}),
            Arg(
                ("--if-empty",),
                {"action": "store_true", "help": "import only when no mirror exists"},
            ),
            Arg(
                ("--force",),
                {"action": "store_true", "help": "replace a live mirror with the sample"},
            ),
            Arg(("--show",), {"type": int, "default": 12, "help": "fixed examples to print"}),
        ),
    ),
    Command(
        ("data", "status"),
        "the live mirror: as-of date, rows, last import; with [database] url the "
        "published one and each node's",
        "hajj-ivr data status",
        status,
    ),
    Command(
        ("data", "publish"),
        "publish the live mirror to every node (with [database] url; an import does it)",
        "hajj-ivr data publish",
        publish,
    ),
)
