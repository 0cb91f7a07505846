"""The auto-update policies and create's check of them (no engine: create imports this)."""

from __future__ import annotations

from supervisor.errors import UsageError

LABEL = "io.containers.autoupdate"
POLICIES = {"registry": "registry", "image": "registry", "local": "local"}

# Image transports other than a registry's (the docker transport) that create accepts.
_OTHER_TRANSPORTS = ("docker-archive", "oci-archive", "oci", "dir", "docker-daemon",
                     "containers-storage")


def check_image(labels: dict[str, str], image: str) -> None:
    """At create, as Podman's: a registry policy needs an image a registry can be asked for
    again, named by the docker transport (or none) and fully qualified (`quay.io/x/y`, not a
    short name that registries.conf could resolve elsewhere)."""
    if POLICIES.get(labels.get(LABEL, "")) != "registry":
        return
    transport, sep, rest = image.partition(":")
    if sep and transport in _OTHER_TRANSPORTS:
        raise UsageError("auto updates require the docker image transport but image is of"
                         f' transport "{transport}"')
    name = rest.removeprefix("//") if sep and transport == "docker" else image
    domain, slash, _ = name.partition("/")
    if not slash or not ("." in domain or ":" in domain or domain == "localhost"):
        raise UsageError("short name: auto updates require fully-qualified image reference:"
                         f' "{image}"')
