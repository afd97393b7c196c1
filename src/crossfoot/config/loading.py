"""Read ``crossfoot.yaml``: pydantic's errors mapped back to the YAML line that caused them."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from crossfoot.config.definitions import Definitions
from crossfoot.errors import ConfigError


def _line_index(node: yaml.Node, prefix: tuple[str, ...], out: dict[tuple[str, ...], int]) -> None:
    out[prefix] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = (*prefix, str(key.value))
            out[k] = key.start_mark.line + 1
            _line_index(value, k, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_index(item, (*prefix, str(i)), out)


def _format_error(err: Any, lines: dict[tuple[str, ...], int], file: str) -> str:
    loc = tuple(
        str(p) for p in err["loc"] if not str(p).startswith(("function-after", "tagged-union"))
    )
    # discriminated unions add the tag to the location; drop it to find the line
    key_path = tuple(p for p in loc if p not in ("point_in_time", "ratable", "milestones"))
    line = None
    for n in range(len(key_path), -1, -1):
        if key_path[:n] in lines:
            line = lines[key_path[:n]]
            break
    key = ".".join(key_path) or "(top level)"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "is not a known key (check the spelling; SPEC §4 lists the keys)"
    elif err["type"] == "missing":
        msg = "is required"
    elif (
        "input" in err
        and err["type"] not in ("value_error",)
        and not isinstance(err["input"], dict)
    ):
        msg = f"{err['input']!r}: {msg}"
    where = f"{file}:{line}" if line else file
    return f"{where} {key}: {msg}"


def load_definitions(path: str | Path) -> Definitions:
    """Read and validate ``crossfoot.yaml``; raise ConfigError naming line, key and value."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read the definitions file: {exc.strerror}", location=str(p)
        ) from exc
    try:
        text = raw.decode("utf-8-sig")
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"not valid YAML: {exc}", location=str(p)) from exc
    if not isinstance(data, dict):
        raise ConfigError(
            "must be a YAML mapping of keys (company, reporting, crm, erp, ...)", location=str(p)
        )
    lines: dict[tuple[str, ...], int] = {}
    if node is not None:
        _line_index(node, (), lines)
    try:
        defs = Definitions.model_validate(data)
    except ValidationError as exc:
        messages = [_format_error(e, lines, str(p)) for e in exc.errors()]
        raise ConfigError("\n".join(messages)) from None
    return defs.model_copy(
        update={"base_dir": p.resolve().parent, "source_hash": hashlib.sha256(raw).hexdigest()}
    )
