"""scopebox version"""

from __future__ import annotations

import platform
import sys
from importlib.metadata import PackageNotFoundError, version


def main(argv: list[str]) -> int:
    try:
        ver = version("scopebox")
    except PackageNotFoundError:
        ver = "unknown"
    print(
        f"Version:      {ver}\nPython:       {sys.version.split()[0]}\n"
        f"OS/Arch:      linux/{platform.machine()}"
    )
    return 0
