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


def split_digested(ref: str) -> tuple[str, str] | None:
    """`repo[:tag]@sha256:HEX` -> (the repository as given, the digest), or None for a
    reference without `@`. The tag of a tagged and digested reference is dropped, as Podman's
    libimage does: the digest alone names the image."""
    import re

    name, at, digest = ref.strip().partition("@")
    if not at:
        return None
    if re.fullmatch(r"sha256:[0-9a-f]{64}", digest) is None or not name:
        raise UsageError(f"invalid image reference {ref!r}")
    normalize_name(name)  # its checks
    head, _, last = name.rpartition("/")
    last = last.partition(":")[0]
    return f"{head}/{last}" if head else last, digest


def repo_matches(given: str, repo: str) -> bool:
    """Whether the repository `given` (full or short, no tag) names `repo`, as a name would."""
    return split_name(normalize_name(given))[0] == repo or _short_match(f"{given}:t", f"{repo}:t")


def split_name(name: str) -> tuple[str, str]:
    repo, _, tag = name.rpartition(":")
    return repo, tag


def _short_match(ref: str, name: str) -> bool:
    want = ref if ":" in ref.rsplit("/", 1)[-1] else f"{ref}:latest"
    return name.endswith("/" + want) and name.removesuffix("/" + want).count("/") <= 1
