"""Reloads while calls run: Asterisk config, prompts, data. Each is logged; a failed one
changes nothing.

Asterisk: every template is rendered in memory first (a bad placeholder stops here),
the files are swapped in, then ``module reload`` per module (dialplan, queues with their
statistics kept, PJSIP, bridge features) through Asterisk's control socket, which only
root or Asterisk's own user can open: no AMI user may reload (an AMI right to reload is
the 'system' right, which also loads modules and edits the dialplan). If Asterisk refuses
one, the previous files go back and are reloaded. Calls in progress keep their channels:
a reload changes what happens next, never a call.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ivr import mirrorsync
from ivr.admin import overrides, studio
from ivr.admin.audit import Audit, Reload
from ivr.asterisk import process, render
from ivr.config import Config
from ivr.corrections import cases
from ivr.data import offices
from ivr.data.importer import import_export
from ivr.data.mirror import Mirror
from ivr.data.report import ImportRefused, ImportReport
from ivr.errors import HajjIvrError
from ivr.prompts import build, check
from ivr.prompts.catalog import Catalog
from ivr.secrets import load_or_create

# What `asterisk reload` reloads, in order, and what each holds.
MODULES = (
    ("pbx_config.so", "dialplan"),
    ("app_queue.so", "queues"),
    ("res_pjsip.so", "pjsip"),
    ("features", "features"),
)


@dataclass(frozen=True)
class Attempt:
    """What one reload did (logged in the audit whichever way it went)."""

    ok: bool
    detail: str
    import_report: ImportReport | None = None


def _logged(
    config: Config, who: str, what: str, run: Callable[[], Attempt]
) -> tuple[Reload, Attempt]:
    try:
        outcome = run()
    except HajjIvrError as e:
        outcome = Attempt(False, str(e))
    return Audit.for_config(config).record(who, what, outcome.ok, outcome.detail), outcome


# --- Asterisk ----------------------------------------------------------------------------


# How long `agents remove` waits for the web app to close the agent's browser phone socket
# (it rechecks sessions every 2 s: ivr/web/phone.py) before the endpoint is reloaded away.
BROWSER_PHONE_GONE_SECONDS = 10.0


def wait_browser_phone_gone(config: Config, endpoint: str) -> bool:
    """Wait until Asterisk lists no contact of ``endpoint`` (the agent's sessions just
    ended, so the console's proxy closes its WebSocket and Asterisk drops the contact).
    Before the reload, not after: a WebSocket contact whose AOR a reload removed first
    stays listed when its transport closes (seen on Asterisk 22), an orphan until it
    expires. False when Asterisk still lists one after the wait (or is not running)."""
    asterisk = process.Asterisk.from_config(config)
    if asterisk.pid() is None:
        return False
    deadline = time.monotonic() + BROWSER_PHONE_GONE_SECONDS
    while f" {endpoint}/" in asterisk.cli("pjsip show contacts"):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def reload_phones(config: Config) -> str:
    """Rewrite pjsip_agents.conf (an agent added, removed or given a new phone password)
    and reload res_pjsip if Asterisk runs; a note saying which."""
    render.render_agents(config)
    asterisk = process.Asterisk.from_config(config)
    if asterisk.pid() is None:
        return "Asterisk is not running; the phone is ready at its next start."
    asterisk.cli("module reload res_pjsip.so")
    return "Asterisk reloaded the phones."


def reload_asterisk(config: Config, who: str) -> tuple[Reload, Attempt]:
    return _logged(config, who, "asterisk", lambda: _reload_asterisk(config))


def _reload_asterisk(config: Config) -> Attempt:
    asterisk = process.Asterisk.from_config(config)
    if asterisk.pid() is None:
        return Attempt(False, "Asterisk is not running: `hajj-ivr asterisk start`")
    files = render.render_all(config, asterisk.install, load_or_create(config.secrets_path))
    etc = asterisk.layout.etc
    backup = etc / ".previous"
    changed = [name for name, text in files.items() if _read(etc / name) != text]
    shutil.rmtree(backup, ignore_errors=True)
    backup.mkdir(parents=True)
    for name in files:
        if (etc / name).exists():
            shutil.copy2(etc / name, backup / name)
    render.write_all(etc, files)
    failed = _reload_modules(asterisk)
    if failed:
        for saved in backup.iterdir():
            shutil.copy2(saved, etc / saved.name)
        _reload_modules(asterisk)
        log = asterisk.layout.log / "messages.log"
        return Attempt(
            False,
            f"Asterisk refused the new {failed.label} ({failed.reason}; see {log}); the "
            "previous configuration is back in force",
        )
    what = ", ".join(label for _, label in MODULES)
    files_note = f"changed files: {', '.join(changed)}" if changed else "no file changed"
    return Attempt(True, f"reloaded {what} ({files_note})")


@dataclass(frozen=True)
class _Refusal:
    label: str  # what Asterisk refused: "dialplan", "queues", ...
    reason: str  # what its CLI said


def _reload_modules(asterisk: process.Asterisk) -> _Refusal | None:
    """Reload each module; the first one Asterisk refused, or None."""
    for module, label in MODULES:
        try:
            output = asterisk.cli(f"module reload {module}")
        except HajjIvrError as e:
            output = str(e)
        if not reloaded(module, output):
            return _Refusal(label, output.strip() or "no answer")
    return None


def reloaded(module: str, output: str) -> bool:
    """Did `module reload` succeed? The CLI exits 0 whatever happened; only this sentence
    means success (others: "The module 'x' reported a reload failure", "No such module",
    "does not support reloading", "request queued")."""
    return output.strip() == f"Module '{module}' reloaded successfully."


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except FileNotFoundError:
        return None


# --- prompts -----------------------------------------------------------------------------


def build_prompts(config: Config) -> tuple[Catalog, str]:
    """Build every prompt that changed, remove those no longer in the catalog; the
    catalog and what was done, in words."""
    catalog = Catalog.load(config.prompts_dir, config.overrides_dir)
    recorded = studio.recorded_dirs(config)
    report = build.build(catalog, config.sounds_dir, recorded, config.prompts, prune=True)
    note = f" ({report.note})" if report.note else ""
    removed = f", {len(report.removed)} removed" if report.removed else ""
    return catalog, (
        f"{len(report.built)} built with {report.voice}{note}, {len(report.recorded)} from "
        f"recordings, {len(report.unchanged)} unchanged{removed}"
    )


def rebuild_prompts(config: Config, who: str) -> tuple[Reload, Attempt]:
    def run() -> Attempt:
        catalog, detail = build_prompts(config)
        problems = check.problems(catalog, config.project_dir, config.sounds_dir)
        if problems:
            return Attempt(False, "; ".join(problems))
        return Attempt(True, detail)

    return _logged(config, who, "prompts", run)


# --- data --------------------------------------------------------------------------------


def import_data(
    config: Config, who: str, source: Path, *, force: bool = False, name: str = ""
) -> tuple[Reload, Attempt]:
    """Import ``source`` (called ``name`` in reports); ``force`` takes an older export."""

    publish = mirrorsync.Publish(config, who)

    def run() -> Attempt:
        try:
            report = import_export(
                source, config.mirror_path, imported_by=who, force=force, name=name, then=publish
            )
        except ImportRefused as e:
            return Attempt(False, e.report.summary() + "; the live mirror is unchanged", e.report)
        diff = f"; {report.diff.summary()}" if report.diff else ""
        changed = cases.after_import(config.database, config.calllog_path, config.mirror_path)
        diff += f"; correction cases whose data changed: {changed}" if changed else ""
        said = publish.outcome()
        return Attempt(True, report.summary() + diff + (f"; {said}" if said else ""), report)
        return Attempt(True, f"{report.summary()}{diff}; {office_prompts(config)}", report)

    return _logged(config, who, "data", run)


def office_prompts(config: Config, *, build_them: bool = True) -> str:
    """After an import: write each office's name and address as prompts from the live
    mirror (overrides/kantor.toml) and build them; what was done, in words. A build that
    fails does not undo the import: the offices are then named generically."""
    with Mirror(config.mirror_path) as mirror:
        texts = offices.prompts(iter(mirror.offices()))
    count = overrides.save_office_prompts(config, texts)
    if not build_them:
        return f"{count} office prompts written"
    try:
        _, detail = build_prompts(config)
    except HajjIvrError as e:
        return f"{count} office prompts written, not built ({e}): `hajj-ivr prompts build`"
    return f"{count} office prompts written; prompts: {detail}"
