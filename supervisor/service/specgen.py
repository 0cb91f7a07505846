"""Pure: Podman's SpecGenerator (the body of `POST /libpod/containers/create`, what
`podman --url run/create` and podman-py send) as the engine's `CreateOptions`.

Every key is either mapped, or known to carry only Podman's defaults (what its client always
sends), or refused with a 400 naming it: a setting is never dropped silently.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from supervisor.service.compat import DEFAULT_NETWORK, _dict, _int, _strings
from supervisor.service.http import HTTPError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from supervisor.options import CreateOptions

# keys podman's client sends whatever the command line, and the values that mean "as usual"
# (None: any value; the engine does what they ask anyway, or they only describe the client)
DEFAULTS: dict[str, Any] = {
    "raw_image_name": None, "containerCreateCommand": None, "manage_password": True,
    "idmappings": None, "use_image_hosts": False, "volatile": None,
    "log_configuration": None, "stop_timeout": None, "pidns": None, "utsns": None,
    "ipcns": None, "cgroupns": None, "userns": None, "netns": None, "Networks": None,
    "oci_runtime": "",
}  # fmt: skip
IMAGE_VOLUMES = {"anonymous": "bind", "bind": "bind", "tmpfs": "tmpfs", "ignore": "ignore"}
# the tmpfs mounts podman's client adds to a read-only root (the engine's read_only_tmpfs)
READ_ONLY_TMPFS = ("/tmp", "/var/tmp", "/run")
MAPPED = {
    "name", "image", "command", "entrypoint", "env", "work_dir", "create_working_dir", "user",
    "labels",
    "hostname", "terminal", "stdin", "remove", "pod", "stop_signal", "restart_policy",
    "restart_tries", "portmappings", "mounts", "volumes", "resource_limits", "healthconfig",
    "cap_add", "cap_drop", "privileged", "read_only_filesystem", "dns_server", "dns_search",
    "dns_option", "hostadd", "sysctl", "shm_size", "groups", "init", "r_limits",
    "oom_score_adj", "expose", "publish_image_ports", "devices", "cgroup_parent",
    "selinux_opts", "no_new_privileges", "env_host", "seccomp_profile_path", "umask",
    "systemd", "sdnotifyMode", "httpproxy", "seccomp_policy", "image_volume_mode",
    "init_container_type", "annotations", "cgroups_mode", "log_configuration", "timezone",
    "secrets", "secret_env", "health_check_on_failure_action", "image_volumes",
    "device_cgroup_rule", "timeout", "conmon_pid_file",
}  # fmt: skip
# Podman's define.HealthCheckOnFailureAction numbers (1 is its "invalid")
ON_FAILURE = {0: "none", 2: "kill", 3: "restart", 4: "stop"}


def _ns(spec: dict[str, Any], key: str) -> tuple[str, str]:
    ns = _dict(spec.get(key), key)
    return str(ns.get("nsmode") or ""), str(ns.get("value") or "")


def _ns_flag(spec: dict[str, Any], key: str) -> str | None:
    """pidns/utsns/ipcns/cgroupns as the CLI's --pid/--uts/--ipc/--cgroupns value."""
    mode, value = _ns(spec, key)
    if mode in ("", "default"):
        return None
    if mode == "path":
        return f"ns:{value}"
    if mode == "container":
        return f"container:{value}"
    return mode


def _network(spec: dict[str, Any]) -> str:
    """netns + Networks as the engine's --network (`NAME:alias=A,ip=I,...` per network)."""
    mode, value = _ns(spec, "netns")
    if mode in ("none", "host"):
        return mode
    if mode == "path":
        return f"ns:{value}"
    if mode == "container":
        return f"container:{value}"
    if mode in ("slirp4netns", "pasta"):  # their options (cidr=, port_handler=, ...)
        given = _dict(spec.get("network_options"), "network_options")
        extra = [str(o) for o in _strings(given.get(mode), "network_options")]
        value = ",".join(([value] if value else []) + extra)
        return f"{mode}:{value}" if value else mode
    if mode not in ("", "default", "bridge", "private"):
        raise HTTPError(400, f"unsupported network mode {mode!r}")
    parts = []
    for name, ep in _dict(spec.get("Networks"), "Networks").items():
        ep = _dict(ep, "Networks")
        opts = [f"alias={a}" for a in _strings(ep.get("aliases"), "aliases")]
        opts += [f"ip={ip}" for ip in _strings(ep.get("static_ips"), "static_ips")]
        if ep.get("static_mac"):
            opts.append(f"mac={ep['static_mac']}")
        if ep.get("interface_name"):
            opts.append(f"interface_name={ep['interface_name']}")
        net = DEFAULT_NETWORK if name == "default" else str(name)
        parts.append(f"{net}:{','.join(opts)}" if opts else net)
    if parts:
        return ",".join(parts)
    return DEFAULT_NETWORK if mode in ("bridge", "private") else ""


