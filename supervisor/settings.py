"""The engine's settings: one typed, frozen object built once per process.

Global flags (`--root --runroot --runtime --cgroup-manager`) win over the
environment (`SCOPEBOX_ROOT`, ...), which wins over Podman's `containers.conf` files (the
keys scopebox honours, see `CONF_KEYS`), which win over the defaults. Nothing writes `os.environ`:
child processes that need the same settings (the monitor's exit command, generated units) get
them as command-line flags from `global_flags()`.

Standard library only, no heavy imports: the CLI builds this before it knows the verb.
"""

from __future__ import annotations

import os

from supervisor.errors import UsageError
from supervisor.records import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    from supervisor.paths import Paths

CGROUP_MANAGERS = ("systemd", "cgroupfs")
LOG_DRIVERS = ("journald", "k8s-file", "none")

# flag -> (field, environment variable)
FLAGS: dict[str, tuple[str, str]] = {
    "--root": ("root", "SCOPEBOX_ROOT"),
    "--runroot": ("runroot", "SCOPEBOX_RUNROOT"),
    "--runtime": ("runtime", "SCOPEBOX_RUNTIME"),
    "--cgroup-manager": ("cgroup_manager", "SCOPEBOX_CGROUP_MANAGER"),
    "--default-mounts-file": ("default_mounts_file", "SCOPEBOX_DEFAULT_MOUNTS_FILE"),
    "--volumepath": ("volume_path", "SCOPEBOX_VOLUME_PATH"),
}
ENV_ONLY: dict[str, str] = {"log_driver": "SCOPEBOX_LOG_DRIVER",  # containers.conf's log_driver
                            "netns": "SCOPEBOX_NETNS"}  # networking: containers.conf's netns
EVENTS_LOGGERS = ("file", "journald", "none")

# containers.conf (Podman's precedence: the files < the environment < flags): (table, key) ->
# (field, type). Other keys are ignored, as Podman ignores keys it does not know.
CONF_KEYS: dict[tuple[str, str], tuple[str, type]] = {
    ("engine", "runtime"): ("runtime", str),
    ("engine", "volume_path"): ("volume_path", str),
    ("engine", "cgroup_manager"): ("cgroup_manager", str),
    ("engine", "events_logger"): ("events_logger", str),
    ("engine", "events_logfile_path"): ("events_logfile_path", str),
    # bytes, or a size ("1m"); Podman's truncation to the newer half past it (events.write)
    ("engine", "events_logfile_max_size"): ("events_logfile_max_size", int),
    ("engine", "stop_timeout"): ("stop_timeout", int),
    ("containers", "log_driver"): ("log_driver", str),
    ("containers", "pids_limit"): ("pids_limit", int),
    ("containers", "log_size_max"): ("log_size_max", int),
    ("engine", "detach_keys"): ("detach_keys", str),  # terminals
    ("engine", "infra_image"): ("infra_image", str),  # podbats: pod create's --infra-image
    # helper "runflags"
    ("containers", "tz"): ("tz", str),
    ("containers", "netns"): ("netns", str),  # networking: the default --network
    ("containers", "umask"): ("umask", str),  # issue 19: the default --umask
    ("containers", "http_proxy"): ("http_proxy", bool),  # misc (issue 19): --http-proxy's
    # issues 17/19: the default --userns (userns_size: Podman 4.3 sizes auto ranges from the
    # image whatever it says, so it is not read)
    ("containers", "userns"): ("userns", str),
    ("engine", "image_volume_mode"): ("image_volume_mode", str),  # the default --image-volume
}
# Parsing TOML costs the CLI's cold start ~20 ms: only files naming one of our keys are parsed
# (and each text once: supervisor/tomlcache.py).
_KEYS = frozenset(key for _, key in CONF_KEYS)


def _mentions(text: str, keys: Iterable[str]) -> bool:
    """Whether a line of `text` sets one of `keys` (`key =`, spaces or tabs around the key).
    A loop, not a regular expression: `re` costs every verb's cold start (issue 16)."""
    wanted = set(keys)
    for line in text.split("\n"):
        head, eq, _ = line.partition("=")
        if eq and head.strip(" \t") in wanted:
            return True
    return False


