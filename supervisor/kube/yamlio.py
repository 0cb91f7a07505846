"""Reading and writing Kubernetes YAML, with limits against hostile input.

A document is checked on libyaml's event stream before anything is built from it: its size,
its nesting depth, and the size it would have once every alias is expanded (a "billion
laughs" file is a few hundred bytes that expand to gigabytes when a consumer walks it). Only
then is it loaded, with the safe loader (plain data: no Python objects)."""

from __future__ import annotations

from typing import Any

from supervisor.errors import UsageError

MAX_BYTES = 4 << 20  # a Kubernetes object is at most ~1.5 MiB in etcd
MAX_DEPTH = 64
MAX_NODES = 200_000  # after alias expansion
MAX_DOCUMENTS = 100


class KubeYAMLError(UsageError):
    """The file is not YAML we accept (the message names why); nothing was made."""


def _yaml() -> Any:
    import yaml

    return yaml


def _loader(yaml: Any) -> Any:
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# YAML 1.1 booleans that PyYAML (YAML 1.1 too, but without these) writes bare and go-yaml v2
# (Podman's reader) reads as booleans.
GO_BOOLS = frozenset(["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On",
                      "ON", "off", "Off", "OFF"])
_DUMPER: Any = None


def _dumper(yaml: Any) -> Any:
    """The C dumper when libyaml is there; strings that a reader would take for something
    else are double-quoted, as Podman writes them (`"1000"`, `"y"`, `"false"`)."""
    global _DUMPER
    if _DUMPER is None:
        base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        str_tag = "tag:yaml.org,2002:str"

        def represent_str(dumper: Any, value: str) -> Any:
            implicit = dumper.resolve(yaml.ScalarNode, value, (True, False))
            style = '"' if value in GO_BOOLS or not value or implicit != str_tag else None
            return dumper.represent_scalar(str_tag, value, style=style)

        _DUMPER = type("KubeDumper", (base,), {})
        _DUMPER.add_representer(str, represent_str)
    return _DUMPER


def check_events(text: str) -> None:
    """Depth, node count with aliases expanded, document count; raises KubeYAMLError."""
    yaml = _yaml()
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise KubeYAMLError(f"kube YAML larger than {MAX_BYTES >> 20} MiB")
    anchors: dict[str, int] = {}
    open_anchors: list[tuple[str | None, int]] = []  # (anchor, node count at its start)
    nodes = depth = documents = 0
    try:
        for event in yaml.parse(text, Loader=_loader(yaml)):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > MAX_DOCUMENTS:
                    raise KubeYAMLError(f"kube YAML: more than {MAX_DOCUMENTS} documents")
            elif isinstance(event, yaml.AliasEvent):
                nodes += anchors.get(event.anchor, 1)
            elif isinstance(event, yaml.ScalarEvent):
                nodes += 1
                if event.anchor:
                    anchors[event.anchor] = 1
            elif isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise KubeYAMLError(f"kube YAML nested deeper than {MAX_DEPTH} levels")
                open_anchors.append((event.anchor, nodes))
                nodes += 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
                anchor, start = open_anchors.pop()
                if anchor:
                    anchors[anchor] = nodes - start
            if nodes > MAX_NODES:
                raise KubeYAMLError(f"kube YAML too large once its aliases are expanded "
                                    f"(more than {MAX_NODES} nodes)")
    except yaml.YAMLError as exc:
        raise KubeYAMLError(f"kube YAML is not valid: {_one_line(exc)}") from None


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def load_documents(text: str) -> list[Any]:
    """The file's documents (empty ones skipped), after `check_events`."""
    check_events(text)
    yaml = _yaml()
    try:
        docs = list(yaml.load_all(text, Loader=_loader(yaml)))
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        raise KubeYAMLError(f"kube YAML is not valid: {_one_line(exc)}") from None
    return [d for d in docs if d is not None]


def dump(doc: Any) -> str:
    """One document, keys sorted as Go's YAML writer sorts them, block style. `y`, `n` and
    other words YAML 1.1 reads as booleans are quoted (go-yaml v2 and PyYAML agree on them)."""
    yaml = _yaml()
    text: str = yaml.dump(doc, Dumper=_dumper(yaml), default_flow_style=False, sort_keys=True,
                          allow_unicode=True, width=1 << 16)
    return text
