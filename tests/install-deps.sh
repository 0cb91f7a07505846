#!/bin/sh
# What the tests need beyond the product (packaging/install.sh), as root. Idempotent, and quick
# when all is there. Debian packages: the OCI runtime-spec schema; podman and conmon, the
# reference for benchmarks and interop tests; docker-registry (the CNCF distribution registry),
# skopeo, htpasswd and openssl for the registry tests; qemu, debootstrap and cpio to build and
# boot the cgroup v2 lane's VM (tests/vm/lane.py); what the dev virtualenv builds systemd-python
# with. Then the checkout's own virtualenv .venv: an editable install with the test extras, so
# that the tests test this working tree.
set -eu
umask 022
cd "$(dirname "$0")/.."

. packaging/apt.sh
apt_install golang-github-opencontainers-specs-dev podman conmon docker-registry skopeo \
    apache2-utils openssl docker-compose qemu-system-x86 debootstrap cpio \
    uidmap passt slirp4netns util-linux iproute2 nftables runc crun busybox-static catatonit libsystemd-dev pkg-config gcc python3-venv

# The Docker API's tests (issue 18) drive the real docker CLI 20.10: only its binary, taken from
# Debian's docker.io package (no daemon is installed or run), kept in a cache of its own.
docker_cli=/var/cache/scopebox-tests/docker-cli/docker
if [ ! -x "$docker_cli" ]; then
    tmp=$(mktemp -d)
    chmod 755 "$tmp"  # apt's download user writes there
    if [ -z "$(find /run/scopebox-apt-updated -mmin -60 2>/dev/null)" ]; then
        apt-get update -q >/dev/null && touch /run/scopebox-apt-updated
    fi
    (cd "$tmp" && apt-get download -q docker.io >/dev/null 2>&1)
    dpkg -x "$tmp"/docker.io_*.deb "$tmp/x"
    mkdir -p "$(dirname "$docker_cli")"
    cp "$tmp/x/usr/bin/docker" "$docker_cli"
    rm -rf "$tmp"
fi

# The Node.js clients of the Docker API (tests/host/test_api_node_clients.py: dockerode and the
# Dev Containers CLI), from the npm registry with the machine's Node.js, into a cache of their
# own; again when their package.json changes.
node_clients=/var/cache/scopebox-tests/node-clients
if command -v npm >/dev/null &&
    ! cmp -s tests/data/node-clients/package.json "$node_clients/package.json"; then
    rm -rf "$node_clients" && mkdir -p "$node_clients"
    cp tests/data/node-clients/package.json "$node_clients/"
    # --ignore-scripts: ssh2's optional native parts are not needed for a unix socket
    (cd "$node_clients" && npm install -q --ignore-scripts --no-package-lock >/dev/null 2>&1) ||
        { rm -rf "$node_clients"; echo "install-deps: npm install of Node.js clients failed" >&2
          exit 1; }
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
# Refreshed when pyproject.toml changed (new dependencies or commands); a .venv that is a link
# to another checkout's virtualenv is that checkout's to refresh.
stamp=.venv/.scopebox-dev-install
if [ ! -L .venv ] && { [ ! -e "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; }; then
    # compat: a .pth path entry instead of an import hook, ~20 ms less at every CLI start.
    .venv/bin/pip install -q --disable-pip-version-check -e '.[test]' \
        --config-settings editable_mode=compat
    touch "$stamp"
fi
# The dev tree's bytecode and the methods of its dataclasses (supervisor/classcache.py), as
# packaging/install.sh makes them for the installed CLI: tests and benches run with
# PYTHONDONTWRITEBYTECODE here and would otherwise compile at every start.
.venv/bin/python -m compileall -q supervisor conmon cgroupfs units >/dev/null
.venv/bin/python -m supervisor.classcache >/dev/null
