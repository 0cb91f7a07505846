"""scopebox info [--format F]: what this host offers."""

from __future__ import annotations

import subprocess
from typing import Any

from supervisor.cli.common import engine, print_json, render_each
from supervisor.cli.main import new_parser


def gather() -> dict[str, Any]:
    from cgroupfs.layout import detect

    with engine() as eng:
        systemd = eng.systemd() is not None
        rt = eng.runtime()
        try:
            rt_version = subprocess.run(
                [rt.path, "--version"], capture_output=True, text=True, check=False
            ).stdout.splitlines()[0]
        except (OSError, IndexError):
            rt_version = ""
        return {
            "host": {
                "cgroupLayout": detect().mode.value,
                "cgroupManager": "systemd" if systemd else "cgroupfs",
                "systemd": systemd,
                "logDriver": "journald" if systemd else "k8s-file",
                "ociRuntime": {"name": rt.name, "path": rt.path, "version": rt_version},
            },
            "store": {
                "graphRoot": eng.paths.root,
                "runRoot": eng.paths.runroot,
                "containers": len(eng.store.list_containers()),
                "images": len(eng.store.list_images()),
            },
        }


def _yaml(data: dict[str, Any], indent: str = "") -> str:
    out = []
    for key, value in data.items():
        if isinstance(value, dict):
            out.append(f"{indent}{key}:\n{_yaml(value, indent + '  ')}")
        else:
            text = str(value).lower() if isinstance(value, bool) else str(value)
            out.append(f"{indent}{key}: {text}\n")
    return "".join(out)


def main(argv: list[str]) -> int:
    p = new_parser("info", "Show how this host runs containers.")
    p.add_argument("-f", "--format")
    ns = p.parse_args(argv)
    data = gather()
    if ns.format == "json":
        print_json(data)
    elif ns.format:
        render_each(ns.format, [data])
    else:
        print(_yaml(data), end="")
    return 0
