"""`scopebox-install-units`: put in place, as root, what scopebox ships for systemd, from the
installed package itself (supervisor/data/), so that a wheel installed anywhere has one command
for it; packaging/install.sh runs the same command.

- /etc/systemd/system/scopebox-restart.service, enabled for default.target when first installed:
  at boot it starts the containers whose restart policy is `always` or `unless-stopped`;
- the Quadlet generators, system and user (/usr/lib/systemd/*-generators/);
- /etc/systemd/system/scopebox-kube@.service (not enabled): plays the Kubernetes YAML file its
  instance names (`systemd-escape PATH`), `kube down` when stopped;
- /etc/systemd/system/scopebox.socket, enabled for sockets.target when first installed, and
  scopebox.service: the Docker-compatible API (`system service`), started by a connection to
  /run/scopebox/scopebox.sock and gone again when idle;
- /etc/systemd/user/scopebox.socket and scopebox.service, not enabled: the same for a rootless
  user's own systemd (`systemctl --user enable --now scopebox.socket`), on
  $XDG_RUNTIME_DIR/scopebox/scopebox.sock, the user's alone (0600, directory 0700);
- /etc/systemd/system/scopebox-network-reload.service, enabled when first installed (for
  multi-user.target, nftables.service and firewalld.service): rebuilds the networks' nftables
  table and bridges from the store at boot and after a restart or reload of the firewall;
- with --docker-socket, /etc/tmpfiles.d/scopebox-docker.conf: the link /run/docker.sock ->
  /run/scopebox/scopebox.sock, made now and at every boot, for tools that only know Docker's
  path (opt-in, as Podman's podman-docker package; --no-docker-socket takes it away again);
- with --journald-unlimited, /etc/systemd/journald.conf.d/50-scopebox.conf: no journald rate
  limit for any unit of the host (opt-in, --no-journald-unlimited takes it away again). Not
  needed for containers: the engine lifts the limit for each container's own unit
  (supervisor.journal_limit);
- with --launcher PATH, the `scopebox` command at PATH (see LAUNCHER).

Idempotent. With --destdir DIR it writes below DIR and leaves the running systemd alone (for
packagers and tests). Standard library and `units` only."""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence

from units.unitfile import UnitSyntaxError, quote_word

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
PACKAGE_ROOT = os.path.dirname(HERE)  # the directory holding `supervisor` (site-packages)
RESTART_UNIT = "scopebox-restart.service"
UNIT_FILE = f"etc/systemd/system/{RESTART_UNIT}"
WANTS_LINK = f"etc/systemd/system/default.target.wants/{RESTART_UNIT}"
JOURNALD_DROPIN = "etc/systemd/journald.conf.d/50-scopebox.conf"
# kube (issue 15): the template that plays a Kubernetes YAML file (not enabled)
KUBE_UNIT = "scopebox-kube@.service"
KUBE_FILE = f"etc/systemd/system/{KUBE_UNIT}"
# the Docker API (issue 18): socket activation of `system service`
API_SOCKET = "scopebox.socket"
API_SOCKET_FILE = f"etc/systemd/system/{API_SOCKET}"
API_SOCKET_LINK = f"etc/systemd/system/sockets.target.wants/{API_SOCKET}"
API_SERVICE = "scopebox.service"
API_SERVICE_FILE = f"etc/systemd/system/{API_SERVICE}"
# ... and a rootless user's, for `systemctl --user` (shipped, not enabled: Podman's way)
USER_API_SOCKET_FILE = f"etc/systemd/user/{API_SOCKET}"
USER_API_SERVICE_FILE = f"etc/systemd/user/{API_SERVICE}"
# networks (issue 13): `network reload` at boot and after the firewall's own (re)load
NET_RELOAD_UNIT = "scopebox-network-reload.service"
NET_RELOAD_FILE = f"etc/systemd/system/{NET_RELOAD_UNIT}"
NET_RELOAD_LINKS = tuple(f"etc/systemd/system/{target}.wants/{NET_RELOAD_UNIT}"
                         for target in ("multi-user.target", "nftables.service",
                                        "firewalld.service"))
