"""COPY and ADD: the sources as one tar (made first: its digest is the step's cache key), then
unpacked into the step container's root by the copy unpacker (a child chrooted there)."""

from __future__ import annotations

import contextlib
import os
import tarfile
import tempfile
import time
from typing import TYPE_CHECKING, Any, Protocol

from supervisor.build import context as srcs
from supervisor.build import ignore
from supervisor.build.parser import Instruction
from supervisor.errors import ScopeboxError, UsageError

if TYPE_CHECKING:
    from supervisor.build.instructions import StageState
    from supervisor.build.options import BuildOptions
    from supervisor.engine import Engine
    from supervisor.store import ContainerRow


class BuildHost(Protocol):
    """What a COPY needs of the builder (`executor.Builder`)."""

    eng: Engine
    opts: BuildOptions
    rules: list[ignore.Pattern]
    stage_images: dict[int, str]

    def container(self, state: StageState, image_id: str, argv: list[str],
                  env: list[str]) -> ContainerRow: ...  # fmt: skip
    def state_of(self, image_id: str) -> StageState: ...
    def tmpdir(self) -> str: ...
    def base_image(self, ref: str) -> str: ...


def unpack_into(eng: Engine, root: str | None, fd: int) -> None:
    from supervisor.copy import stream
    from supervisor.copy.place import PlaceError

    assert root is not None
    job = stream.UnpackJob(root, "/", "build", owner=None, overwrite=True, follow=True)
    try:
        stream.copy(None, job, stdin=fd)
    except (stream.CopyError, PlaceError) as exc:
        raise ScopeboxError(str(exc)) from None


