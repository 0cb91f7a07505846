"""performance (issue 16): finding a stored image by reference, for the read verbs.

`supervisor.images` (which re-exports this) imports hashlib, gzip, tarfile and the layer code
for pull, import and save; `inspect` and lookups need none of it.
"""

from __future__ import annotations

from supervisor.errors import NotFoundError, UsageError
from supervisor.refs import _short_match, normalize_name, repo_matches, split_digested, split_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from supervisor.store import ImageRow, Store

_HEX = set("0123456789abcdef")


def resolve(store: Store, ref: str) -> ImageRow:
    """By name (full or short), `repo[:tag]@digest`, id or unique id prefix."""
    images = store.list_images()
    digested = split_digested(ref) if "@" in ref else None
    if digested is not None:
        for img in images:
            if digest_names(img, *digested) is not None:
                return img
        raise NotFoundError("image", ref)
    bare = ref.removeprefix("sha256:")
    for img in images:
        if img.id == bare:
            return img
    try:
        full = normalize_name(ref)
    except UsageError:
        full = ""
    for img in images:
        if full in img.names:
            return img
    short = [img for img in images if any(_short_match(ref, n) for n in img.names)]
    if len(short) == 1:
        return short[0]
    if len(short) > 1:
        raise UsageError(f"short name {ref!r} matches several images; give the full name")
    if len(bare) >= 3 and set(bare) <= _HEX:
        hits = [img for img in images if img.id.startswith(bare)]
        if len(hits) == 1:
            return hits[0]
    raise NotFoundError("image", ref)


def digest_names(img: ImageRow, given: str, digest: str) -> str | None:
    """The full `repo@digest` name the repository `given` at `digest` is of the image: one it
    was pulled by, or its manifest under the repository of one of its names (Podman's lookup
    by digest); None when it names another image."""
    for name in img.repo_digests:
        repo, _, at = name.partition("@")
        if at == digest and repo_matches(given, repo):
            return name
    if img.digest == digest:
        for name in img.names:
            repo = split_name(name)[0]
            if repo_matches(given, repo):
                return f"{repo}@{digest}"
    return None
