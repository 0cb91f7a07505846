"""scopebox info [--format F]: what this host offers."""

from __future__ import annotations

from typing import Any

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_json, render_each
from supervisor.settings import Settings


def _yaml(data: dict[str, Any], indent: str = "") -> str:
    out = []
    for key, value in data.items():
        if isinstance(value, dict):
            out.append(f"{indent}{key}:\n{_yaml(value, indent + '  ')}" if value else
                       f"{indent}{key}: {{}}\n")
        elif isinstance(value, list):
            out.append(f"{indent}{key}:\n" + "".join(_item(v, indent) for v in value))
        else:
            text = _scalar(value)
            if "\n" in text:  # YAML's block scalar, as Podman prints the runtime's version
                text = "|-\n" + "\n".join(f"{indent}  {line}" for line in text.splitlines())
            out.append(f"{indent}{key}: {text}\n")
    return "".join(out)


def _scalar(value: Any) -> str:
    """go-yaml's plain scalars where scopebox's values need it: booleans lowercase, nil as
    null, the empty string quoted (Podman's `Mirrors: null`, `package: ""`)."""
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "null"
    return str(value) if value != "" else '""'


def _item(value: Any, indent: str) -> str:
    if isinstance(value, dict):  # rootless idMappings: YAML's block mapping in a sequence
        text = _yaml(value, indent + "  ")
        return f"{indent}- {text[len(indent) + 2:]}"
    return f"{indent}- {value}\n"


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("info", "Show how this host runs containers.")
    p.add_argument("-f", "--format")
    ns = p.parse_args(argv)
    from supervisor.api import system

    data = system.info(settings)
    if ns.format == "json":
        print_json(data)
    elif ns.format is not None:  # `-f ""` too: an empty template prints nothing, as Podman's
        render_each(ns.format, [system.go_fields(data)])
    else:
        print(_yaml(data), end="")
    return 0