class CopyPlan:
    """One COPY/ADD: the sources as a tar (made first: its digest is the cache key), then
    unpacked into the step container's root."""

    def __init__(self, b: BuildHost, ins: Instruction, sources: list[str], dest: str, chown: str,
                 chmod: int | None, tmp: Any) -> None:  # fmt: skip
        self.b, self.ins, self.sources, self.dest = b, ins, sources, dest
        self.chown, self.chmod, self.tmp = chown, chmod, tmp
        self.files = False
        self.single = ""  # the one file's base name when `dest` may name a directory

    def prepare(self) -> str:
        """Writes the tar (owners fixed later if --chown names a user) and returns its digest."""
        tar = srcs.SourceTar(self.tmp, srcs.Owner(0, 0) if not self.chown else
                             _numeric_owner(self.chown), self.chmod)  # fmt: skip
        from_ = self.ins.flag("from")
        urls = [s for s in self.sources if is_url(s)]
        if urls and (self.ins.cmd != "ADD" or from_):
            raise UsageError(f"source can't be a URL for {self.ins.cmd}")  # Podman's words
        if from_:
            self._from_image(tar, from_)
        else:
            local = [s for s in self.sources if not is_url(s)]
            for url in urls:
                self._from_url(tar, url)
            if local:
                self._from_context(tar, local)
        tar.close()
        return tar.digest()

    def _into_dir(self, count: int) -> bool:
        return count > 1 or self.dest.endswith("/")

    def _from_url(self, tar: srcs.SourceTar, url: str) -> None:
        """ADD of a URL: fetched as one file, mode 0600, its time the server's Last-Modified
        (buildah's), named after the URL's last path part when `dest` is a directory."""
        import email.utils
        import shutil
        import urllib.error
        import urllib.parse
        import urllib.request

        if url.startswith("git@"):
            raise UsageError(f"ADD {url}: git sources are not supported by this builder")
        name = os.path.basename(urllib.parse.urlparse(url).path.rstrip("/")) or "index.html"
        into = self._into_dir(len(self.sources))
        target = f"{self.dest.rstrip('/')}/{name}" if into else self.dest
        if not into:
            self.single = name
        self.files = True
        with tempfile.TemporaryFile(dir=self.b.tmpdir()) as body:
            try:
                with urllib.request.urlopen(url, timeout=120) as resp:
                    shutil.copyfileobj(resp, body)
                    modified = resp.headers.get("Last-Modified")
            except urllib.error.HTTPError as exc:
                raise UsageError(f'reading "{url}": invalid response status {exc.code}') from None
            except (urllib.error.URLError, OSError, ValueError) as exc:
                why = getattr(exc, "reason", exc)
                why = getattr(why, "strerror", None) or str(why)
                raise UsageError(f'reading "{url}": Get "{url}": {why.lower()}') from None
            info = tarfile.TarInfo(target)
            info.size, info.mode = body.tell(), 0o600
            try:
                when = email.utils.parsedate_to_datetime(modified) if modified else None
            except (TypeError, ValueError):
                when = None
            info.mtime = int(when.timestamp()) if when is not None else int(time.time())
            body.seek(0)
            tar.add(info, body)

    def _from_context(self, tar: srcs.SourceTar, sources: list[str]) -> None:
        ctx = self.b.opts.context
        found = srcs.context_sources(ctx, sources, self.b.rules, self.ins.cmd)
        into = self._into_dir(len(found) + len(self.sources) - len(sources))
        top = os.path.realpath(ctx)
        for rel in found:
            path = os.path.join(top, rel)
            if self.ins.cmd == "ADD" and srcs.is_archive(path):
                srcs.add_archive(tar, path, self.dest)
                continue
            if os.path.isdir(path) and not os.path.islink(path):
                srcs.add_context_tree(tar, ctx, rel, self.dest, self.b.rules)
            else:
                self.files = True
                name = os.path.basename(rel)
                target = f"{self.dest.rstrip('/')}/{name}" if into else self.dest
                if not into:
                    self.single = name
                tar.add_path(path, target)

    def _from_image(self, tar: srcs.SourceTar, ref: str) -> None:
        from supervisor.copy import stream
        from supervisor.copy.ops import mounted

        image_id = self._source_image(ref)
        row = self.b.container(self.b.state_of(image_id), image_id, ["true"], [])
        try:
            with mounted(self.b.eng, self.b.eng.find(row.id)) as root:
                into = self._into_dir(len(self.sources))
                for src in self.sources:
                    path = src if src.startswith("/") else "/" + src
                    with tempfile.TemporaryFile(dir=self.b.tmpdir()) as part:
                        header: dict[str, Any] = {}
                        job = stream.PackJob(root, path, f"image {ref}", None)
                        try:
                            stream.pack_to(job, part.fileno(), header.update)
                        except (stream.CopyError, ScopeboxError) as exc:
                            raise UsageError(str(exc)) from None
                        part.seek(0)
                        is_dir = header.get("kind") == "dir"
                        name = str(header.get("name", ""))
                        self.files = self.files or not is_dir
                        base = os.path.basename(path.rstrip("/"))
                        target = self.dest if is_dir or not into else \
                            f"{self.dest.rstrip('/')}/{base}"
                        if not is_dir and not into:
                            self.single = base
                        srcs.add_tar_stream(tar, _fd_path(part), name, target,
                                            single=not is_dir)
        finally:
            with contextlib.suppress(ScopeboxError):
                self.b.eng.remove(row.id, force=True)

    def _source_image(self, ref: str) -> str:
        stage = self.b.opts.parsed.stage_named(ref)
        if stage is not None and stage.index in self.b.stage_images:
            return self.b.stage_images[stage.index]
        if ref.isdigit() and int(ref) in self.b.stage_images:
            return self.b.stage_images[int(ref)]
        return self.b.base_image(ref)

    def unpack(self, row: ContainerRow, root: str | None) -> None:
        assert root is not None
        into_dir = self.single and _is_dir_in(root, self.dest)
        if into_dir or (self.chown and not _numeric(self.chown)):
            # `COPY f /existing-dir`: Docker's rule, the file goes inside it (never over it)
            self._rewrite(root, f"{self.dest.rstrip('/')}/{self.single}" if into_dir else "")
        self.tmp.seek(0)
        unpack_into(self.b.eng, root, self.tmp.fileno())

    def _rewrite(self, root: str, rename: str) -> None:
        """--chown=name[:group] resolved in the step's root (the tar's owners set), and/or
        the single file's entry renamed (`rename`)."""
        from supervisor.users import resolve_user

        owner = srcs.Owner()
        if self.chown and not _numeric(self.chown):
            user = resolve_user(root, self.chown)
            owner = srcs.Owner(user.uid, user.gid)
        self.tmp.seek(0)
        with tempfile.TemporaryFile(dir=self.b.tmpdir()) as out:
            tar = srcs.SourceTar(out, owner, None)
            with tarfile.open(fileobj=self.tmp, mode="r:") as src:
                for m in src:
                    if rename and m.name == self.dest.strip("/"):
                        m.name = rename
                    tar.add(m, src.extractfile(m) if m.isfile() else None, keep_owner=True)
            tar.close()
            out.seek(0)
            self.tmp.seek(0)
            self.tmp.truncate()
            while chunk := out.read(1 << 20):
                self.tmp.write(chunk)
            self.tmp.flush()


def is_url(source: str) -> bool:
    """An ADD source fetched, not read from the context (Docker's prefixes)."""
    return source.startswith(("http://", "https://", "git@"))


def _is_dir_in(root: str, path: str) -> bool:
    """Whether `path` is a directory as the container sees it (a child chrooted into `root`
    asks: its symlinks resolve inside)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        code = 2
        try:
            os.chroot(root)
            code = 0 if os.path.isdir(path) else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def _fd_path(f: Any) -> str:
    return f"/proc/self/fd/{f.fileno()}"


def _numeric(spec: str) -> bool:
    user, _, group = spec.partition(":")
    return user.isdigit() and (not group or group.isdigit())


def _numeric_owner(spec: str) -> srcs.Owner:
    if not _numeric(spec):
        return srcs.Owner(0, 0)  # a name: resolved in the step's root (_rewrite_owner)
    user, _, group = spec.partition(":")
    return srcs.Owner(int(user), int(group or user))


