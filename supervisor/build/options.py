"""What a build was asked (`api/build.py` fills it from the CLI's flags or a request)."""

from __future__ import annotations

from dataclasses import dataclass, field

from supervisor.build.parser import Containerfile


@dataclass(frozen=True)
class BuildOptions:
    context: str
    file: Containerfile
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