# the opt-in Docker path (issue 18): a tmpfiles.d link, so that it comes back at every boot
DOCKER_SOCKET = "/run/docker.sock"
DOCKER_TMPFILES = "etc/tmpfiles.d/scopebox-docker.conf"
DOCKER_TMPFILES_LINE = f"L+ {DOCKER_SOCKET} - - - - /run/scopebox/scopebox.sock\n"
GENERATORS = (
    "usr/lib/systemd/system-generators/scopebox-quadlet-generator",
    "usr/lib/systemd/user-generators/scopebox-quadlet-user-generator",
)
SYSTEM_PYTHON = "/usr/bin/python3"
# pip's console script imports `re` and runs site (every .pth file, Debian's sitecustomize):
# ~1.5 ms of each start, measured here. Isolated (-I) and without site (-S), nothing from the
# caller's environment changes or slows the command, and only this environment is on sys.path.
LAUNCHER = """#!{python} -IS
# scopebox's command, written by scopebox-install-units.
import sys
sys.path.append({root!r})
from supervisor.launcher import main
main()
"""


class InstallError(Exception):
    pass


def generator_python() -> str:
    """The generator runs at boot and on every daemon-reload, standard library only: the
    system's Python when it is the same minor version as ours (Debian's static build starts
    fastest, and any user's generator can run it), else ours."""
    ours = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if os.path.basename(os.path.realpath(SYSTEM_PYTHON)) == ours:
        return SYSTEM_PYTHON
    return sys.executable


def render(name: str, values: dict[str, str]) -> str:
    with open(os.path.join(DATA, name), encoding="utf-8") as f:
        text = f.read()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


def render_generator(scopebox: str, python: str = "", root: str = PACKAGE_ROOT) -> str:
    """The generator script: `python -I -S` with `root` (holding `supervisor`) on sys.path."""
    values = {"PYTHON": python or generator_python(), "PACKAGE_ROOT": root, "SCOPEBOX": scopebox}
    return render("scopebox-quadlet-generator.in", {k: shlex.quote(v) for k, v in values.items()})


def render_restart_unit(scopebox: str) -> str:
    return render(f"{RESTART_UNIT}.in", {"SCOPEBOX": quote_word(scopebox)})


def render_kube_unit(scopebox: str) -> str:  # kube (issue 15)
    return render(f"{KUBE_UNIT}.in", {"SCOPEBOX": quote_word(scopebox)})


def render_api_service(scopebox: str) -> str:  # the Docker API (issue 18)
    return render(f"{API_SERVICE}.in", {"SCOPEBOX": quote_word(scopebox)})


def render_user_api_service(scopebox: str) -> str:  # the Docker API, rootless (issue 18)
    return render("scopebox-user.service.in", {"SCOPEBOX": quote_word(scopebox)})


def render_network_reload_unit(scopebox: str) -> str:  # networks (issue 13)
    return render(f"{NET_RELOAD_UNIT}.in", {"SCOPEBOX": quote_word(scopebox)})


def render_launcher(python: str = "", root: str = PACKAGE_ROOT) -> str:
    python = python or sys.executable
    if not os.path.isabs(python) or any(c.isspace() for c in python):
        raise InstallError(f"cannot start a script with {python!r}: needs a path without spaces")
    return LAUNCHER.format(python=python, root=root)


def write(path: str, text: str, mode: int) -> None:
    """Replace `path` whole (a reader never sees half a file), readable by every user."""
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def link(path: str, target: str) -> None:
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    tmp = f"{path}.tmp"
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, path)


