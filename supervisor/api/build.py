"""`build` (`image build`, `buildx build`, the REST face's `POST /build`): a Containerfile
into an image (`supervisor/build/`)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from supervisor.api import session
from supervisor.build.options import BuildRequest as BuildRequest  # the request type callers build
from supervisor.errors import UsageError
from supervisor.settings import Settings

if TYPE_CHECKING:
    from supervisor.engine import Engine

FILE_NAMES = ("Containerfile", "Dockerfile")
FORMATS = ("oci", "docker")
PULL = {"true": "always", "always": "always", "false": "never", "never": "never",
        "missing": "missing", "newer": "newer", "ifnewer": "newer"}  # fmt: skip


def read_file(req: BuildRequest) -> str:
    """The Containerfile's text (checked before any work)."""
    if req.file_text is not None:
        return req.file_text
    if not os.path.isdir(req.context):
        raise UsageError(f"stat {req.context}: no such file or directory")  # Podman's words
    paths = [os.path.join(req.context, n) for n in FILE_NAMES]
    if req.file:  # relative: from here, else from the context (buildah's order)
        paths = [req.file] if os.path.isabs(req.file) or os.path.exists(req.file) else [
            os.path.join(req.context, req.file)]  # fmt: skip
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            continue
        except OSError as exc:
            raise UsageError(f"reading {path}: {(exc.strerror or '').lower()}") from None
    if req.file:
        raise UsageError(f"the specified Containerfile or Dockerfile does not exist, {req.file}:"
                         " no such file or directory")  # fmt: skip
    # Podman 4.3's words: the last name it looked for
    raise UsageError(f"stat {os.path.join(os.path.abspath(req.context), FILE_NAMES[-1])}: no"
                     " such file or directory")  # fmt: skip


def build(settings: Settings, req: BuildRequest, out_fd: int = 1) -> str:
    """The new image's id; the steps' lines and RUN's output go to `out_fd` (none with
    `quiet`)."""
    with session(settings) as eng:
        return build_in(eng, req, out_fd)


def build_in(eng: Engine, req: BuildRequest, out_fd: int) -> str:
    """`build` in a session of the caller's (`kube play --build`)."""
    from supervisor.api.containers import with_defaults
    from supervisor.build.executor import Builder, Output
    from supervisor.build.options import BuildOptions
    from supervisor.build.parser import parse

    if req.format not in FORMATS:
        raise UsageError(f'unrecognized image type "{req.format}"')  # Podman's words
    pull = PULL.get(req.pull)
    if pull is None:
        raise UsageError(f"invalid --pull {req.pull!r}: expected always, missing, never or newer")
    if not os.path.isdir(req.context):
        raise UsageError(f"stat {req.context}: no such file or directory")
    if req.ignorefile and not os.path.isfile(req.ignorefile):
        raise UsageError(f"stat {req.ignorefile}: no such file or directory")
    file = parse(read_file(req))
    opts = BuildOptions.of(req, os.path.abspath(req.context), pull, file)
    settings = eng.settings
    builder = Builder(eng, opts, Output(out_fd, req.quiet), lambda o: with_defaults(o, settings))
    try:
        image_id = builder.build()
    finally:
        builder.finish()
    from supervisor.events.write import other  # events: as Podman's image build

    other(settings, eng.paths, "image", "build", id=image_id,
          name=req.tags[0] if req.tags else "")  # fmt: skip
    return image_id
