"""specgen.py: Podman's SpecGenerator (as podman 4.3's remote client sends it) as the engine's
create options."""

from __future__ import annotations

import json
from typing import Any

import pytest

from supervisor.service.http import HTTPError
from supervisor.service.specgen import create_options

# what `podman --url create --name c1 -it -p 8080:80 -p 9000-9001:9000-9001/udp -v /tmp:/mnt:ro
# -v namedv:/data -v /anon --mount type=tmpfs,destination=/tt --tmpfs /t2:size=1m --memory 64m
# --cpus 0.5 --pids-limit 50 --restart on-failure:3 --health-cmd true --health-interval 5s
# --entrypoint /bin/sh -u 1000:1000 --hostname hh --stop-signal SIGINT --network bridge
# --cap-add NET_ADMIN --cap-drop CHOWN --dns 1.1.1.1 --add-host a:1.2.3.4 --read-only --ulimit
# nofile=100:200 --sysctl net.ipv4.ip_forward=1 --shm-size 32m --init --group-add 10 busybox
# -c 'echo hi'` sent (captured from podman 4.3.1; containerCreateCommand shortened)
CAPTURED = json.loads("""{"name": "c1", "entrypoint": ["/bin/sh"], "command": ["-c", "echo hi"],
"httpproxy": true, "terminal": true, "stdin": true, "annotations": {"io.kubernetes.cri-o.TTY":
"true"}, "stop_signal": 2, "stop_timeout": 10, "log_configuration": {}, "raw_image_name":
"busybox", "restart_policy": "on-failure", "restart_tries": 3, "systemd": "true",
"sdnotifyMode": "container", "pidns": {}, "utsns": {}, "hostname": "hh", "sysctl":
{"net.ipv4.ip_forward": "1"}, "containerCreateCommand": ["podman", "create"],
"init_container_type": "", "manage_password": true, "image": "busybox", "image_volume_mode":
"anonymous", "init": true, "mounts": [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
"options": ["rw", "rprivate", "nosuid", "nodev", "tmpcopyup"]}, {"destination": "/var/tmp",
"type": "tmpfs", "source": "tmpfs", "options": ["rw", "rprivate", "nosuid", "nodev",
"tmpcopyup"]}, {"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["rw",
"rprivate", "nosuid", "nodev", "tmpcopyup"]}, {"destination": "/tt", "type": "tmpfs", "source":
"tmpfs"}, {"destination": "/mnt", "type": "bind", "source": "/tmp", "options": ["ro"]},
{"destination": "/t2", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}], "volumes":
[{"Name": "namedv", "Dest": "/data", "Options": null, "IsAnonymous": false}, {"Name": "", "Dest":
"/anon", "Options": null, "IsAnonymous": false}], "ipcns": {}, "shm_size": 33554432, "user":
"1000:1000", "groups": ["10"], "cap_add": ["NET_ADMIN"], "cap_drop": ["CHOWN"],
"seccomp_policy": "default", "userns": {}, "idmappings": {"HostUIDMapping": true,
"HostGIDMapping": true, "UIDMap": null, "GIDMap": null, "AutoUserNs": false, "AutoUserNsOpts":
{"Size": 0, "InitialSize": 0, "PasswdFile": "", "GroupFile": "", "AdditionalUIDMappings": null,
"AdditionalGIDMappings": null}}, "read_only_filesystem": true, "umask": "0022", "cgroupns": {},
"cgroups_mode": "enabled", "netns": {"nsmode": "bridge"}, "portmappings": [{"host_ip": "",
"container_port": 80, "host_port": 8080, "range": 1, "protocol": ""}, {"host_ip": "",
"container_port": 9000, "host_port": 9000, "range": 2, "protocol": "udp"}], "Networks":
{"default": {"interface_name": ""}}, "dns_server": ["1.1.1.1"], "use_image_hosts": false,
"hostadd": ["a:1.2.3.4"], "resource_limits": {"memory": {"limit": 67108864, "swap": 134217728},
"cpu": {"quota": 50000, "period": 100000}, "pids": {"limit": 50}}, "r_limits": [{"type":
"nofile", "hard": 200, "soft": 100}], "healthconfig": {"Test": ["CMD-SHELL", "true"],
"Interval": 5000000000, "Timeout": 30000000000, "Retries": 3}}""")


