"""The /etc files a container gets at create: hostname, hosts, resolv.conf; and Podman's
/run/.containerenv, written at each start.

They live in the container's dir and are bind-mounted over the image's (see spec.py).
"""

from __future__ import annotations

import os

from supervisor.errors import SystemError_

HOST_RESOLV_CONF = "/etc/resolv.conf"


def write_etc_files(cdir: str, cid: str, hostname: str | None, network: str) -> None:
    """`hostname`: --hostname (None: the short id, or the host's name with --network host);
    `network`: the container's network mode."""
    try:
        _write_all(cdir, cid, hostname, network)
    except OSError as exc:
        raise SystemError_(
            f"cannot write the container's /etc files in {cdir!r}: {exc.strerror}"
        ) from exc


def _write_all(cdir: str, cid: str, name: str | None, network: str) -> None:
    hostname = name or (os.uname().nodename if network == "host" else cid[:12])
    _write(os.path.join(cdir, "hostname"), hostname + "\n")
    _write(
        os.path.join(cdir, "hosts"),
        "127.0.0.1\tlocalhost localhost.localdomain\n"
        "::1\tlocalhost localhost.localdomain ip6-localhost ip6-loopback\n"
        f"127.0.1.1\t{hostname}\n",
    )
    _write(os.path.join(cdir, "resolv.conf"), resolv_conf(_read_host_resolv(), network))


def resolv_conf(host: str, network: str) -> str:
    """The host's file with `--network host` (same stack, same servers). With `none` there is
    only a loopback device: a host's nameserver cannot be reached, so a lookup would wait out
    its timeouts (5 s x attempts) instead of failing at once. Keep `search`/`options`, drop
    the servers (Podman 4.3 mounts no resolv.conf at all there)."""
    if network == "host":
        return host
    kept = [
        line
        for line in host.splitlines()
        if line.split()[:1] in (["search"], ["domain"], ["options"])
    ]
    head = "# scopebox: --network none has no route to a nameserver\n"
    return head + "".join(line + "\n" for line in kept)


def _read_host_resolv() -> str:
    try:
        with open(HOST_RESOLV_CONF) as f:
            return f.read()
    except OSError:
        return ""


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


# What tools read as the engine (toolbox and Podman's own tests expect "podman-"): the Podman
# level we follow, and who we are.
CONTAINERENV_ENGINE = "podman-4.3.1-scopebox"


def write_containerenv(cdir: str, facts: dict[str, str] | None) -> str:
    """Podman's /run/.containerenv: its presence says "in a container"; only a privileged
    container learns its engine, name, id, image and whether rootless (`facts`, None: an
    empty file). Returns the host path to bind."""
    path = os.path.join(cdir, "containerenv")
    body = "" if facts is None else "".join(
        f'{key}="{value}"\n' if key != "rootless" else f"{key}={value}\n"
        for key, value in {"engine": CONTAINERENV_ENGINE, **facts}.items()
    )
    try:
        _write(path, body)
    except OSError as exc:
        raise SystemError_(f"cannot write the container's {path!r}: {exc.strerror}") from exc
    return path
