"""What Podman 4.3.1's own system tests (bats, test/system) caught and tests/compat cannot
compare as it is: stderr lines that carry a time stamp."""

from __future__ import annotations

import re

import pytest

from tests.clihelp import Scopebox

pytestmark = pytest.mark.host

WARNING = re.compile(r'^time="[0-9T:-]+Z" level=warning msg="(.*)"$')


def test_kernel_memory_is_a_warned_noop(sb: Scopebox) -> None:
    """030-run.bats "--kernel-memory warning": Podman's words, and the container runs."""
    res = sb("run", "--rm", "--kernel-memory", "100", "busybox", "sh", "-c", "echo ran; exit 3",
             check=False)  # fmt: skip
    assert (res.returncode, res.stdout) == (3, "ran\n"), res.stderr
    m = WARNING.match(res.stderr.strip())
    assert m, res.stderr
    assert m.group(1) == "The --kernel-memory flag is no longer supported. This flag is a noop."