def test_captured_body_maps_onto_create_options() -> None:
    opts, pod = create_options(CAPTURED)
    assert pod == ""
    assert (opts.name, opts.image, opts.entrypoint, opts.command) == (
        "c1", "busybox", ["/bin/sh"], ["-c", "echo hi"])
    assert (opts.tty, opts.interactive, opts.user, opts.hostname) == (True, True, "1000:1000",
                                                                      "hh")
    assert (opts.stop_signal, opts.stop_timeout, opts.restart) == ("SIGINT", 10, "on-failure:3")
    # the read-only root's own tmpfs mounts are the engine's (read_only_tmpfs), not repeated
    assert opts.read_only and opts.tmpfs == ["/tt", "/t2:size=1m"]
    assert opts.volumes == ["/tmp:/mnt:ro", "namedv:/data", "/anon"]
    assert opts.network == "podman"
    assert opts.net.publish == ("8080:80/tcp", "9000-9001:9000-9001/udp")
    assert (opts.net.dns, opts.net.add_hosts) == (("1.1.1.1",), ("a:1.2.3.4",))
    assert (opts.resources.memory, opts.resources.memory_swap) == ("67108864", "134217728")
    assert (opts.resources.cpu_quota, opts.resources.cpu_period) == (50000, 100000)
    assert opts.resources.pids_limit == 50
    assert (opts.health.cmd, opts.health.interval, opts.health.timeout, opts.health.retries) == (
        "true", "5s", "30s", 3)
    assert (opts.cap_add, opts.cap_drop, opts.ulimits) == (["NET_ADMIN"], ["CHOWN"],
                                                           ["nofile=100:200"])
    rf = opts.runflags
    assert (rf.init, rf.sysctls, rf.shm_size, rf.group_add) == (
        True, ["net.ipv4.ip_forward=1"], "33554432", ["10"])
    assert opts.pull == "never"  # the client pulled first
    assert opts.userns.userns is None and opts.userns.uidmap == []
    # the keys podman's client always sends, as the engine's own settings
    assert (opts.systemd, opts.sdnotify, opts.http_proxy, opts.seccomp_policy) == (
        "true", "container", True, "default")
    assert (opts.image_volume, rf.umask, rf.annotations, opts.cgroups) == ("bind", "0022", [],
                                                                          "enabled")


def test_settings_podman_always_sends_are_kept() -> None:
    opts, _ = create_options({"image": "b", "umask": "0077", "systemd": "always",
                              "annotations": {"io.kubernetes.cri-o.TTY": "false", "a": "b"},
                              "image_volume_mode": "tmpfs", "init_container_type": "once",
                              "httpproxy": False, "sdnotifyMode": "conmon"})
    assert (opts.runflags.umask, opts.systemd, opts.runflags.annotations) == (
        "0077", "always", ["a=b"])
    assert (opts.image_volume, opts.init_ctr, opts.http_proxy, opts.sdnotify) == (
        "tmpfs", "once", False, "conmon")
    opts, _ = create_options({"image": "b", "timezone": "UTC", "log_configuration": {
        "driver": "k8s-file", "path": "/x.log", "size": 1000, "options": {"tag": "t"}},
        "secrets": [{"Source": "s1", "Target": "/run/s", "UID": 1, "GID": 0, "Mode": 0o400}],
        "secret_env": {"TOKEN": "s2"}})
    assert (opts.runflags.tz, opts.log_driver) == ("UTC", "k8s-file")
    assert opts.log_opts == {"tag": "t", "path": "/x.log", "max-size": "1000"}
    assert opts.secrets == ["s1,type=mount,target=/run/s,uid=1,mode=400",
                            "s2,type=env,target=TOKEN"]


@pytest.mark.parametrize(("extra", "network"), [
    ({"netns": {"nsmode": "none"}}, "none"),
    ({"netns": {"nsmode": "container", "value": "abc"}}, "container:abc"),
    ({"netns": {}}, ""),
    ({"netns": {"nsmode": "bridge"}, "Networks": {"n1": {"aliases": ["a"],
                                                         "static_ips": ["10.1.0.5"]}}},
     "n1:alias=a,ip=10.1.0.5"),
])
def test_networks(extra: dict[str, Any], network: str) -> None:
    assert create_options({"image": "busybox", **extra})[0].network == network


def test_user_namespaces() -> None:
    maps = {"UIDMap": [{"container_id": 0, "host_id": 100000, "size": 5000}],
            "GIDMap": [{"container_id": 0, "host_id": 200000, "size": 10}]}
    u = create_options({"image": "b", "userns": {"nsmode": "private"},
                        "idmappings": maps})[0].userns
    assert (u.userns, u.uidmap, u.gidmap) == (None, ["0:100000:5000"], ["0:200000:10"])
    u = create_options({"image": "b", "userns": {"nsmode": "keep-id"}})[0].userns
    assert u.userns == "keep-id"
    u = create_options({"image": "b", "userns": {"nsmode": "auto"},
                        "idmappings": {"AutoUserNs": True, "AutoUserNsOpts": {"Size": 500}}})[0]
    assert u.userns.userns == "auto:size=500"


