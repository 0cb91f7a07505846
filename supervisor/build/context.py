"""COPY and ADD sources from the build context (or another image's root) as one tar stream
with the layer's final names, owners and modes, for the copy unpacker (`copy/stream.py`) to
write into the step container's root. Also the digest of what is copied, for the cache."""

from __future__ import annotations

import glob
import hashlib
import os
import stat
import tarfile
from dataclasses import dataclass
from typing import IO

from supervisor.build import ignore
from supervisor.build.parser import BuildFileError


@dataclass(frozen=True)
class Owner:
    uid: int | None = None  # None: keep (an archive ADD unpacks: its own owners)
    gid: int | None = None


class SourceTar:
    """A tar being written (to a file) of what one COPY/ADD puts into the layer."""

    def __init__(self, out: IO[bytes], owner: Owner, chmod: int | None) -> None:
        self.tar = tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT)  # noqa: SIM115
        self.owner, self.chmod = owner, chmod
        self.sha = hashlib.sha256()
        self.count = 0
        self.links: dict[tuple[int, int], str] = {}  # (dev, inode): the first name written

    def close(self) -> None:
        self.tar.close()

    def digest(self) -> str:
        return self.sha.hexdigest()

    def add(self, info: tarfile.TarInfo, data: IO[bytes] | None, keep_owner: bool = False) -> None:
        info.name = info.name.strip("/")
        if not info.name:
            return
        if not keep_owner or self.owner.uid is not None:
            info.uid, info.gid = self.owner.uid or 0, self.owner.gid or 0
            info.uname = info.gname = ""
        if self.chmod is not None and not info.issym():
            info.mode = self.chmod
        content = hashlib.sha256()
        if data is not None and info.isfile():
            self.tar.addfile(info, _Hashing(data, content))
        else:
            self.tar.addfile(info)
        self.count += 1
        # the cache key: names, kinds, modes, owners and content; no times (Docker's rule)
        line = f"{info.name}\0{info.type!r}\0{info.mode:o}\0{info.uid}:{info.gid}\0"
        self.sha.update(line.encode() + info.linkname.encode() + content.digest())

    def add_path(self, host: str, name: str) -> None:
        """One host file, directory (its entry only) or symlink, by lstat: no name lookups."""
        st = os.lstat(host)
        info = tarfile.TarInfo(name)
        info.mode, info.mtime = stat.S_IMODE(st.st_mode), int(st.st_mtime)
        if stat.S_ISDIR(st.st_mode):
            info.type = tarfile.DIRTYPE
            self.add(info, None)
        elif stat.S_ISLNK(st.st_mode):
            info.type, info.linkname = tarfile.SYMTYPE, os.readlink(host)
            self.add(info, None)
        elif stat.S_ISREG(st.st_mode) and st.st_nlink > 1 and (
                first := self.links.get((st.st_dev, st.st_ino))) is not None:
            # a hardlink of a file this COPY already holds: a link again, one inode in the
            # layer (Docker's and buildah's)
            info.type, info.linkname = tarfile.LNKTYPE, first
            self.add(info, None)
        elif stat.S_ISREG(st.st_mode):
            if st.st_nlink > 1:
                self.links[(st.st_dev, st.st_ino)] = name.strip("/")
            info.size = st.st_size
            with open(host, "rb") as f:
                self.add(info, f)
        # devices, fifos and sockets in a context are left out (Docker refuses them too)


class _Hashing:
    def __init__(self, src: IO[bytes], sha: hashlib._Hash) -> None:
        self.src, self.sha = src, sha

    def read(self, size: int = -1) -> bytes:
        data = self.src.read(size)
        self.sha.update(data)
        return data


def context_sources(context: str, patterns: list[str], rules: list[ignore.Pattern],
                    verb: str) -> list[str]:  # fmt: skip
    """The context paths (relative) a COPY names: globs expanded, never outside the context."""
    top = os.path.realpath(context)
    found: list[str] = []
    for pat in patterns:
        rel = os.path.normpath(pat.lstrip("/")) if pat.strip("/") else "."
        if rel == ".." or rel.startswith("../"):
            raise BuildFileError(f"{verb} {pat}: the path is outside the build context")
        if glob.has_magic(rel):
            hits = sorted(os.path.relpath(h, top) for h in glob.glob(os.path.join(top, rel)))
            hits = [h for h in hits if not ignore.excluded(rules, h)]
        else:
            hits = [rel] if os.path.lexists(os.path.join(top, rel)) and (
                rel == "." or not ignore.excluded(rules, rel)) else []  # fmt: skip
        if not hits:
            raise BuildFileError(f'checking on sources under "{context}": "{pat}": no such file or'
                                 " directory")  # fmt: skip
        found.extend(hits)
    return found


def add_context_tree(out: SourceTar, context: str, rel: str, dest: str,
                     rules: list[ignore.Pattern]) -> None:  # fmt: skip
    """A context directory's content (not the directory itself) below `dest`, minus what the
    ignore file excludes; a file or symlink as `dest` itself."""
    top = os.path.realpath(context)
    path = os.path.join(top, rel)
    if not os.path.isdir(path) or os.path.islink(path):
        out.add_path(path, dest)
        return
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, top)
        for entry in sorted(dirnames + filenames):
            entry_rel = entry if rel_dir == "." else f"{rel_dir}/{entry}"
            if ignore.excluded(rules, entry_rel):
                if entry in dirnames and not ignore.may_reinclude(rules, entry_rel):
                    dirnames.remove(entry)
                continue
            below = os.path.relpath(os.path.join(dirpath, entry), path)
            out.add_path(os.path.join(dirpath, entry), f"{dest.rstrip('/')}/{below}")


def add_archive(out: SourceTar, archive: str, dest: str) -> None:
    """ADD of a local tar (plain, gzip, bzip2, xz): its entries unpacked below `dest`."""
    with tarfile.open(archive, mode="r:*") as tar:
        for member in tar:
            data = tar.extractfile(member) if member.isfile() else None
            if member.ischr() or member.isblk():
                continue  # no device nodes from a context's archive
            if member.islnk():
                member.linkname = f"{dest.strip('/')}/{member.linkname.lstrip('./')}"
            member.name = f"{dest.rstrip('/')}/{member.name.lstrip('./')}"
            out.add(member, data, keep_owner=True)


def is_archive(path: str) -> bool:
    if not os.path.isfile(path) or os.path.islink(path):
        return False
    try:
        return tarfile.is_tarfile(path)
    except OSError:
        return False


def add_tar_stream(out: SourceTar, tar_path: str, strip: str, dest: str, single: bool) -> None:
    """Entries of a tar the copy packer made from another image (`name/...` or `./...`),
    renamed below `dest` (`single`: the one entry becomes `dest` itself)."""
    with tarfile.open(tar_path, mode="r:") as tar:
        for member in tar:
            name = member.name.strip("/")
            if name == strip or name == ".":
                rest = ""
            elif strip in ("", ".") or not name.startswith(strip + "/"):
                rest = name.removeprefix("./")
            else:
                rest = name[len(strip) + 1:]
            if not rest and not single:
                continue
            member.name = dest if not rest else f"{dest.rstrip('/')}/{rest}"
            data = tar.extractfile(member) if member.isfile() else None
            if member.islnk():
                continue  # a hardlink into the other image's tree: left out
            out.add(member, data, keep_owner=True)
