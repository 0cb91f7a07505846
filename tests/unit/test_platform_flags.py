"""issue 19 (helper "flags"): --arch/--os/--variant replace the host's parts of the platform
to pull; --platform with --arch or --os is Podman's error."""

from __future__ import annotations

import pytest

from supervisor.errors import UsageError
from supervisor.registry.platform import Platform


def test_none_given_is_none() -> None:
    assert Platform.chosen(None, None, None, None) is None


def test_parts_replace_the_hosts() -> None:
    host = Platform.host()
    assert Platform.chosen(None, None, "arm64", "v8") == "linux/arm64/v8"
    assert Platform.chosen(None, "freebsd", None, None) == str(Platform("freebsd", host.arch,
                                                                        host.variant))
    assert Platform.chosen(None, None, "s390x", None) == "linux/s390x"
    assert Platform.chosen("linux/arm", None, None, "v7") == "linux/arm/v7"


def test_platform_with_arch_or_os_is_refused() -> None:
    for arch, os in (("arm64", None), (None, "linux")):
        with pytest.raises(UsageError, match="can not be specified with --arch or --os"):
            Platform.chosen("linux/arm64", os, arch, None)