@pytest.mark.parametrize(("body", "words"), [
    ([], "expected a JSON object"),
    ({"name": "x"}, "no image"),
    ({"image": "b", "apparmor_profile": "p", "oci_runtime": "crun"},
     "apparmor_profile, oci_runtime"),
    ({"image": "b", "secrets": [{"Target": "s"}]}, "Source is required"),
    ({"image": "b", "image_volume_mode": "weird"}, "image_volume_mode"),
    ({"image": "b", "portmappings": [{"container_port": 70000}]}, "invalid container port"),
    ({"image": "b", "mounts": [{"type": "bind", "destination": "/x"}]}, "a source is required"),
    ({"image": "b", "netns": {"nsmode": "weird"}}, "unsupported network mode"),
    ({"image": "b", "env": ["A=1"]}, "env"),
    ({"image": "b", "health_check_on_failure_action": 1}, "health_check_on_failure_action"),
])
def test_refused_never_dropped(body: Any, words: str) -> None:
    with pytest.raises(HTTPError) as err:
        create_options(body)
    assert err.value.status == 400 and words in str(err.value), err.value


@pytest.mark.parametrize(("number", "action"), [(None, "none"), (0, "none"), (2, "kill"),
                                               (3, "restart"), (4, "stop")])
def test_health_on_failure_numbers(number: int | None, action: str) -> None:
    """podman-remote's --health-on-failure: Podman's define numbers (1 is its invalid)."""
    body = {"image": "b", "healthconfig": {"Test": ["CMD-SHELL", "true"]},
            "health_check_on_failure_action": number}
    health = create_options(body)[0].health
    assert (health.cmd, health.on_failure) == ("true", action)


def test_log_times_from_podman() -> None:
    """logs' since/until as podman's client sends them (RFC 3339, Go's nanoseconds, Go's zero
    time for unset) as the Docker handler's seconds."""
    from supervisor.service.libpodops import _epoch

    assert _epoch("2026-12-07T14:00:00.123456789Z") == "1796652000.123456"
    assert _epoch("2026-12-07T15:00:00+01:00") == "1796652000.000000"
    assert _epoch("0001-01-01T00:00:00Z") == _epoch("") == ""
    assert _epoch("1796653526") == "1796653526"
    with pytest.raises(HTTPError):
        _epoch("yesterday")


# what `podman --url pod create --network host --infra-name xin --dns-search a.b --shm-size 1m
# --sysctl net.ipv4.ip_forward=1 --label q=1 --name pdbg` sent (captured from podman 4.3.1)
POD_CAPTURED = json.loads("""{"name":"pdbg","exit_policy":"continue","labels":{"q":"1"},
"infra_name":"xin","shared_namespaces":["ipc","net","uts"],"share_parent":true,
"pod_create_command":["podman","pod","create"],"pidns":{"nsmode":"private"},"userns":{},
"utsns":{},"sysctl":{"net.ipv4.ip_forward":"1"},"netns":{"nsmode":"host"},"Networks":{},
"dns_search":["a.b"],"resource_limits":{"cpu":{}},"shm_size":1048576,"idmappings":
{"HostUIDMapping":true,"HostGIDMapping":true,"UIDMap":null,"GIDMap":null,"AutoUserNs":false,
"AutoUserNsOpts":{"Size":0,"InitialSize":0,"PasswdFile":"","GroupFile":"",
"AdditionalUIDMappings":null,"AdditionalGIDMappings":null}}}""")


def test_pod_spec_maps_onto_the_pod_request() -> None:
    from supervisor.service.specgen import pod_request

    req = pod_request(POD_CAPTURED)
    assert (req.name, req.network, req.infra_name, req.labels) == ("pdbg", "host", "xin",
                                                                   {"q": "1"})  # fmt: skip
    assert (req.dns_search, req.shm_size, req.sysctls) == (("a.b",), "1048576",
                                                           ("net.ipv4.ip_forward=1",))
    assert (req.share, req.pid, req.uts, req.userns) == ("ipc,net,uts", "", "", "")
    limited = pod_request({"resource_limits": {"cpu": {"quota": 50000, "period": 100000},
                                               "memory": {"limit": 1 << 26}}})  # fmt: skip
    assert (limited.cpus, limited.memory) == (0.5, 1 << 26)
    nets = pod_request({"Networks": {"n1": {"aliases": ["a1"]}}})
    assert nets.network == "n1:alias=a1"


