#!/bin/sh
# The whole test suite: lint and types, pure tests, real-runc tests on the bare host, the
# system tests inside a real systemd booted in isolation (tests/testbed.py), then the
# pure cgroup v2 lane in a VM (tests/vm/lane.py). As root; installs what the tests need first
# (and the product, packaging/install.sh, when it is not installed: its tests check it).
set -eu
cd "$(dirname "$0")/.."
[ -x /usr/lib/scopebox/bin/scopebox-install-units ] || sh packaging/install.sh
sh tests/install-deps.sh
export SCOPEBOX_STRICT=1
.venv/bin/ruff check .
.venv/bin/mypy
# Each tier by its marker: the bed runs every systemd-marked test wherever it lives.
.venv/bin/pytest -q --durations=25 -m "not systemd" tests
.venv/bin/python tests/testbed.py run -- .venv/bin/pytest -q -m systemd tests
# The lane caches its root file system in /var/cache/scopebox-vm (the first run builds it).
# SCOPEBOX_V2_LANE=0 leaves it out (a quick local run; CI always runs it).
if [ "${SCOPEBOX_V2_LANE:-1}" = 0 ] && [ -z "${CI:-}" ]; then
    echo "run.sh: the cgroup v2 lane did not run (SCOPEBOX_V2_LANE=0)" >&2
else
    .venv/bin/python tests/vm/lane.py run
fi