class Settings(NamedTuple):
    """Immutable and typed; a NamedTuple, not a dataclass: `dataclasses` costs the CLI's cold
    start ~6 ms (inspect, ast) for verbs that need nothing else."""

    root: str = "/var/lib/scopebox"
    runroot: str = "/run/scopebox"
    runtime: str | None = None  # a name or path; None: the best one found (crun, runc)
    cgroup_manager: str | None = None  # None: systemd when it runs here, else cgroupfs
    log_driver: str | None = None  # None: journald with systemd, else k8s-file
    debug: bool = False  # SCOPEBOX_DEBUG: unexpected errors show their traceback
    events_logger: str | None = None  # events: file, journald, none; None: journald if it runs
    events_logfile_path: str | None = None  # the file backend's log; None: RUNROOT/events/
    events_logfile_max_size: int | None = None  # set: Podman's truncation (events.write)
    stop_timeout: int | None = None  # create's default --stop-timeout (containers.conf)
    pids_limit: int | None = None  # create's default --pids-limit (containers.conf)
    log_size_max: int | None = None  # create's default --log-opt max-size; -1: unlimited
    detach_keys: str | None = None  # terminals: attach's default --detach-keys
    tz: str | None = None  # helper "runflags": create's default --tz
    netns: str | None = None  # create's default --network (containers.conf); None: bridge as root
    umask: str | None = None  # issue 19: create's default --umask (containers.conf); None: 0022
    http_proxy: bool | None = None  # misc (issue 19): create's default --http-proxy; None: true
    userns: str | None = None  # issues 17/19: create's default --userns (containers.conf)
    infra_image: str | None = None  # podbats: pod create's default --infra-image
    image_volume_mode: str | None = None  # create's default --image-volume; None: bind
    # --runtime-flag (each given as `--NAME[=VALUE]`): before the verb of every runtime call
    # this process makes (Podman's: the flags are the process's, not the container's)
    runtime_flags: tuple[str, ...] = ()
    default_mounts_file: str | None = None  # --default-mounts-file: mounts.conf (specgen)
    volume_path: str | None = None  # --volumepath; None: ROOT/volumes

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = rootless_defaults(env)
        values.update(read_containers_conf(env))
        values.update(read_storage_conf(env))  # fidelity
        for name, var in [*FLAGS.values(), *ENV_ONLY.items()]:
            if env.get(var):
                values[name] = env[var]
        debug = env.get("SCOPEBOX_DEBUG", "") not in ("", "0", "false")
        return cls(**values, debug=debug).checked()

    def with_flags(self, flags: Mapping[str, str]) -> Settings:
        """These settings with global flags (`{"--root": "/srv"}`) over them."""
        unknown = set(flags) - set(FLAGS)
        if unknown:
            raise UsageError(f"unknown global option {sorted(unknown)[0]}")
        changes: dict[str, Any] = {FLAGS[flag][0]: value for flag, value in flags.items()}
        return self._replace(**changes).checked()

    def checked(self) -> Settings:
        if self.cgroup_manager is not None and self.cgroup_manager not in CGROUP_MANAGERS:
            raise UsageError("--cgroup-manager must be systemd or cgroupfs")
        if self.log_driver is not None and self.log_driver not in LOG_DRIVERS:
            raise UsageError(
                f"SCOPEBOX_LOG_DRIVER (or log_driver) must be one of {', '.join(LOG_DRIVERS)}"
            )
        if self.events_logger is not None and self.events_logger not in EVENTS_LOGGERS:
            raise UsageError(f"events logger must be one of {', '.join(EVENTS_LOGGERS)}")
        for name in ("root", "runroot"):
            if not getattr(self, name):
                raise UsageError(f"--{name} must not be empty")
        return self

    @property
    def paths(self) -> Paths:
        from supervisor.paths import Paths

        # Canonical paths: runc refuses symlinks, and mountinfo lists resolved paths.
        return Paths(root=os.path.realpath(self.root), runroot=os.path.realpath(self.runroot),
                     volume_path=os.path.realpath(self.volume_path) if self.volume_path else "")

    def global_flags(self, paths: bool = True) -> list[str]:
        """The flags that give a child `scopebox` these settings (only what differs from the
        defaults, so generated units stay short); `paths=False`: without --root/--runroot."""
        default = Settings()
        out: list[str] = []
        for flag, (name, _) in FLAGS.items():
            if not paths and name in ("root", "runroot"):
                continue
            value = getattr(self, name)
            if value is not None and value != getattr(default, name):
                out += [flag, value]
        for flag in self.runtime_flags:  # the monitor's exit command runs the runtime too
            out += ["--runtime-flag", flag.removeprefix("--")]
        return out

    def environ(self) -> dict[str, str]:
        """The same settings as environment variables, for children that read those."""
        return {
            var: getattr(self, name)
            for name, var in [*FLAGS.values(), *ENV_ONLY.items()]
            if getattr(self, name) is not None
        }


