"""This host and this program: version, info."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any, NamedTuple

from supervisor.api import session
from supervisor.settings import Settings

_GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}


class VersionInfo(NamedTuple):
    """Podman's `version` keys (`define.Version`); GoVersion holds the Python version."""

    APIVersion: str
    Version: str
    GoVersion: str
    GitCommit: str
    BuiltTime: str
    Built: int
    OsArch: str
    Os: str


class VersionReport(NamedTuple):
    client: VersionInfo
    server: VersionInfo | None  # the local engine, when this user may use it (root)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Client": self.client._asdict()}
        if self.server is not None:
            out["Server"] = self.server._asdict()
        return out


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("scopebox")
    except PackageNotFoundError:
        return "unknown"


def version() -> VersionReport:
    import time

    ver = package_version()
    arch = platform.machine()
    built = 0  # no build stamp yet (Podman's distribution builds say the same)
    info = VersionInfo(
        APIVersion=ver,
        Version=ver,
        GoVersion=f"python{sys.version.split()[0]}",
        GitCommit="",
        BuiltTime=time.asctime(time.gmtime(built)),
        Built=built,
        OsArch=f"linux/{_GOARCH.get(arch, arch)}",
        Os="linux",
    )
    # The server is this same engine, run in-process: reported to who may use it.
    return VersionReport(client=info, server=info if os.geteuid() == 0 else None)


def info(settings: Settings) -> dict[str, Any]:
    """`info`: how this host runs containers (Podman's host/store sections, trimmed)."""
    import subprocess

    from cgroupfs.layout import detect

    with session(settings) as eng:
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
                "logDriver": settings.log_driver or ("journald" if systemd else "k8s-file"),
                "ociRuntime": {"name": rt.name, "path": rt.path, "version": rt_version},
            },
            "store": {
                "graphRoot": eng.paths.root,
                "runRoot": eng.paths.runroot,
                "containers": len(eng.store.list_containers()),
                "images": len(eng.store.list_images()),
            },
        }
