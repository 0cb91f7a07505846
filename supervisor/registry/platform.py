"""Choosing an image from a manifest list / OCI index by platform (pure but for the host's
machine name)."""

from __future__ import annotations

import platform as _platform
from dataclasses import dataclass
from typing import Any

from supervisor.errors import RegistryError, UsageError

# uname -m -> (GOARCH, variant), as Go and Podman name them.
_MACHINES = {
    "x86_64": ("amd64", ""),
    "aarch64": ("arm64", "v8"),
    "armv7l": ("arm", "v7"),
    "armv6l": ("arm", "v6"),
    "i686": ("386", ""),
    "i386": ("386", ""),
    "ppc64le": ("ppc64le", ""),
    "s390x": ("s390x", ""),
    "riscv64": ("riscv64", ""),
}


@dataclass(frozen=True)
class Platform:
    os: str
    arch: str
    variant: str = ""

    def __str__(self) -> str:
        return f"{self.os}/{self.arch}" + (f"/{self.variant}" if self.variant else "")

    @classmethod
    def parse(cls, text: str) -> Platform:
        parts = text.split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise UsageError(f"invalid platform {text!r}: expected os/arch[/variant]")
        return cls(*parts)

    @classmethod
    def chosen(cls, platform: str | None, os: str | None, arch: str | None,
               variant: str | None) -> str | None:
        """`--platform` or `--os/--arch/--variant` (each replacing the host's part) as one
        `os/arch[/variant]`; None when none is given."""
        if platform and (os or arch):
            raise UsageError("--platform option can not be specified with --arch or --os")
        if not (platform or os or arch or variant):
            return None
        base = cls.parse(platform) if platform else cls.host()
        if (arch and arch != base.arch) and not variant:  # the host's variant is its arch's
            base = cls(base.os, base.arch, "")
        picked = cls(os or base.os, arch or base.arch, variant or base.variant)
        return str(cls.parse(str(picked)))

    @classmethod
    def host(cls) -> Platform:
        arch, variant = _MACHINES.get(_platform.machine(), (_platform.machine(), ""))
        return cls("linux", arch, variant)


def _variant_ok(want: Platform, got: str, explicit: bool) -> bool:
    if not want.variant:
        return True
    if got == want.variant:
        return True
    # arm64 images rarely say "v8"; the host's implied variant must not exclude them.
    return not explicit and not got


def choose(index: dict[str, Any], want: Platform, explicit: bool) -> dict[str, Any]:
    """The descriptor of the image for `want` in a list/index; RegistryError if none."""
    manifests = index.get("manifests")
    if not isinstance(manifests, list):
        raise RegistryError("manifest list has no 'manifests' array")
    for exact in (True, False):
        for d in manifests:
            if not isinstance(d, dict):
                continue
            p = d.get("platform")
            if not isinstance(p, dict):
                continue
            if p.get("os") != want.os or p.get("architecture") != want.arch:
                continue
            got = str(p.get("variant", ""))
            if (got == want.variant) if exact else _variant_ok(want, got, explicit):
                return d
    raise RegistryError(f"no image found in manifest list for platform {want}")
