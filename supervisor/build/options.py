"""What a build was asked (`BuildRequest`: the CLI's flags or a REST request, as given) and what
the builder runs with (`BuildOptions`: the same, checked, with the Containerfile parsed)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from supervisor.build.parser import Containerfile
from supervisor.resources import ResourceOptions


@dataclass(frozen=True)
class BuildRequest:
    context: str
    file: str = ""  # a path ("" : Containerfile, else Dockerfile, in the context)
    file_text: str | None = None  # `-f -`: the text itself
    tags: tuple[str, ...] = ()
    build_args: dict[str, str] = field(default_factory=dict)
    target: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    quiet: bool = False
    no_cache: bool = False
    layers: bool = True
    rm: bool = True
    force_rm: bool = True
    format: str = "oci"
    pull: str = "missing"
    network: str = ""  # "": as `run`'s default (containers.conf netns, else the bridge)
    env: tuple[str, ...] = ()  # --env for RUN steps and the image (Podman's build --env)
    ignorefile: str = ""  # --ignorefile: instead of the context's .containerignore
    # the RUN steps' containers, as run's flags: --ulimit, --security-opt, --dns,
    # --dns-search, --dns-option, --add-host
    ulimits: tuple[str, ...] = ()
    security_opt: tuple[str, ...] = ()
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_options: tuple[str, ...] = ()
    add_hosts: tuple[str, ...] = ()
    # pulling a base image: as pull's --authfile, --tls-verify, --creds, --cert-dir
    authfile: str | None = None
    tls_verify: bool | None = None
    creds: str | None = None
    cert_dir: str | None = None
    # more of the RUN steps' containers: --no-hosts, --cap-add, --cap-drop, --device, --volume
    no_hosts: bool = False
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    # and their limits: -m, --memory-swap, --cpu-*, --cpuset-*; --cgroup-parent, --shm-size
    resources: ResourceOptions = field(default_factory=ResourceOptions)
    cgroup_parent: str | None = None
    shm_size: str | None = None


@dataclass(frozen=True)
class BuildOptions(BuildRequest):
    """A checked request: `context` absolute, `pull` one of always/missing/never/newer."""

    containerfile: Containerfile | None = None

    @classmethod
    def of(cls, req: BuildRequest, context: str, pull: str,
           containerfile: Containerfile) -> BuildOptions:  # fmt: skip
        given = {f.name: getattr(req, f.name) for f in fields(BuildRequest)}
        given.update(context=context, pull=pull)
        return cls(**given, containerfile=containerfile)

    @property
    def parsed(self) -> Containerfile:
        assert self.containerfile is not None  # `of` always sets it
        return self.containerfile