def rootless_defaults(env: Mapping[str, str]) -> dict[str, Any]:
    """Rootless (issue 17): the user's store, `$XDG_DATA_HOME/scopebox` and
    `$XDG_RUNTIME_DIR/scopebox`, and the user's systemd manager when one runs (else the
    cgroupfs manager, as Podman falls back to it without a user session). Below
    containers.conf, storage.conf, the environment and the flags."""
    from supervisor import rootless

    uid = rootless.outer_uid()
    if uid is None:
        return {}
    from supervisor.rootless.session import socket_path

    values: dict[str, Any] = {"root": rootless.data_dir(env),
                              "runroot": rootless.runtime_dir(env, uid)}
    if socket_path(env) is None:  # no user manager: see supervisor/rootless/session.py
        values["cgroup_manager"] = "cgroupfs"
    return values


def containers_conf_files(env: Mapping[str, str]) -> list[str]:
    """Podman's files, lowest precedence first; CONTAINERS_CONF names the only one."""
    if env.get("CONTAINERS_CONF"):
        return [env["CONTAINERS_CONF"]]
    files = ["/usr/share/containers/containers.conf", "/etc/containers/containers.conf"]
    files += _drop_ins("/etc/containers/containers.conf.d")
    user = user_config_dir(env)
    if user is not None:  # fidelity: as Podman, the user's files only when not root
        files += [os.path.join(user, "containers.conf")]
        files += _drop_ins(os.path.join(user, "containers.conf.d"))
    return files


def _drop_ins(directory: str) -> list[str]:
    try:
        names = sorted(n for n in os.listdir(directory) if n.endswith(".conf"))
    except OSError:
        names = []
    return [os.path.join(directory, n) for n in names]


def user_config_dir(env: Mapping[str, str]) -> str | None:
    """`$XDG_CONFIG_HOME/containers` (else `~/.config/containers`) for a user who is not root:
    Podman reads the user's containers.conf and storage.conf only when rootless
    (containers.conf(5), FILES)."""
    from supervisor.rootless import is_rootless

    if not is_rootless():
        return None
    base = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME") or "/", ".config")
    return os.path.join(base, "containers")


# fidelity: storage.conf ([storage] graphroot, runroot, driver), below containers.conf's
# neighbours in precedence: the file < SCOPEBOX_ROOT/SCOPEBOX_RUNROOT < --root/--runroot.
STORAGE_KEYS = {"graphroot": "root", "runroot": "runroot"}
STORAGE_DRIVERS = ("overlay", "vfs")


def storage_conf_file(env: Mapping[str, str]) -> str | None:
    """CONTAINERS_STORAGE_CONF, else the user's (not root), else /etc's. Not the distribution's
    /usr/share/containers/storage.conf: it restates Podman's own defaults (its graphroot is
    Podman's store), where scopebox's defaults are its own (/var/lib/scopebox)."""
    if env.get("CONTAINERS_STORAGE_CONF"):
        return env["CONTAINERS_STORAGE_CONF"]
    user = user_config_dir(env)
    candidates = [os.path.join(user, "storage.conf")] if user else []
    candidates += ["/etc/containers/storage.conf"]
    return next((c for c in candidates if os.path.exists(c)), None)


def read_storage_conf(env: Mapping[str, str]) -> dict[str, Any]:
    path = storage_conf_file(env)
    if path is None:
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise UsageError(f"CONTAINERS_STORAGE_CONF: {path!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path!r}: {exc}") from None
    if not _mentions(text, ("graphroot", "runroot", "driver")):
        return {}
    from supervisor import tomlcache

    try:
        section = tomlcache.loads(path, text).get("storage")
    except ValueError as exc:  # tomllib.TOMLDecodeError
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    if not isinstance(section, dict):
        return {}
    out: dict[str, Any] = {}
    for key, name in STORAGE_KEYS.items():
        value = section.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value.startswith("/"):
            raise UsageError(f"{path}: [storage] {key} must be an absolute path, not {value!r}")
        out[name] = value
    _check_driver(path, section.get("driver"), env)
    return out


def _check_driver(path: str, driver: Any, env: Mapping[str, str]) -> None:
    """The driver is the store's (SCOPEBOX_STORAGE_DRIVER chooses vfs): a storage.conf naming
    another one is refused, not silently ignored."""
    if driver in (None, ""):
        return
    if driver not in STORAGE_DRIVERS:
        raise UsageError(
            f"{path}: [storage] driver {driver!r} is not supported (overlay or vfs)"
        )
    in_use = env.get("SCOPEBOX_STORAGE_DRIVER") or "overlay"
    if driver != in_use:
        raise UsageError(
            f"{path}: [storage] driver {driver!r}, but this store uses {in_use}"
            f" (set SCOPEBOX_STORAGE_DRIVER={driver})"
        )


