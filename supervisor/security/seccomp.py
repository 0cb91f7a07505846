"""Seccomp profiles: Docker's/Podman's profile format rendered into the OCI `linux.seccomp`.

The default profile is scopebox's own file (`supervisor/data/seccomp.json`, in that format, so
a user can copy and edit it for `--security-opt seccomp=FILE`). Rendering is pure: rules whose
`includes`/`excludes` (capabilities, architectures, minimum kernel) do not fit the container
are left out, as Docker and Podman do when they make the runtime's config.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Mapping
from typing import Any

from supervisor.errors import UsageError

DEFAULT_PROFILE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "seccomp.json")
UNCONFINED = "unconfined"

# uname -m -> Go's GOARCH (the names profiles use in includes.arches)
_GOARCH = {
    "x86_64": "amd64",
    "i686": "386",
    "i386": "386",
    "aarch64": "arm64",
    "armv7l": "arm",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}
# GOARCH -> libseccomp's name of the native architecture
_SCMP_ARCH = {
    "amd64": "SCMP_ARCH_X86_64",
    "386": "SCMP_ARCH_X86",
    "arm64": "SCMP_ARCH_AARCH64",
    "arm": "SCMP_ARCH_ARM",
    "ppc64le": "SCMP_ARCH_PPC64LE",
    "s390x": "SCMP_ARCH_S390X",
    "riscv64": "SCMP_ARCH_RISCV64",
}
_RULE_KEYS = {"name", "names", "action", "errnoRet", "args", "includes", "excludes", "comment"}


class ProfileError(UsageError):
    """A seccomp profile that cannot be read or understood (one line, naming the file)."""


def host_arch() -> str:
    """The kernel's architecture: uname's answer follows the caller's personality (a
    `setarch linux32` shell says i686 on x86_64, and a 32-bit profile would stop 64-bit
    programs), /proc/sys/kernel/arch does not."""
    try:
        with open("/proc/sys/kernel/arch") as f:
            machine = f.read().strip()
    except OSError:  # before Linux 6.1
        machine = ""
    machine = machine or os.uname().machine  # platform.machine()'s, without `platform`
    return _GOARCH.get(machine, machine)


def kernel_version() -> tuple[int, int]:
    parts = os.uname().release.split(".")  # platform.release()'s (run's path: no `platform`)
    try:
        return int(parts[0]), int("".join(c for c in parts[1] if c.isdigit()) or 0)
    except (IndexError, ValueError):
        return 0, 0


def load(path: str) -> dict[str, Any]:
    """A profile file (Docker/Podman format, or an OCI `linux.seccomp` object)."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise ProfileError(f"opening seccomp profile failed: {path!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"opening seccomp profile {path!r} failed: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ProfileError(f"seccomp profile {path!r} is not valid JSON: {exc}") from None
    check(data, path)
    return dict(data)


def check(profile: Any, where: str) -> None:
    """Refuse a profile the renderer would misread (before anything is made)."""
    if not isinstance(profile, dict) or not isinstance(profile.get("defaultAction"), str):
        raise ProfileError(f"seccomp profile {where!r}: expected an object with defaultAction")
    for i, rule in enumerate(profile.get("syscalls") or []):
        if not isinstance(rule, dict) or not isinstance(rule.get("action"), str):
            raise ProfileError(f"seccomp profile {where!r}: syscalls[{i}] has no action")
        unknown = set(rule) - _RULE_KEYS
        if unknown:
            raise ProfileError(
                f"seccomp profile {where!r}: syscalls[{i}] has unknown keys {sorted(unknown)}"
            )
        if not _names(rule):
            raise ProfileError(f"seccomp profile {where!r}: syscalls[{i}] names no syscall")


def default_profile() -> dict[str, Any]:
    return load(DEFAULT_PROFILE)


def _names(rule: Mapping[str, Any]) -> list[str]:
    names = list(rule.get("names") or [])
    if rule.get("name"):
        names.append(rule["name"])
    return [str(n) for n in names]


def _applies(rule: Mapping[str, Any], arch: str, caps: Collection[str],
             kernel: tuple[int, int]) -> bool:
    inc = rule.get("includes") or {}
    exc = rule.get("excludes") or {}
    if inc.get("arches") and arch not in inc["arches"]:
        return False
    if exc.get("arches") and arch in exc["arches"]:
        return False
    if any(c not in caps for c in inc.get("caps") or []):
        return False
    if any(c in caps for c in exc.get("caps") or []):
        return False
    if inc.get("minKernel") and kernel < _version(inc["minKernel"]):
        return False
    return not (exc.get("minKernel") and kernel >= _version(exc["minKernel"]))


def _version(text: str) -> tuple[int, int]:
    major, _, minor = str(text).partition(".")
    try:
        return int(major), int(minor.split(".")[0] or 0)
    except ValueError:
        return 0, 0


def _architectures(profile: Mapping[str, Any], arch: str) -> list[str]:
    if profile.get("architectures"):
        return [str(a) for a in profile["architectures"]]
    native = _SCMP_ARCH.get(arch)
    for entry in profile.get("archMap") or []:
        if entry.get("architecture") == native:
            return [native, *entry.get("subArchitectures", [])]
    return [native] if native else []


def render(profile: Mapping[str, Any], caps: Collection[str], arch: str | None = None,
           kernel: tuple[int, int] | None = None) -> dict[str, Any]:
    """The OCI `linux.seccomp` for a container with bounding set `caps` on `arch` (GOARCH)."""
    arch = arch or host_arch()
    kernel = kernel or kernel_version()
    out: dict[str, Any] = {"defaultAction": profile["defaultAction"]}
    if profile.get("defaultErrnoRet") is not None:
        out["defaultErrnoRet"] = int(profile["defaultErrnoRet"])
    archs = _architectures(profile, arch)
    if archs:
        out["architectures"] = archs
    for key in ("flags", "listenerPath", "listenerMetadata"):
        if profile.get(key):
            out[key] = profile[key]
    syscalls: list[dict[str, Any]] = []
    plain: set[tuple[str, str, Any]] = set()  # (name, action, errno) allowed without args
    for rule in profile.get("syscalls") or []:
        if not _applies(rule, arch, caps, kernel):
            continue
        args = [_arg(a) for a in rule.get("args") or []]
        errno = rule.get("errnoRet")
        names = _names(rule)
        if not args:  # the same name twice with one action: libseccomp may refuse it
            names = [n for n in names if (n, rule["action"], errno) not in plain]
            plain.update((n, rule["action"], errno) for n in names)
            if not names:
                continue
        item: dict[str, Any] = {"names": names, "action": rule["action"]}
        if errno is not None:
            item["errnoRet"] = int(errno)
        if args:
            item["args"] = args
        syscalls.append(item)
    out["syscalls"] = syscalls
    return out


def _arg(arg: Mapping[str, Any]) -> dict[str, Any]:
    out = {"index": int(arg["index"]), "value": int(arg["value"]), "op": str(arg["op"])}
    if arg.get("valueTwo"):
        out["valueTwo"] = int(arg["valueTwo"])
    return out
