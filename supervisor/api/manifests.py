"""verbs: local manifest lists (`supervisor/manifestlist.py`) and their push."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from supervisor.api import session
from supervisor.manifestlist import EntryOptions as EntryOptions  # a request's part
from supervisor.settings import Settings

if TYPE_CHECKING:
    from supervisor.api.registry import RegistryOptions
    from supervisor.registry.progress import Progress


def create(settings: Settings, ref: str, images: list[str], amend: bool) -> str:
    from supervisor import manifestlist as M

    with session(settings) as eng:
        return M.create(eng.paths, eng.store, ref, images, amend).id


def add(settings: Settings, ref: str, images: list[str], opts: EntryOptions) -> str:
    from supervisor import manifestlist as M

    with session(settings) as eng:
        return M.add(eng.paths, eng.store, M.find(eng.paths, ref), images, opts).id


def annotate(settings: Settings, ref: str, digest: str, opts: EntryOptions) -> str:
    """`digest`: the entry's (Podman 4.3 takes no image name here)."""
    from supervisor import manifestlist as M

    with session(settings) as eng:
        return M.annotate(eng.paths, M.find(eng.paths, ref), digest, opts).id


def remove_entry(settings: Settings, ref: str, digest: str) -> str:
    from supervisor import manifestlist as M

    with session(settings) as eng:
        return M.remove_entry(eng.paths, M.find(eng.paths, ref), ref, digest).id


def inspect(settings: Settings, ref: str) -> dict[str, Any]:
    from supervisor import manifestlist as M

    with session(settings) as eng:
        return M.find(eng.paths, ref).document()


def exists(settings: Settings, ref: str) -> bool:
    from supervisor import manifestlist as M

    with session(settings) as eng:
        return M.exists(eng.paths, ref)


def remove(settings: Settings, ref: str) -> tuple[str, str]:
    """(the name untagged, the id deleted)."""
    from supervisor import manifestlist as M

    with session(settings) as eng:
        ml = M.find(eng.paths, ref)
        M.delete(eng.paths, ml)
        return ml.name, ml.id


def push(settings: Settings, ref: str, dest: str, opts: RegistryOptions, progress: Progress,
         remove_after: bool) -> str:
    """The list's digest in the registry; its images go first (by digest)."""
    from supervisor import manifestlist as M
    from supervisor.registry.push import PushOptions, push_list

    popts = PushOptions(ref, dest.removeprefix("docker://"), opts.tls_verify, opts.creds,
                        opts.authfile, cert_dir=opts.cert_dir)
    with session(settings) as eng:
        ml = M.find(eng.paths, ref)
        images = [M.image_of(eng.store, e["digest"]).id for e in ml.entries]
        digest = push_list(eng.store, popts, ml.index_bytes(), M.DOCKER_LIST, images, progress)
        if remove_after:
            M.delete(eng.paths, ml)
        return digest
