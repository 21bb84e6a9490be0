"""The prompt catalog covers every prompt the code and dialplan use; builds are incremental."""

from __future__ import annotations

from pathlib import Path

from ivr.config import PROJECT_DIR, PromptSettings
from ivr.prompts import build, check
from ivr.prompts.catalog import Catalog


def test_prompts_every_id_used_in_code_is_in_the_catalog() -> None:
    catalog = Catalog.load(PROJECT_DIR / "prompts")
    used = (
        check.used_in_code(PROJECT_DIR / "ivr")
        | check.used_in_flows(PROJECT_DIR / "ivr" / "flows")
        | check.used_in_dialplan(PROJECT_DIR / "dialplan")
    )
    assert used and used - set(catalog) == set()


def test_prompts_check_reports_an_unknown_id(tmp_path: Path) -> None:
    (tmp_path / "ivr").mkdir()
    (tmp_path / "ivr" / "flow.py").write_text('async def f(call):\n    await call.say("nope")\n')
    (tmp_path / "dialplan").mkdir()
    catalog = Catalog.load(PROJECT_DIR / "prompts")

    problems = check.problems(catalog, tmp_path, tmp_path / "sounds")

    assert "ivr/ uses prompt 'nope', not in the catalog" in problems


def test_prompts_build_twice_second_build_changes_nothing(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "catalog.toml").write_text('[halo]\nid = "Halo"\n[dua]\nid = "dua"\n')
    catalog = Catalog.load(prompts)
    settings = PromptSettings(engine="espeak")

    first = build.build(catalog, tmp_path / "sounds", tmp_path / "rec", settings)
    wav = build.target_dir(tmp_path / "sounds") / "halo.wav"
    stamp = wav.stat().st_mtime_ns
    second = build.build(catalog, tmp_path / "sounds", tmp_path / "rec", settings)

    assert (sorted(first.built), second.built, sorted(second.unchanged)) == (
        ["dua", "halo"],
        [],
        ["dua", "halo"],
    )
    assert wav.stat().st_mtime_ns == stamp
    assert wav.read_bytes()[:4] == b"RIFF" and wav.read_bytes()[24:28] == (8000).to_bytes(
        4, "little"
    )


def test_prompts_recorded_file_overrides_generated(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "catalog.toml").write_text('[halo]\nid = "Halo"\n')
    catalog = Catalog.load(prompts)
    settings = PromptSettings(engine="espeak")
    build.build(catalog, tmp_path / "rec-src", tmp_path / "none", settings)
    recorded = tmp_path / "rec"
    recorded.mkdir()
    (recorded / "halo.wav").write_bytes(
        (build.target_dir(tmp_path / "rec-src") / "halo.wav").read_bytes()
    )

    report = build.build(catalog, tmp_path / "sounds", recorded, settings)

    assert report.recorded == ["halo"] and report.built == []