def read_containers_conf(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for path in containers_conf_files(env):
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except FileNotFoundError:
            if path == env.get("CONTAINERS_CONF"):
                raise UsageError(f"CONTAINERS_CONF: {path!r} does not exist") from None
            continue
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {path!r}: {exc}") from None
        if _mentions(text, _KEYS):
            values.update(_conf_values(path, text))
    return values


def _conf_values(path: str, text: str) -> dict[str, Any]:
    from supervisor import tomlcache

    try:
        doc = tomlcache.loads(path, text)
    except ValueError as exc:  # tomllib.TOMLDecodeError
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    out: dict[str, Any] = {}
    for (table, key), (name, kind) in CONF_KEYS.items():
        section = doc.get(table)
        if not isinstance(section, dict) or key not in section:
            continue
        value = section[key]
        if name == "events_logfile_max_size" and isinstance(value, str):
            from supervisor.sizes import parse_size

            value = parse_size(value, decimal=True)  # go-units' FromHumanSize, as Podman
        lowest = 0 if name in ("stop_timeout", "events_logfile_max_size") else -1
        if type(value) is not kind or (isinstance(value, int) and value < lowest):
            want = {int: f"an integer >= {lowest}", bool: "true or false"}.get(kind, "a string")
            raise UsageError(f"{path}: [{table}] {key} must be {want}, not {value!r}")
        out[name] = value
    return out


def runtime_paths(env: Mapping[str, str], name: str) -> list[str]:
    """containers.conf's `[engine.runtimes]` entry for a runtime name (`runtime = "x"` with
    `[engine.runtimes] x = ["/usr/bin/runc"]`): its candidate paths, the last file's."""
    from supervisor import tomlcache

    found: list[str] = []
    for path in containers_conf_files(env):
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError):
            continue
        if "runtimes" not in text:
            continue
        try:
            engine = tomlcache.loads(path, text).get("engine")
        except ValueError as exc:
            raise UsageError(f"{path}: not valid TOML: {exc}") from None
        table = engine.get("runtimes") if isinstance(engine, dict) else None
        paths = table.get(name) if isinstance(table, dict) else None
        if isinstance(paths, list) and all(isinstance(p, str) for p in paths):
            found = list(paths)
    return found


# helper "runflags" --------------------------------------------------------------------------


# containers.conf's [containers] keys only create reads (its defaults): parsing TOML at every
# CLI start would cost each verb ~20 ms, and Podman's shipped file names two of them.
CREATE_KEYS = ("default_sysctls", "default_capabilities", "seccomp_profile", "dns_servers",
               "dns_searches", "dns_options",
               "base_hosts_file", "host_containers_internal_ip")  # read at each start


def create_conf_values(env: Mapping[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """Each containers.conf file naming one of CREATE_KEYS, in order, with those keys' values
    in its [containers] table (as TOML gives them; the caller checks their types). Parsed
    through supervisor.tomlcache (issue 16: the one cache of containers.conf documents, keyed
    by the file's text), so a `run` does not load tomllib while the files stay the same."""
    from supervisor import tomlcache

    out: list[tuple[str, dict[str, Any]]] = []
    for path in containers_conf_files(env):
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError):
            continue  # read_containers_conf already refused what cannot be read
        if not _mentions(text, CREATE_KEYS):
            continue
        try:
            section = tomlcache.loads(path, text).get("containers")
        except ValueError as exc:  # tomllib.TOMLDecodeError, never cached
            raise UsageError(f"{path}: not valid TOML: {exc}") from None
        section = section if isinstance(section, dict) else {}
        out.append((path, {k: section[k] for k in CREATE_KEYS if k in section}))
    return out


def default_sysctls(env: Mapping[str, str]) -> list[str]:
    """containers.conf's [containers] default_sysctls (the last file naming it wins), read
    only by create (create_conf_values)."""
    return conf_strings(env, "default_sysctls")


def conf_strings(env: Mapping[str, str], key: str) -> list[str]:
    """A [containers] array of strings among CREATE_KEYS (the last file naming it wins)."""
    found: list[str] = []
    for path, values in create_conf_values(env):
        value = values.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise UsageError(f"{path}: [containers] {key} must be an array of strings")
        found = value
    return found


def conf_string(env: Mapping[str, str], key: str) -> str:
    """A [containers] string among CREATE_KEYS (the last file naming it wins; "": unset)."""
    found = ""
    for path, values in create_conf_values(env):
        value = values.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise UsageError(f"{path}: [containers] {key} must be a string")
        found = value
    return found
