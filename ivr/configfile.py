"""Where configuration values come from, before they are checked: the TOML file, the
environment, and the text of a value turned into its key's type.

ivr/config.py owns the keys (frozen dataclasses, their defaults and checks) and layers
these sources: defaults < file < environment < CLI flags. Nothing here knows a key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ivr.errors import ConfigError

ENV_PREFIX = "HAJJ_IVR_"


def config_file(env: Mapping[str, str], default: Path) -> Path | None:
    """``$HAJJ_IVR_CONFIG``, else ``default`` when it exists, else no file."""
    named = env.get(ENV_PREFIX + "CONFIG")
    if named:
        return Path(named)
    return default if default.exists() else None


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"config file {path} is not valid TOML: {e}") from None


def flatten(tree: Mapping[str, Any]) -> dict[str, Any]:
    """{"agi": {"port": 1}} -> {"agi.port": 1}: one level of [section] tables."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            for sub, subvalue in value.items():
                flat[f"{key}.{sub}"] = subvalue
        else:
            flat[key] = value
    return flat


def from_env(env: Mapping[str, str], keys: Iterable[str]) -> dict[str, Any]:
    """``HAJJ_IVR_AGI_PORT`` -> ``agi.port`` for every key named; other variables are
    not ours."""
    known = {k.replace(".", "_").upper(): k for k in keys}
    found: dict[str, Any] = {}
    for name, value in env.items():
        if name.startswith(ENV_PREFIX) and name[len(ENV_PREFIX) :] in known:
            found[known[name[len(ENV_PREFIX) :]]] = value
    return found


def coerce(default: Any, value: Any, key: str) -> Any:
    """``value`` as the type of the key's default; the error names key and value."""
    kind: type = type(default)
    try:
        if isinstance(default, Path):
            return Path(os.path.expanduser(str(value))).resolve()
        if kind is bool:
            return to_bool(value)
        if kind is tuple and isinstance(value, str):  # a list from the environment: a,b
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} = {value!r} is not a valid {kind.__name__}") from None


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(text)
