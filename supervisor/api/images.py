"""Images: options in, reports out."""

from __future__ import annotations

from dataclasses import dataclass, field

from supervisor.api import session
from supervisor.errors import ScopeboxError, mapped
from supervisor.settings import Settings


@dataclass(frozen=True)
class RemoveReport:
    """Podman's `ImageRemoveReport`: what one input untagged and deleted, or why not."""

    raw_input: str
    lines: list[str] = field(default_factory=list)  # "Untagged: ...", "Deleted: ..."
    err: ScopeboxError | None = None


def remove(settings: Settings, refs: list[str], force: bool = False) -> list[RemoveReport]:
    """`rmi`; Podman's -f: the containers using the image go first."""
    from supervisor import images

    out = []
    with session(settings) as eng:
        for ref in refs:
            try:
                with mapped():
                    if force:
                        img = images.resolve(eng.store, ref)
                        for cid in eng.store.containers_using_image_ids(img.id):
                            eng.remove(cid, force=True)
                    out.append(RemoveReport(ref, images.remove_image(eng.store, ref, force)))
            except ScopeboxError as exc:
                out.append(RemoveReport(ref, err=exc))
    return out
