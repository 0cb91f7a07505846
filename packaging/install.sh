#!/bin/sh
# Install scopebox on Debian 12, as root, then run a container. Idempotent: safe to run again.
# - Debian packages the product needs: the OCI runtimes, busybox-static (the local image), and
#   Python 3 with what builds systemd-python (libsystemd-dev, pkg-config, gcc, headers).
# - scopebox itself: a wheel built from this checkout, installed with its dependencies from PyPI
#   into a virtualenv of its own, /usr/lib/scopebox (Debian's /usr/bin/python3, readable by all;
#   isolated, so Supervisor's `supervisor` package cannot mix with ours), and the command
#   /usr/local/bin/scopebox any user can run.
# - Its boot units and Quadlet generators: scopebox-install-units, the same
#   command a user of the wheel runs.
# The tests' own dependencies and virtualenv: tests/install-deps.sh (sh tests/run.sh runs it).
set -eu
umask 022  # every user runs what is installed here
cd "$(dirname "$0")/.."
prefix=/usr/lib/scopebox
bin=/usr/local/bin/scopebox

. packaging/apt.sh
# systemd and dbus: the supervisor, when it runs (scopebox works without a running systemd too).
# nftables, iproute2 and util-linux (unshare): bridge networks and published ports.
# catatonit: `run --init` (statically linked, so it runs in images without a libc).
# uidmap (newuidmap/newgidmap), slirp4netns and passt (pasta): rootless mode, its namespace and network.
apt_install runc crun busybox-static systemd dbus nftables iproute2 util-linux catatonit uidmap passt slirp4netns \
    python3 python3-venv python3-dev libsystemd-dev pkg-config gcc

[ -x "$prefix/bin/python3" ] || /usr/bin/python3 -m venv "$prefix"
# -I: not this checkout (the current directory) but the environment's own packages.
pip() { "$prefix/bin/python3" -I -m pip -q --disable-pip-version-check "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sh packaging/build-wheel.sh "$work" "$prefix/bin/python3"
pip install "$work"/scopebox-*.whl  # and its dependencies, when missing
pip install --force-reinstall --no-deps "$work"/scopebox-*.whl  # the same version, rebuilt
# performance (issue 16): the methods of its dataclasses compiled once (supervisor/classcache.py)
"$prefix/bin/python3" -I -m supervisor.classcache >/dev/null
"$prefix/bin/scopebox-install-units" --launcher "$bin"

if ! "$bin" image inspect busybox >/dev/null 2>&1; then
    tar=$(mktemp --suffix=.tar)
    sh packaging/busybox-rootfs.sh "$tar"
    "$bin" import --change 'CMD ["sh"]' "$tar" busybox >/dev/null
    rm -f "$tar"
fi
"$bin" run --rm busybox echo hello from scopebox
