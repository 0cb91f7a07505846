"""The Docker API's pure mapping (supervisor/service/compat.py): a create body as Docker
clients send it to the engine's CreateOptions, and Podman's reports to Docker's objects."""

from __future__ import annotations

import pytest

from supervisor.service import compat
from supervisor.service.http import HTTPError


def test_create_body_to_options() -> None:
    body = {
        "Image": "busybox", "Cmd": ["sleep", "100"], "Env": ["A=1"], "Labels": {"app": "web"},
        "Tty": True, "OpenStdin": True, "ExposedPorts": {"80/tcp": {}},
        "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 2_000_000_000, "Retries": 3},
        "HostConfig": {
            "Binds": ["/srv:/data:ro"], "NetworkMode": "bridge", "Memory": 64 << 20,
            "NanoCpus": 1_500_000_000, "AutoRemove": True,
            "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
            "PortBindings": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}],
                             "53/udp": [{"HostPort": ""}]},
            "Mounts": [{"Type": "volume", "Source": "v", "Target": "/v", "ReadOnly": True}],
        },
    }
    opts = compat.create_options(body, "web")
    assert (opts.image, opts.name, opts.command, opts.env) == (
        "busybox", "web", ["sleep", "100"], ["A=1"])
    assert (opts.tty, opts.interactive, opts.auto_remove) == (True, True, True)
    assert opts.network == "podman"  # Docker's default network is the engine's podman
    assert opts.restart == "on-failure:3"
    assert (opts.resources.memory, opts.resources.cpus) == (str(64 << 20), "1.5")
    assert opts.net.publish == ("127.0.0.1:8080:80/tcp", "53/udp")
    assert opts.net.expose == ("80/tcp",)
    assert opts.volumes == ["/srv:/data:ro"]
    assert opts.mounts == ["type=volume,source=v,target=/v,ro=true"]
    assert (opts.health.cmd, opts.health.interval, opts.health.retries) == ("true", "2s", 3)
    assert opts.pull == "never"  # Docker's create never pulls: the client does, on a 404


def test_create_defaults_and_string_command() -> None:
    opts = compat.create_options({"Image": "busybox", "Cmd": "echo 'a b'"}, "")
    assert (opts.name, opts.command, opts.network, opts.restart) == (
        None, ["echo", "a b"], "", "no")


def test_compose_create_body() -> None:
    """What docker-compose 1.29 sends: the project network with the service's alias, a named
    volume bind plus its target in Config.Volumes, ulimits, init."""
    body = {"Image": "busybox", "Volumes": {"/www": {}, "/cache": {}},
            "MacAddress": "02:42:ac:11:00:09",
            "HostConfig": {"NetworkMode": "proj_default", "Binds": ["proj_data:/www:rw"],
                           "Init": True, "Links": [], "VolumesFrom": [],
                           "Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 2048}],
                           "Sysctls": {"net.core.somaxconn": "1024"}, "ShmSize": 1 << 26},
            "NetworkingConfig": {"EndpointsConfig": {"proj_default": {
                "Aliases": ["web", "w2"], "IPAMConfig": {"IPv4Address": "10.9.0.5"}}}}}
    opts = compat.create_options(body, "proj_web_1")
    assert opts.network == "proj_default:alias=web,alias=w2,ip=10.9.0.5"
    assert opts.volumes == ["proj_data:/www:rw", "/cache"]  # /www: the bind's already
    assert opts.ulimits == ["nofile=1024:2048"]
    assert (opts.runflags.init, opts.runflags.sysctls, opts.runflags.shm_size) == (
        True, ["net.core.somaxconn=1024"], str(1 << 26))
    assert opts.net.mac == "02:42:ac:11:00:09"
    bridge = compat.create_options({"Image": "b", "NetworkingConfig": {"EndpointsConfig": {
        "bridge": {"Aliases": ["x"]}}}}, "")  # fmt: skip
    assert bridge.network == "podman:alias=x"
    host = compat.create_options({"Image": "b", "HostConfig": {"NetworkMode": "host"},
                                  "NetworkingConfig": {"EndpointsConfig": {"host": {}}}}, "")
    assert host.network == "host"


