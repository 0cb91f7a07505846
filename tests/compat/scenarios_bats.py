"""Scenarios found by running Podman 4.3.1's own bats system tests (test/system) against
scopebox: each is a difference those tests caught, kept here so our suite keeps it fixed."""

from __future__ import annotations

from tests.compat.scenarios import Case

BATS = [
    # 030-run: --pull=never with the image absent names it as Podman does
    Case("run --rm --pull=never localhost/nosuch-bats:v9 true"),
    Case("create --pull=never localhost/nosuch-bats:v9"),
    # 030-run: --memory=0 is "no limit"
    Case("run --rm --memory=0 busybox echo hello"),
    # 030-run: --kernel-memory is a hidden no-op (its warning: tests/host/test_bats_fixes.py)
    Case("run --rm --kernel-memory 100 busybox true", "rc out"),
    # 030-run: the "none" log driver keeps nothing; logs says so in Podman's words
    Case("logs {u}", setup=("run --name {u} --log-driver none busybox echo hi",)),
]
