"""Image references as users type them, and as Podman names local images (pure, cheap)."""

from __future__ import annotations

from supervisor.errors import UsageError

_TAG = r"[\w][\w.-]{0,127}"  # the distribution spec's tag grammar


def _tag_ok(tag: str) -> bool:
    import re  # performance (issue 16): not at import, every read verb loads this module

    return re.fullmatch(_TAG, tag) is not None


def normalize_name(ref: str) -> str:
    """`busybox` -> `localhost/busybox:latest`, as Podman names local images."""
    ref = ref.strip()
    if not ref or any(c.isspace() for c in ref) or "@" in ref:
        raise UsageError(f"invalid image reference {ref!r}")
    # The repository must be lowercase; a tag may hold capitals (`app:V1`, as in Podman).
    head, _, last = ref.rpartition("/")
    name, colon, tag = last.partition(":")
    if any(c.isupper() for c in f"{head}/{name}"):
        raise UsageError(f"invalid image reference {ref!r}: repository name must be lowercase")
    if colon and not _tag_ok(tag):
        raise UsageError(f"invalid image reference {ref!r}: invalid tag {tag!r}")
    first, _, rest = ref.partition("/")
    if not rest or not ("." in first or ":" in first or first == "localhost"):
        ref = f"localhost/{ref}"
    last = ref.rsplit("/", 1)[1]
    if ":" not in last:
        ref += ":latest"
    return ref


def split_name(name: str) -> tuple[str, str]:
    repo, _, tag = name.rpartition(":")
    return repo, tag


def _short_match(ref: str, name: str) -> bool:
    want = ref if ":" in ref.rsplit("/", 1)[-1] else f"{ref}:latest"
    return name.endswith("/" + want) and name.removesuffix("/" + want).count("/") <= 1
