"""scopebox's version, and the name of the local pause image made from it (cheap: stdlib)."""

from __future__ import annotations

import os
import sys

BUILT = 0  # no build stamp yet (Podman's distribution builds say the same)
PAUSE_REPOSITORY = "localhost/podman-pause"


def pause_image_name() -> str:
    """Podman's local pause image, `localhost/podman-pause:VERSION-BUILT`: what a pod's
    default infra container is made from (supervisor/pods/infra.py)."""
    return f"{PAUSE_REPOSITORY}:{package_version()}-{BUILT}"


def package_version() -> str:
    found = _dist_info_version()
    if found is not None:
        return found
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("scopebox")
    except PackageNotFoundError:
        return "unknown"


def _dist_info_version() -> str | None:
    """performance (issue 16): the first `scopebox-*.dist-info` on sys.path, as
    importlib.metadata finds it, without importing it (~15 ms: email, zipfile, pathlib)."""
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.lower().startswith("scopebox-") and name.endswith(".dist-info"):
                try:
                    with open(os.path.join(entry, name, "METADATA"), encoding="utf-8") as f:
                        for line in f:
                            if line.startswith("Version:"):
                                return line[len("Version:") :].strip()
                            if not line.strip():
                                break  # the headers end
                except OSError:
                    pass
    return None
