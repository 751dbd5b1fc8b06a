"""Configuration: a YAML file (nameko's config file) with environment-variable overrides.

The file may use nameko's ``${VAR:default}`` substitution; on top of that every key can be
overridden by an ``ELDERNET__`` variable, with ``__`` separating nesting levels::

    ELDERNET__AMQP_URI=amqp://guest:guest@broker:5672/eldernet-xinfu
    ELDERNET__ELDERNET__NODE__ID=xinfu
    ELDERNET__ELDERNET__DATABASES__REGISTRY=postgresql+psycopg2://eldernet@db/registry

Values from the environment are parsed as YAML scalars (``5`` is an int, ``true`` a bool).
"""
from __future__ import annotations

import copy
import os
import re
from typing import Any, Mapping

import yaml

ENV_PREFIX = "ELDERNET__"
_SUBSTITUTION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}")

DEFAULTS: dict[str, Any] = {
    "AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/",
    "max_workers": 10,
    # nameko's key for the web server of @http entrypoints: the node's HTTP API (docs/api.md).
    # Loopback by default: expose it deliberately (0.0.0.0 in a container, behind TLS elsewhere).
    "WEB_SERVER_ADDRESS": "127.0.0.1:8000",
    "ELDERNET": {
        "node": {"id": "local", "tier": "city", "area_code": "2104", "parent": None},
        "data_dir": "var/local",
        "databases": {},
        "sqlite_synchronous": "FULL",
        "outbox": {"batch_size": 500, "poll_interval": 0.05},
        "consumer": {"max_attempts": 5, "retry_delay": 0.2, "max_message_bytes": 1_048_576},
        "metrics": {"port": None},
    },
}


class ConfigError(ValueError):
    pass


def load_config(path: str | None = None, environ: Mapping[str, str] | None = None) -> dict:
    """DEFAULTS, then the file at ``path`` (if any), then ``ELDERNET__`` environment overrides."""
    environ = os.environ if environ is None else environ
    config = copy.deepcopy(DEFAULTS)
    if path:
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as error:
            raise ConfigError(f"cannot read config file {path}: {error.strerror}") from None
        loaded = yaml.safe_load(text) or {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of keys to values")
        merge(config, _substitute(loaded, environ))
    merge(config, env_overrides(environ))
    return config


def _substitute(value: Any, environ: Mapping[str, str]) -> Any:
    """Expand ``${VAR:default}`` in the loaded values (never in comments or keys).

    A value that is exactly one reference takes the variable's YAML type (``${PORT:9100}`` is an
    int), as in nameko's config loader; a reference inside a longer string stays text.
    """
    if isinstance(value, dict):
        return {key: _substitute(item, environ) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, environ) for item in value]
    if not isinstance(value, str) or "${" not in value:
        return value

    def replace(match: re.Match) -> str:
        name, default = match.group(1), match.group(2)
        if name in environ:
            return environ[name]
        if default is None:
            raise ConfigError(f"config refers to ${{{name}}} but it is not set and has no default")
        return default

    expanded = _SUBSTITUTION.sub(replace, value)
    return yaml.safe_load(expanded) if _SUBSTITUTION.fullmatch(value) else expanded


def env_overrides(environ: Mapping[str, str]) -> dict:
    overrides: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_PREFIX:
            continue
        path = name[len(ENV_PREFIX):].split("__")
        keys = [_top_key(path[0])] + [key.lower() for key in path[1:]]
        target = overrides
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = yaml.safe_load(raw) if raw != "" else ""
    return overrides


# nameko's few lower-case top-level keys; every other top-level key (AMQP_URI, ELDERNET, LOGGING,
# WEB_SERVER_ADDRESS, ...) is upper case, and every key below the top is lower case.
_LOWER_TOP_KEYS = {"MAX_WORKERS", "PARENT_CALLS_TRACKED", "SERIALIZER", "ACCEPT", "HEARTBEAT", "PREFETCH_COUNT"}


def _top_key(name: str) -> str:
    return name.lower() if name.upper() in _LOWER_TOP_KEYS else name.upper()


def merge(base: dict, override: Mapping) -> dict:
    """Deep-merge ``override`` into ``base`` in place."""
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def eldernet_section(config: Mapping) -> dict:
    section = config.get("ELDERNET")
    if not isinstance(section, dict):
        raise ConfigError("config has no ELDERNET section")
    return section