def _publish(spec: dict[str, Any]) -> list[str]:
    out = []
    for p in spec.get("portmappings") or []:
        p = _dict(p, "portmappings")
        cport, hport = _int(p.get("container_port"), "container_port"), _int(
            p.get("host_port"), "host_port")
        count = _int(p.get("range"), "range") or 1
        if not 0 < cport < 65536:
            raise HTTPError(400, f"invalid container port {cport}")
        for proto in str(p.get("protocol") or "tcp").split(","):
            inner = f"{cport}-{cport + count - 1}" if count > 1 else str(cport)
            outer = "" if not hport else (f"{hport}-{hport + count - 1}" if count > 1
                                          else str(hport))  # fmt: skip
            ip = str(p.get("host_ip") or "")
            text = f"{inner}/{proto}"
            out.append(f"{ip}:{outer}:{text}" if ip else f"{outer}:{text}" if outer else text)
    return out


def _mounts(spec: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """mounts (bind, tmpfs, volume) and volumes (named, or anonymous with no name) as -v,
    --tmpfs and --mount values."""
    binds: list[str] = []
    tmpfs: list[str] = []
    mounts: list[str] = []
    read_only = bool(spec.get("read_only_filesystem"))
    for m in spec.get("mounts") or []:
        m = _dict(m, "mounts")
        dest, kind = m.get("destination"), m.get("type") or "bind"
        if not isinstance(dest, str) or not dest:
            raise HTTPError(400, "invalid mount: a destination is required")
        options = _strings(m.get("options"), "mounts.options")
        if kind == "tmpfs":
            if read_only and dest in READ_ONLY_TMPFS and "tmpcopyup" in options:
                continue  # the engine's own read-only tmpfs
            tmpfs.append(f"{dest}:{','.join(options)}" if options else dest)
        elif kind == "bind":
            src = m.get("source")
            if not isinstance(src, str) or not src:
                raise HTTPError(400, f"invalid bind mount of {dest}: a source is required")
            binds.append(f"{src}:{dest}:{','.join(options)}" if options else f"{src}:{dest}")
        else:
            parts = [f"type={kind}", f"destination={dest}"]
            if m.get("source"):
                parts.append(f"source={m['source']}")
            parts += options
            mounts.append(",".join(parts))
    for iv in spec.get("image_volumes") or []:  # --mount type=image (Go's field names)
        iv = _dict(iv, "image_volumes")
        dest, src = iv.get("Destination"), iv.get("Source")
        if not isinstance(dest, str) or not dest or not isinstance(src, str) or not src:
            raise HTTPError(400, "invalid image volume: Source and Destination are required")
        rw = ",rw=true" if iv.get("ReadWrite") else ""
        mounts.append(f"type=image,source={src},destination={dest}{rw}")
    for v in spec.get("volumes") or []:
        v = _dict(v, "volumes")
        dest = v.get("Dest")
        if not isinstance(dest, str) or not dest:
            raise HTTPError(400, "invalid volume: Dest is required")
        options = _strings(v.get("Options"), "volumes.Options")
        text = f"{v['Name']}:{dest}" if v.get("Name") else dest
        binds.append(f"{text}:{','.join(options)}" if options else text)
    return binds, tmpfs, mounts


def _device_rules(value: Any) -> list[str]:
    """device_cgroup_rule (OCI LinuxDeviceCgroup objects; a missing major or minor is any)
    as the CLI's --device-cgroup-rule values, `TYPE MAJOR:MINOR ACCESS`."""
    rules = []
    for rule in value or []:
        rule = _dict(rule, "device_cgroup_rule")
        if rule.get("allow") is False:
            raise HTTPError(400, "device_cgroup_rule: only allow rules can be given")
        major, minor = rule.get("major"), rule.get("minor")
        nums = [("*" if n is None else str(_int(n, "device_cgroup_rule"))) for n in (major, minor)]
        rules.append(f"{rule.get('type') or 'a'} {nums[0]}:{nums[1]} {rule.get('access') or 'rwm'}")
    return rules


def _health(value: Any, on_failure: Any) -> Any:
    """healthconfig (Docker's Healthcheck shape) and health_check_on_failure_action."""
    from supervisor.service.compat import health_flags  # the same shape

    action = ON_FAILURE.get(_int(on_failure, "health_check_on_failure_action"))
    if action is None:
        raise HTTPError(400, f"invalid health_check_on_failure_action {on_failure!r}")
    return replace(health_flags(value, "healthconfig"), on_failure=action)


def _resources(spec: dict[str, Any]) -> Any:
    from supervisor.resources import ResourceOptions

    limits = _dict(spec.get("resource_limits"), "resource_limits")
    memory = _dict(limits.get("memory"), "resource_limits.memory")
    cpu = _dict(limits.get("cpu"), "resource_limits.cpu")
    pids = _dict(limits.get("pids"), "resource_limits.pids")

    def positive(doc: dict[str, Any], key: str) -> int | None:
        n = _int(doc.get(key), key)
        return n if n > 0 else None

    mem, swap = positive(memory, "limit"), _int(memory.get("swap"), "swap")
    return ResourceOptions(
        memory=str(mem) if mem else None,
        memory_swap=(str(swap) if swap > 0 else "-1" if swap == -1 else None) if mem else None,
        memory_reservation=str(positive(memory, "reservation") or "") or None,
        cpu_shares=positive(cpu, "shares"), cpu_quota=positive(cpu, "quota"),
        cpu_period=positive(cpu, "period"), cpuset_cpus=cpu.get("cpus") or None,
        cpuset_mems=cpu.get("mems") or None, pids_limit=positive(pids, "limit"),
    )  # fmt: skip


def _secrets(spec: dict[str, Any]) -> list[str]:
    """secrets ([{Source, Target, UID, GID, Mode}]) and secret_env ({VAR: secret}) as the
    CLI's --secret values."""
    out = []
    for sec in spec.get("secrets") or []:
        sec = _dict(sec, "secrets")
        if not sec.get("Source"):
            raise HTTPError(400, "invalid secret: Source is required")
        parts = [str(sec["Source"]), "type=mount"]
        if sec.get("Target"):
            parts.append(f"target={sec['Target']}")
        for key in ("UID", "GID"):
            if _int(sec.get(key), key):
                parts.append(f"{key.lower()}={sec[key]}")
        if _int(sec.get("Mode"), "Mode"):
            parts.append(f"mode={sec['Mode']:o}")
        out.append(",".join(parts))
    for var, name in _dict(spec.get("secret_env"), "secret_env").items():
        out.append(f"{name},type=env,target={var}")
    return out


def _signal(value: Any) -> str | None:
    """stop_signal: a number (podman's client) or a name."""
    if value in (None, 0, ""):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        import signal

        try:
            return signal.Signals(value).name
        except ValueError:
            raise HTTPError(400, f"invalid stop_signal {value}") from None
    return str(value)


def _unknown(spec: dict[str, Any]) -> list[str]:
    """The keys set to something this face does not map."""
    bad = []
    mode = _ns(spec, "netns")[0]
    for key, value in spec.items():
        if key in MAPPED or value in (None, "", [], {}, False, 0):
            continue
        if key == "network_options" and isinstance(value, dict) and set(value) <= {mode} \
                and mode in ("slirp4netns", "pasta"):  # fmt: skip
            continue  # _network's
        if key in DEFAULTS and DEFAULTS[key] in (None, value):
            continue
        bad.append(key)
    ids = _dict(spec.get("idmappings"), "idmappings")
    auto = _dict(ids.get("AutoUserNsOpts"), "AutoUserNsOpts")
    if any(auto.get(k) for k in ("PasswdFile", "GroupFile", "AdditionalUIDMappings",
                                 "AdditionalGIDMappings")):  # fmt: skip
        bad.append("idmappings")
    return bad


def _userns(spec: dict[str, Any]) -> Any:
    """userns + idmappings as --userns, --uidmap, --gidmap."""
    from supervisor.options import UsernsOptions

    mode, value = _ns(spec, "userns")
    ids = _dict(spec.get("idmappings"), "idmappings")

    def maps(key: str) -> list[str]:
        out = []
        for m in ids.get(key) or []:
            m = _dict(m, key)
            out.append(f"{_int(m.get('container_id'), key)}:{_int(m.get('host_id'), key)}:"
                       f"{_int(m.get('size'), key)}")
        return out

    uidmap, gidmap = maps("UIDMap"), maps("GIDMap")
    if mode in ("", "default", "host") or (mode == "private" and (uidmap or gidmap)):
        return UsernsOptions(userns=None if not mode or mode == "default" or uidmap or gidmap
                             else "host", uidmap=uidmap, gidmap=gidmap)  # fmt: skip
    if mode == "path":
        return UsernsOptions(userns=f"ns:{value}")
    if mode == "auto":
        auto = _dict(ids.get("AutoUserNsOpts"), "AutoUserNsOpts")
        size = _int(auto.get("Size"), "Size")
        return UsernsOptions(userns=f"auto:size={size}" if size else "auto")
    if mode == "no-map":  # Podman's NoMap, the CLI's --userns=nomap
        mode = "nomap"
    if mode in ("keep-id", "nomap", "private"):
        return UsernsOptions(userns=f"{mode}:{value}" if value else mode)
    raise HTTPError(400, f"unsupported user namespace mode {mode!r}")


def create_options(spec: Any) -> tuple[CreateOptions, str]:
    """The options and the pod (`""`: none) of a SpecGenerator; a 400 for what is not
    understood."""
    from supervisor.network.request import NetFlags
    from supervisor.options import CreateOptions, RunFlagOptions

    if not isinstance(spec, dict):
        raise HTTPError(400, "decode(): invalid create request: expected a JSON object")
    image = spec.get("image")
    if not isinstance(image, str) or not image:
        raise HTTPError(400, "no image or rootfs specified: invalid argument")
    bad = _unknown(spec)
    if bad:
        raise HTTPError(400, "scopebox does not support these container settings (yet): "
                        + ", ".join(sorted(set(bad))))  # fmt: skip
    env = _dict(spec.get("env"), "env")
    entry = spec.get("entrypoint")
    binds, tmpfs, mounts = _mounts(spec)
    restart = str(spec.get("restart_policy") or "no")
    tries = _int(spec.get("restart_tries"), "restart_tries")
    if restart == "on-failure" and tries:
        restart = f"on-failure:{tries}"
    shm = _int(spec.get("shm_size"), "shm_size")
    oom = spec.get("oom_score_adj")
    log = _dict(spec.get("log_configuration"), "log_configuration")
    expose = _dict(spec.get("expose"), "expose")
    selinux = _strings(spec.get("selinux_opts"), "selinux_opts")
    security = [f"label={o}" for o in selinux]
    if spec.get("no_new_privileges"):
        security.append("no-new-privileges")
    if spec.get("seccomp_profile_path"):
        security.append(f"seccomp={spec['seccomp_profile_path']}")
    opts = CreateOptions(
        image=image,
        command=_strings(spec.get("command"), "command"),
        name=str(spec.get("name") or "") or None,
        entrypoint=None if entry is None else _strings(entry, "entrypoint"),
        env=[f"{k}={v}" for k, v in env.items()],
        workdir=spec.get("work_dir") or None,
        create_workdir=bool(spec.get("create_working_dir")),
        user=spec.get("user") or None,
        hostname=spec.get("hostname") or None,
        labels={str(k): str(v) for k, v in _dict(spec.get("labels"), "labels").items()},
        interactive=bool(spec.get("stdin")),
        tty=bool(spec.get("terminal")),
        stop_signal=_signal(spec.get("stop_signal")),
        stop_timeout=spec.get("stop_timeout") if isinstance(spec.get("stop_timeout"), int)
        else None,
        volumes=binds, tmpfs=tmpfs, mounts=mounts,
        read_only=bool(spec.get("read_only_filesystem")),
        auto_remove=bool(spec.get("remove")),
        restart=restart,
        network=_network(spec),
        resources=_resources(spec),
        cap_add=_strings(spec.get("cap_add"), "cap_add"),
        cap_drop=_strings(spec.get("cap_drop"), "cap_drop"),
        privileged=bool(spec.get("privileged")),
        security_opt=security,
        devices=[str(_dict(d, "devices").get("path") or "") for d in spec.get("devices") or []],
        cgroup_parent=spec.get("cgroup_parent") or None,
        device_cgroup_rules=_device_rules(spec.get("device_cgroup_rule")),
        net=NetFlags(
            publish=tuple(_publish(spec)),
            publish_all=bool(spec.get("publish_image_ports")),
            expose=tuple(f"{p}/{proto or 'tcp'}" for p, proto in expose.items()),
            dns=tuple(_strings(spec.get("dns_server"), "dns_server")),
            dns_search=tuple(_strings(spec.get("dns_search"), "dns_search")),
            dns_options=tuple(_strings(spec.get("dns_option"), "dns_option")),
            add_hosts=tuple(_strings(spec.get("hostadd"), "hostadd")),
        ),
        health=_health(spec.get("healthconfig"), spec.get("health_check_on_failure_action")),
        ulimits=[f"{_dict(r, 'r_limits').get('type')}={r.get('soft')}:{r.get('hard')}"
                 for r in spec.get("r_limits") or []],
        create_command=_strings(spec.get("containerCreateCommand"), "containerCreateCommand"),
        pull="never",  # podman's client pulls first (POST /libpod/images/pull)
        userns=_userns(spec),
        runflags=RunFlagOptions(
            init=bool(spec.get("init")),
            sysctls=[f"{k}={v}" for k, v in _dict(spec.get("sysctl"), "sysctl").items()],
            pid=_ns_flag(spec, "pidns"), ipc=_ns_flag(spec, "ipcns"),
            uts=_ns_flag(spec, "utsns"), cgroupns=_ns_flag(spec, "cgroupns"),
            shm_size=str(shm) if shm > 0 else None,
            group_add=_strings(spec.get("groups"), "groups"),
            oom_score_adj=_int(oom, "oom_score_adj") if oom else None,
            env_host=bool(spec.get("env_host")),
            timeout=_int(spec.get("timeout"), "timeout"),
            conmon_pidfile=str(spec.get("conmon_pid_file") or ""),
        ),
    )
    if log.get("driver"):
        opts = replace(opts, log_driver=str(log["driver"]))
    log_opts = {str(k): str(v) for k, v in _dict(log.get("options"), "options").items()}
    if log.get("path"):
        log_opts["path"] = str(log["path"])
    if _int(log.get("size"), "size") > 0:
        log_opts["max-size"] = str(log["size"])
    volumes_mode = str(spec.get("image_volume_mode") or "anonymous")
    if volumes_mode not in IMAGE_VOLUMES:
        raise HTTPError(400, f"invalid image_volume_mode {volumes_mode!r}")
    annotations = {str(k): str(v) for k, v in _dict(spec.get("annotations"),
                                                   "annotations").items()
                   if k != "io.kubernetes.cri-o.TTY"}  # (podman's client: the terminal's)
    opts = replace(
        opts, systemd=str(spec.get("systemd") or "true"),
        sdnotify=str(spec.get("sdnotifyMode") or "container"),
        http_proxy=bool(spec["httpproxy"]) if "httpproxy" in spec else None,
        seccomp_policy=str(spec.get("seccomp_policy") or "default"),
        image_volume=IMAGE_VOLUMES[volumes_mode],
        init_ctr=str(spec.get("init_container_type") or ""),
        cgroups=str(spec.get("cgroups_mode") or "enabled"), log_opts=log_opts,
        secrets=_secrets(spec),
        runflags=replace(opts.runflags, umask=str(spec.get("umask") or "") or None,
                         tz=str(spec.get("timezone") or "") or None,
                         annotations=[f"{k}={v}" for k, v in annotations.items()]),
    )  # fmt: skip
    return opts, str(spec.get("pod") or "")


# podman's PodSpecGenerator keys this face maps (the others, when set, are refused by name)
POD_MAPPED = {
    "name", "labels", "hostname", "exit_policy", "pod_create_command", "share_parent",
    "portmappings", "hostadd", "dns_server", "dns_search", "dns_option", "shared_namespaces",
    "no_infra", "infra_name", "infra_image", "infra_command", "infra_conmon_pid_file",
    "no_manage_hosts", "shm_size", "sysctl", "netns", "Networks", "cgroup_parent",
    "resource_limits", "cpu_period", "cpu_quota", "pidns", "utsns", "userns", "idmappings",
    "pod_devices", "volumes", "mounts", "volumes_from", "security_opt",
}  # fmt: skip


def pod_request(body: Any) -> Any:
    """`POST /libpod/pods/create`: podman's PodSpecGenerator as the engine's pod create
    request (pure); a key set to what this face does not map is a 400 naming it."""
    from supervisor.api.pods import PodCreateRequest

    spec = _dict(body, "pod spec")
    bad = sorted(k for k, v in spec.items() if k not in POD_MAPPED
                 and v not in (None, "", [], {}, False, 0))  # fmt: skip
    if bad:
        raise HTTPError(400, f"scopebox does not support these pod settings (yet): "
                             f"{', '.join(bad)}")  # fmt: skip
    share = spec.get("shared_namespaces")
    limits = _dict(spec.get("resource_limits"), "resource_limits")
    cpu = _dict(limits.get("cpu"), "resource_limits.cpu")
    memory = _dict(limits.get("memory"), "resource_limits.memory")
    quota = _int(cpu.get("quota") or spec.get("cpu_quota"), "quota")
    period = _int(cpu.get("period") or spec.get("cpu_period"), "period") or 100_000
    binds, tmpfs, mounts = _mounts(spec)
    if tmpfs or mounts:
        raise HTTPError(400, "scopebox does not support these pod settings (yet): mounts")
    users = _userns(spec)

    def ns(key: str) -> str:
        value = _ns_flag(spec, key)
        return "" if value in (None, "private") else str(value)

    return PodCreateRequest(
        name=str(spec.get("name") or ""),
        share=",".join(share) if isinstance(share, list) and share else None,
        infra=not spec.get("no_infra", False),
        infra_name=str(spec.get("infra_name") or ""),
        infra_image=str(spec.get("infra_image") or ""),
        infra_command=tuple(_strings(spec.get("infra_command"), "infra_command")),
        infra_conmon_pidfile=str(spec.get("infra_conmon_pid_file") or ""),
        hostname=str(spec.get("hostname") or ""),
        labels={str(k): str(v) for k, v in _dict(spec.get("labels"), "labels").items()},
        exit_policy=str(spec.get("exit_policy") or "continue"),
        create_command=tuple(_strings(spec.get("pod_create_command"), "pod_create_command")),
        share_parent=spec.get("share_parent", True) is not False,
        publish=tuple(_publish(spec)),
        network=_network(spec),
        add_hosts=tuple(_strings(spec.get("hostadd"), "hostadd")),
        dns=tuple(_strings(spec.get("dns_server"), "dns_server")),
        dns_search=tuple(_strings(spec.get("dns_search"), "dns_search")),
        dns_options=tuple(_strings(spec.get("dns_option"), "dns_option")),
        no_hosts=bool(spec.get("no_manage_hosts")),
        shm_size=str(_int(spec.get("shm_size"), "shm_size") or ""),
        sysctls=tuple(f"{k}={v}" for k, v in _dict(spec.get("sysctl"), "sysctl").items()),
        cgroup_parent=str(spec.get("cgroup_parent") or ""),
        cpus=quota / period if quota > 0 else 0.0,
        cpu_shares=_int(cpu.get("shares"), "shares"),
        cpuset_cpus=str(cpu.get("cpus") or ""),
        cpuset_mems=str(cpu.get("mems") or ""),
        memory=max(_int(memory.get("limit"), "limit"), 0),
        memory_swap=_int(memory.get("swap"), "swap"),
        pid=ns("pidns"),
        uts=ns("utsns"),
        userns=users.userns or "",
        uidmap=tuple(users.uidmap),
        gidmap=tuple(users.gidmap),
        devices=tuple(_strings(spec.get("pod_devices"), "pod_devices")),
        volumes=tuple(binds),
        volumes_from=tuple(_strings(spec.get("volumes_from"), "volumes_from")),
        security_opt=tuple(_strings(spec.get("security_opt"), "security_opt")),
    )
