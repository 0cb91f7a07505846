"""issue 19 (helper "flags"): --systemd decides Podman's systemd mode from the command;
--chrootdirs get the container's /etc files."""

from __future__ import annotations

from typing import Any

import pytest

from supervisor import model
from supervisor.options import CreateOptions
from tests.unit.configs import config


def decided(image: dict[str, Any] | None = None, **opts: Any) -> model.ContainerConfig:
    return model.with_image(config(CreateOptions(image="b", **opts)), image or {})


@pytest.mark.parametrize("command", [["/sbin/init"], ["/usr/sbin/init"],
                                     ["/usr/local/sbin/init"], ["/lib/systemd/systemd"],
                                     ["/bin/sh", "-c", "/sbin/init"]])
def test_an_init_command_turns_it_on(command: list[str]) -> None:
    cfg = decided(command=command)
    assert (cfg.systemd_mode, cfg.stop_signal) == (True, model.SIGRTMIN_3)
    assert decided({"Cmd": command}).systemd_mode  # the image's command counts too


def test_other_commands_and_false_leave_it_off() -> None:
    assert not decided(command=["sleep", "1"]).systemd_mode
    assert not decided(command=["/sbin/init"], systemd="false").systemd_mode
    assert not decided(command=["/bin/sh", "-c"]).systemd_mode
    assert decided(command=["sleep", "1"]).stop_signal == 15


def test_always_keeps_an_asked_stop_signal() -> None:
    assert decided(command=["true"], systemd="always").systemd_mode
    cfg = model.with_image(config(CreateOptions(image="b", command=["true"], systemd="always",
                                                stop_signal="SIGKILL"), stop_signal=9), {})
    assert cfg.systemd_mode and cfg.stop_signal == 9  # the flag's, not SIGRTMIN+3


def test_chrootdirs_bind_hosts_and_resolv_conf() -> None:
    from supervisor.specgen import _with_chrootdirs

    etc = {"/etc/hosts": "/r/hosts", "/etc/hostname": "/r/hostname",
           "/etc/resolv.conf": "/r/resolv.conf"}
    got = _with_chrootdirs(["/srv/", "rel"], etc)
    assert got == {**etc, "/srv/etc/hosts": "/r/hosts", "/srv/etc/resolv.conf": "/r/resolv.conf",
                   "/rel/etc/hosts": "/r/hosts", "/rel/etc/resolv.conf": "/r/resolv.conf"}
    assert _with_chrootdirs(["/srv"], {"/etc/hostname": "/r/h"}) == {"/etc/hostname": "/r/h"}