@pytest.mark.parametrize("body", [[], {}, {"Image": ""}, {"Image": "b", "Env": "A=1,B"},
                                  {"Image": "b", "HostConfig": {"Memory": "1g"}}])
def test_bad_create_bodies_are_400(body: object) -> None:
    with pytest.raises(HTTPError) as err:
        compat.create_options(body, "")
    assert err.value.status == 400


def test_container_item_is_dockers() -> None:
    doc = {"Id": "a" * 64, "Names": ["web"], "Image": "localhost/busybox:latest",
           "ImageID": "b" * 64, "Command": ["sleep", "1 0"], "Created": 5, "State": "running",
           "Status": "Up", "Labels": None, "Networks": ["podman"],
           "Ports": [{"host_ip": "", "container_port": 80, "host_port": 8080, "range": 2,
                      "protocol": "tcp"}]}  # fmt: skip
    item = compat.container_item(doc)
    assert item["Names"] == ["/web"] and item["ImageID"] == "sha256:" + "b" * 64
    assert item["Command"] == "sleep '1 0'" and item["Labels"] == {}
    assert item["Ports"] == [
        {"PrivatePort": 80, "Type": "tcp", "IP": "0.0.0.0", "PublicPort": 8080},
        {"PrivatePort": 81, "Type": "tcp", "IP": "0.0.0.0", "PublicPort": 8081}]
    assert item["NetworkSettings"]["Networks"] == {"bridge": {}}


def test_inspect_names_and_types_docker_clients_decode() -> None:
    data = {"Name": "web", "ImageName": "localhost/busybox:latest",
            "Config": {"StopSignal": 15, "Image": "x"},
            "HostConfig": {"NetworkMode": "bridge", "LogConfig": {"Type": "k8s-file"}},
            "State": {"Status": "running"}}  # fmt: skip
    out = compat.container_inspect(data)
    assert (out["Name"], out["Config"]["StopSignal"]) == ("/web", "SIGTERM")
    assert out["Config"]["Image"] == "localhost/busybox:latest"
    assert out["HostConfig"]["LogConfig"]["Type"] == "json-file"
    assert out["HostConfig"]["NetworkMode"] == "bridge"


def test_network_mode_names_the_user_network() -> None:
    """Docker's NetworkMode is the network's name (compose's `proj_default`); `bridge` only
    for the default network (Podman 4.3 says `bridge` for any)."""
    data = {"HostConfig": {"NetworkMode": "bridge"},
            "NetworkSettings": {"Networks": {"proj_default": {}, "podman": {}}}}
    assert compat.container_inspect(data)["HostConfig"]["NetworkMode"] == "proj_default"
    data["NetworkSettings"] = {"Networks": {"podman": {}}}
    assert compat.container_inspect(data)["HostConfig"]["NetworkMode"] == "bridge"
    item = compat.container_item({"Id": "1", "Networks": ["proj_default"]})
    assert item["HostConfig"]["NetworkMode"] == "proj_default"
    item = compat.container_item({"Id": "1", "Networks": ["podman"]})
    assert item["HostConfig"]["NetworkMode"] == "bridge"


def test_filters_both_forms() -> None:
    assert compat.filters('{"name": ["web"], "status": {"exited": true}}') == {
        "name": ["web"], "status": ["exited"]}
    assert compat.filters("") == {}
    with pytest.raises(HTTPError):
        compat.filters("{nope")


def test_path_stat_header_is_gos_file_mode() -> None:
    """The docker CLI's cp decodes X-Docker-Container-Path-Stat: Go's FileMode bits."""
    import base64
    import json

    doc = json.loads(base64.b64decode(compat.path_stat("etc", 4096, 0o40755, 1.5, "")))
    assert doc == {"name": "etc", "size": 4096, "mode": (1 << 31) | 0o755,
                   "mtime": "1970-01-01T00:00:01.500000000Z", "linkTarget": ""}
    doc = json.loads(base64.b64decode(compat.path_stat("f", 1, 0o104755, 0, "/x")))
    assert doc["mode"] == (1 << 23) | 0o755 and doc["linkTarget"] == "/x"
