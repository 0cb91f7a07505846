"""The exceptions cgroupfs raises. Import-light: the monitor may import it.

    CgroupError                 base of everything below
    ├── NoCgroupMountsError     no cgroup hierarchy is mounted under the root (system)
    ├── CgroupUnsupportedError  the kernel/mount lacks what was asked (no freezer, ...)
    ├── CgroupWriteError        the kernel refused a write to a control file (system)
    └── CgroupTimeoutError      a bounded wait ran out (remove/kill/freeze)

Misuse by the caller (a relative path, a bad value) raises ValueError, not these.
"""

from __future__ import annotations


class CgroupError(Exception):
    """Base class of cgroupfs errors."""


class NoCgroupMountsError(CgroupError):
    def __init__(self, root: str) -> None:
        self.root = root
        super().__init__(f"no cgroup hierarchy is mounted under '{root}'")


class CgroupUnsupportedError(CgroupError):
    def __init__(self, feature: str, path: str) -> None:
        self.feature = feature
        self.path = path
        super().__init__(f"{feature} is not available for '{path}'")


class CgroupWriteError(CgroupError):
    def __init__(self, path: str, value: str, errno: int, strerror: str) -> None:
        self.path = path
        self.value = value
        self.errno = errno
        self.strerror = strerror
        super().__init__(f"writing {value!r} to '{path}' failed: {strerror}")


class CgroupTimeoutError(CgroupError):
    def __init__(self, action: str, path: str, timeout: float, detail: str = "") -> None:
        self.action = action
        self.path = path
        self.timeout = timeout
        self.detail = detail
        extra = f" ({detail})" if detail else ""
        super().__init__(f"{action} of '{path}' did not finish within {timeout:g} s{extra}")