def test_pod_spec_refuses_what_it_does_not_map() -> None:
    from supervisor.service.specgen import pod_request

    with pytest.raises(HTTPError, match="throttleReadBpsDevice"):
        pod_request({"name": "p", "throttleReadBpsDevice": {"/dev/sda": {"rate": 1}}})
    with pytest.raises(HTTPError, match="mounts"):
        pod_request({"mounts": [{"destination": "/t", "type": "tmpfs"}]})


def test_update_body_maps_onto_resource_options() -> None:
    """podman-remote `update --cpus 1 --memory 100m --blkio-weight 300` sends this body
    (captured from podman 4.3.1); what `update` cannot change is a 400 naming it."""
    from supervisor.service.libpodsys import update_options

    body = {"memory": {"limit": 104857600, "swap": 209715200},
            "cpu": {"quota": 100000, "period": 100000}, "blockIO": {"weight": 300}}
    opts = update_options(body)
    assert (opts.memory, opts.memory_swap, opts.cpu_quota, opts.cpu_period,
            opts.blkio_weight) == ("104857600", "209715200", 100000, 100000, 300)
    assert opts.pids_limit is None and opts.cpus is None
    with pytest.raises(HTTPError) as err:
        update_options({"cpu": {"quota": 1}, "devices": [{"allow": False}], "unified": {"a": "b"}})
    assert err.value.status == 400 and "devices, unified" in err.value.message
    for bad, key in (({"quota": "x"}, "quota"), ({"cpus": 7}, "cpus")):
        with pytest.raises(HTTPError) as err:
            update_options({"cpu": bad})
        assert err.value.status == 500 and key in err.value.message  # Podman's decode error
    assert update_options({"cpu": {"cpus": "0", "mems": ""}}).cpuset_cpus == "0"
    with pytest.raises(HTTPError) as err:
        update_options({"blockIO": {"throttleReadBpsDevice": [{"major": 9999, "minor": 9,
                                                                "rate": 1}]}})
    assert err.value.status == 400 and "9999:9" in err.value.message


def test_image_volumes_device_rules_timeout_conmon_pidfile() -> None:
    """What podman 4.3's client sends for --mount type=image, --device-cgroup-rule 'b 7:* rmw'
    (no minor: any), --timeout and --conmon-pidfile, as the CLI's values."""
    opts, _ = create_options({
        "image": "b", "timeout": 10, "conmon_pid_file": "/run/c.pid",
        "image_volumes": [{"Destination": "/im", "Source": "alpine", "ReadWrite": True}],
        "device_cgroup_rule": [{"allow": True, "type": "b", "major": 7, "access": "rmw"},
                               {"allow": True, "type": "c", "major": 1, "minor": 3,
                                "access": "r"}]})  # fmt: skip
    assert opts.mounts == ["type=image,source=alpine,destination=/im,rw=true"]
    assert opts.device_cgroup_rules == ["b 7:* rmw", "c 1:3 r"]
    assert (opts.runflags.timeout, opts.runflags.conmon_pidfile) == (10, "/run/c.pid")
    with pytest.raises(HTTPError, match="Source and Destination"):
        create_options({"image": "b", "image_volumes": [{"Destination": "/im"}]})
    with pytest.raises(HTTPError, match="timeout"):
        create_options({"image": "b", "timeout": "10"})


def test_slirp4netns_network_options() -> None:
    """--network slirp4netns:cidr=... as podman 4.3's client sends it (the options apart, in
    network_options by mode); options for a mode not asked stay refused."""
    opts, _ = create_options({"image": "b", "netns": {"nsmode": "slirp4netns"},
                              "network_options": {"slirp4netns": ["cidr=10.5.0.0/24",
                                                                  "mtu=1500"]}})  # fmt: skip
    assert opts.network == "slirp4netns:cidr=10.5.0.0/24,mtu=1500"
    with pytest.raises(HTTPError, match="network_options"):
        create_options({"image": "b", "netns": {"nsmode": "bridge"},
                        "network_options": {"slirp4netns": ["cidr=10.5.0.0/24"]}})


def test_userns_no_map() -> None:
    """Podman's client sends --userns=nomap as the mode "no-map"."""
    opts, _ = create_options({"image": "b", "userns": {"nsmode": "no-map"}})
    assert opts.userns.userns == "nomap"
