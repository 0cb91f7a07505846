#!/bin/sh
# The whole test suite: lint and types, pure tests, real-runc tests on the bare host, then the
# system tests inside a real systemd booted in isolation (tests/testbed.py).
set -eu
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || sh packaging/install.sh
export SCOPEBOX_STRICT=1
.venv/bin/ruff check .
.venv/bin/mypy
# Each tier by its marker: the bed runs every systemd-marked test wherever it lives.
.venv/bin/pytest -q -m "not systemd" tests
.venv/bin/python tests/testbed.py run -- .venv/bin/pytest -q -m systemd tests