def install(destdir: str, scopebox: str, launcher: str | None,
            docker_socket: bool | None = None,
            journald_unlimited: bool | None = None) -> None:  # fmt: skip
    def under(path: str) -> str:
        return os.path.join(destdir, path.lstrip("/"))

    if docker_socket is not None:
        docker_link(under, docker_socket)

    if launcher is not None:
        write(under(launcher), render_launcher(), 0o755)
    if journald_unlimited:  # None: as it is (an older install's file stays until --no-...)
        write(under(JOURNALD_DROPIN), render("journald-50-scopebox.conf", {}), 0o644)
    elif journald_unlimited is not None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(under(JOURNALD_DROPIN))
    first = not os.path.exists(under(UNIT_FILE))
    write(under(UNIT_FILE), render_restart_unit(scopebox), 0o644)
    if first:  # enabled once; an administrator's `systemctl disable` holds across updates
        link(under(WANTS_LINK), f"/{UNIT_FILE}")  # what `systemctl enable` makes of WantedBy=
    for generator in GENERATORS:
        write(under(generator), render_generator(scopebox), 0o755)
    write(under(KUBE_FILE), render_kube_unit(scopebox), 0o644)  # kube (issue 15)
    # the Docker API (issue 18): the socket enabled once, as the boot unit
    first_api = not os.path.exists(under(API_SOCKET_FILE))
    write(under(API_SERVICE_FILE), render_api_service(scopebox), 0o644)
    write(under(API_SOCKET_FILE), render(API_SOCKET, {}), 0o644)
    if first_api:
        link(under(API_SOCKET_LINK), f"/{API_SOCKET_FILE}")
    write(under(USER_API_SERVICE_FILE), render_user_api_service(scopebox), 0o644)
    write(under(USER_API_SOCKET_FILE), render("scopebox-user.socket", {}), 0o644)
    first_net = not os.path.exists(under(NET_RELOAD_FILE))  # networks (issue 13)
    write(under(NET_RELOAD_FILE), render_network_reload_unit(scopebox), 0o644)
    if first_net:  # what `systemctl enable` makes of its WantedBy=
        for wants in NET_RELOAD_LINKS:
            link(under(wants), f"/{NET_RELOAD_FILE}")


def docker_link(under: Callable[[str], str], wanted: bool) -> None:
    """/run/docker.sock as a link to the API's socket (or not): the tmpfiles.d entry that
    makes it at boot, and the link itself now (one of scopebox's own only is taken away)."""
    link_path = under(DOCKER_SOCKET)
    ours = os.path.islink(link_path) and os.readlink(link_path).endswith("/scopebox.sock")
    if wanted:
        if os.path.lexists(link_path) and not ours:
            raise InstallError(f"{DOCKER_SOCKET} exists and is not scopebox's: not replaced")
        write(under(DOCKER_TMPFILES), "# scopebox-install-units --docker-socket: Docker's "
              "path for the Docker API's socket\n" + DOCKER_TMPFILES_LINE, 0o644)  # fmt: skip
        link(link_path, "/run/scopebox/scopebox.sock")
        return
    with contextlib.suppress(FileNotFoundError):
        os.unlink(under(DOCKER_TMPFILES))
    if ours:
        os.unlink(link_path)


def reload_systemd() -> None:
    """A running systemd learns of the unit, reruns the generators, rereads journald.conf.d."""
    if not os.path.isdir("/run/systemd/system"):
        return
    for argv in (["systemctl", "daemon-reload"], ["systemctl", "restart", "systemd-journald"]):
        res = subprocess.run(argv, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            print(f"Warning: {' '.join(argv)}: {res.stderr.strip()}", file=sys.stderr)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="scopebox-install-units",
        allow_abbrev=False,
        description="Install scopebox's boot units and Quadlet generators.",
    )
    p.add_argument("--scopebox", metavar="PATH", help="the command the units run (default: "
                   "--launcher, else the scopebox beside this Python)")  # fmt: skip
    p.add_argument("--launcher", metavar="PATH", help="also write the scopebox command here")
    p.add_argument("--destdir", metavar="DIR", default="/", help="install below DIR")
    docker = p.add_mutually_exclusive_group()
    docker.add_argument("--docker-socket", action="store_true", default=None,
                        help=f"also serve the Docker API at {DOCKER_SOCKET} (a link, made at "
                        "every boot)")  # fmt: skip
    docker.add_argument("--no-docker-socket", dest="docker_socket", action="store_false",
                        help=f"take the {DOCKER_SOCKET} link away again")
    journald = p.add_mutually_exclusive_group()
    journald.add_argument("--journald-unlimited", action="store_true", default=None,
                          help="lift journald's rate limit for every unit of the host (a "
                          "journald.conf.d drop-in; containers need no such thing)")  # fmt: skip
    journald.add_argument("--no-journald-unlimited", dest="journald_unlimited",
                          action="store_false", help="take that drop-in away again")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    beside = os.path.join(os.path.dirname(sys.executable), "scopebox")
    scopebox = args.scopebox or args.launcher or beside
    try:
        if not os.path.isabs(scopebox):
            raise InstallError(f"--scopebox {scopebox!r}: needs an absolute path")
        install(args.destdir, scopebox, args.launcher, args.docker_socket,
                args.journald_unlimited)
    except (OSError, InstallError, UnitSyntaxError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 125
    if os.path.realpath(args.destdir) == "/":
        reload_systemd()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
