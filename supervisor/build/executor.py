"""Run a parsed Containerfile through the engine, as `podman build` (buildah) does.

Each step ends in an image (Podman's intermediate images, `<none>` names): a config-only step
(ENV, CMD, ...) writes a new config over the same layers; RUN runs a step container from the
current image (the config's env, workdir and user; ENTRYPOINT ignored) and COPY/ADD unpack a
tar into a created one's root; both then pack the container's upper dir as one layer
(`copy/commit.py:pack_upper`) and remove the container. With `--layers` (the default) a step's
image is kept in `build_cache` under (parent image, instruction, content digest) and reused by
the next build; `--no-cache` skips the lookup; `--layers=false` removes the intermediate
images at the end. What a failed step made (its container, mounts) is removed before the
error goes up."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from supervisor.build import context as srcs
from supervisor.build import ignore
from supervisor.build.parser import (
    BuildFileError,
    Containerfile,
    Instruction,
    Stage,
    arg_decl,
    command,
    expand,
    expand_words,
    key_values,
    parse_instruction,
)
from supervisor.errors import ScopeboxError, UsageError

if TYPE_CHECKING:
    from supervisor.engine import Engine
    from supervisor.manifests import Descriptor
    from supervisor.options import CreateOptions
    from supervisor.store import ContainerRow

DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_SHELL = ["/bin/sh", "-c"]
_CACHE_TABLE = (
    "CREATE TABLE IF NOT EXISTS build_cache (parent TEXT NOT NULL, key TEXT NOT NULL,"
    " image TEXT NOT NULL, PRIMARY KEY (parent, key))"
)
_LAYER_VERBS = ("RUN", "COPY", "ADD")


class StepFailed(ScopeboxError):
    """A RUN that exited non-zero: Podman's words, and its exit code as the build's."""

    def __init__(self, original: str, code: int) -> None:
        super().__init__(f'building at STEP "{original}": while running runtime: exit status'
                         f" {code}")  # fmt: skip
        self.exit_code = code


@dataclass(frozen=True)
class BuildOptions:
    context: str
    file: Containerfile
    tags: tuple[str, ...] = ()
    build_args: dict[str, str] = field(default_factory=dict)
    target: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    quiet: bool = False
    no_cache: bool = False
    layers: bool = True
    rm: bool = True
    force_rm: bool = True
    format: str = "oci"
    pull: str = "missing"
    network: str = ""  # "": as `run`'s default (containers.conf netns, else the bridge)
    env: tuple[str, ...] = ()  # --env for RUN steps and the image (Podman's build --env)


@dataclass
class _State:
    """The image a stage has built so far."""

    config: dict[str, Any]  # the whole OCI image config
    layers: list[Descriptor]
    image_id: str = ""  # stored as this image ("": not yet)
    args: dict[str, str] = field(default_factory=dict)  # the stage's declared ARGs
    cmd_set: bool = False  # CMD given in this stage (ENTRYPOINT then keeps it)


class Output:
    """Where the build's lines and RUN's output go (a descriptor: the CLI's stdout, or the
    REST face's pipe)."""

    def __init__(self, fd: int, quiet: bool) -> None:
        self.fd, self.quiet = fd, quiet

    def line(self, text: str) -> None:
        if not self.quiet:
            os.write(self.fd, (text + "\n").encode())


class Builder:
    def __init__(self, eng: Engine, opts: BuildOptions, out: Output,
                 prepare: Callable[[CreateOptions], CreateOptions]) -> None:  # fmt: skip
        self.eng, self.opts, self.out, self.prepare = eng, opts, out, prepare
        self.made: list[str] = []  # intermediate images this build stored
        self.stage_images: dict[int, str] = {}
        self.rules = ignore.read(opts.context)
        self.global_args: dict[str, str] = {}
        self.used_args: set[str] = set()

    # --- the whole build ---------------------------------------------------------------------

    def build(self) -> str:
        """The final image's id."""
        file = self.opts.file
        for ins in file.global_args:
            name, default = arg_decl(ins.args, self.global_args, file.escape)
            self.global_args[name] = self.opts.build_args.get(name, default or "")
        stages = self._stages()
        final: _State | None = None
        for stage in stages:
            final = self._stage(stage, len(stages))
        assert final is not None
        try:
            return self._commit(final)
        finally:
            if not self.opts.layers:
                self._drop_intermediates()

    def _stages(self) -> list[Stage]:
        stages = list(self.opts.file.stages)
        if not self.opts.target:
            return stages
        found = self.opts.file.stage_named(self.opts.target)
        if found is None:
            raise UsageError(f'building target "{self.opts.target}": no stage or image with'
                             " that name")  # fmt: skip
        return stages[: found.index + 1]

    def _stage(self, stage: Stage, count: int) -> _State:
        prefix = f"[{stage.index + 1}/{count}] " if count > 1 else ""
        total = len(stage.steps) + 1
        self.out.line(f"{prefix}STEP 1/{total}: {stage.origin.original}")
        state = self._from(stage)
        triggers = state.config.get("config", {}).pop("OnBuild", None) or []
        for text in triggers:  # ONBUILD of the base: run now, as if written after FROM
            self._step(parse_instruction(text, stage.origin.line, self.opts.file.escape), state)
        final = stage.index == count - 1
        for n, ins in enumerate(stage.steps, 2):
            self.out.line(f"{prefix}STEP {n}/{total}: {ins.original}")
            self._step(ins, state)
            if not (final and n == total):  # the last one's line comes with COMMIT
                self.out.line(f"--> {state.image_id[:11]}")
        self.stage_images[stage.index] = self._stored(state)
        return state

    # --- FROM ------------------------------------------------------------------------------

    def _from(self, stage: Stage) -> _State:
        base = expand(stage.base, self.global_args, self.opts.file.escape)
        if stage.platform:
            from supervisor.notices import notice

            notice(f"FROM --platform={stage.platform}: this builder builds for the host's"
                   " platform only")
        earlier = self.opts.file.stage_named(base)
        if earlier is not None and earlier.index < stage.index:
            img_id = self.stage_images[earlier.index]
            return self._state_of(img_id)
        if base == "scratch":
            # one empty layer: the store (and a step container) needs an image to have one
            desc, diff_id = _empty_layer(self.eng)
            from supervisor.timefmt import now_rfc3339

            cfg = {"architecture": _arch(), "os": "linux", "config": {"Env": [DEFAULT_PATH]},
                   "rootfs": {"type": "layers", "diff_ids": [f"sha256:{diff_id}"]},
                   "history": [{"created": now_rfc3339(),
                                "created_by": "/bin/sh -c #(nop) FROM scratch (an empty layer)"}]}
            return _State(cfg, [desc])
        return self._state_of(self._base_image(base))

    def _base_image(self, ref: str) -> str:
        from supervisor.container.create import _pull_for_create
        from supervisor.images import resolve
        from supervisor.options import CreateOptions

        opts = _pull_for_create(self.eng, CreateOptions(image=ref, pull=self.opts.pull))
        return resolve(self.eng.store, opts.image).id

    def _state_of(self, image_id: str) -> _State:
        from supervisor import images
        from supervisor.blobs import BlobStore

        blobs = images.image_blobs(self.eng.store, image_id)
        # the config blob itself: the stored row's copy may be normalised, and an image
        # stored again from it must keep its id (a fully cached build ends where it began)
        with open(BlobStore(self.eng.paths).path(blobs.config.digest), "rb") as f:
            cfg = json.loads(f.read())
        cfg.setdefault("config", {})
        return _State(cfg, list(blobs.layers), blobs.image_id)

    # --- one instruction -----------------------------------------------------------------

    def _env(self, state: _State) -> dict[str, str]:
        """What expands `$X` here: the stage's ARGs, and ENV over them (Docker's order)."""
        env = dict(state.args)
        for item in state.config["config"].get("Env") or []:
            key, _, value = item.partition("=")
            env[key] = value
        return env

    def _step(self, ins: Instruction, state: _State) -> None:
        if ins.cmd in _LAYER_VERBS:
            if ins.cmd == "RUN":
                self._run(ins, state)
            else:
                self._copy(ins, state)
            return
        cfg = state.config["config"]
        apply_config(ins, cfg, state, self._env(state), self.opts.file.escape, self)
        if ins.cmd == "WORKDIR":  # made now, as Docker's (a layer with the directory)
            key = _key(ins.original, json.dumps(state.config, sort_keys=True))
            if not self._cached(state, key):
                path = cfg["WorkingDir"]
                self._layer_step(state, key, f"/bin/sh -c #(nop) WORKDIR {path}",
                                 lambda row, root: self._dirs(path, root))
            return
        self._config_step(ins, state)

    def _config_step(self, ins: Instruction, state: _State) -> None:
        key = _key(ins.original, json.dumps(state.config["config"], sort_keys=True),
                   json.dumps(state.args, sort_keys=True))
        if self._cached(state, key):
            return
        self._history(state, f"/bin/sh -c #(nop) {ins.original}", empty=True)
        self._store_step(state, key)

    # --- RUN ---------------------------------------------------------------------------------

    def _run(self, ins: Instruction, state: _State) -> None:
        cfg = state.config["config"]
        shell = list(cfg.get("Shell") or DEFAULT_SHELL)
        argv = command(ins, shell)
        if ins.flag("mount") or ins.flag("network") or ins.flag("security"):
            raise UsageError(f"RUN --{ins.flags[0][0]} is not supported by this builder")
        # ARG values are the step's environment, not the image's (Docker's rule)
        args = sorted(f"{k}={v}" for k, v in state.args.items()
                      if not any(e.startswith(f"{k}=") for e in cfg.get("Env") or []))
        key = _key("RUN", json.dumps(argv), json.dumps(args), json.dumps(sorted(self.opts.env)),
                   json.dumps(cfg, sort_keys=True))
        if self._cached(state, key):
            return

        def work(row: ContainerRow, root: str | None) -> None:
            code = self._run_container(row)
            if code != 0:
                raise StepFailed(ins.original, code)

        self._layer_step(state, key, _created_by(argv, shell, ins), work, argv,
                         [*args, *self.opts.env], started=True)

    def _run_container(self, row: ContainerRow) -> int:
        started = self.eng.start(row.id, attach=True)
        fd = self.out.fd if not self.out.quiet else None
        null = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
        try:
            record = None
            if started.attach is not None:
                out = fd if fd is not None else null
                record = started.attach.pump(None, out, out, b"")
        finally:
            os.close(null)
        code = record.exit_code if record is not None else self.eng.wait(row.id)
        self.eng.cleanup(row.id)
        return code

    # --- COPY / ADD ---------------------------------------------------------------------------

    def _copy(self, ins: Instruction, state: _State) -> None:
        env = self._env(state)
        esc = self.opts.file.escape
        words = list(ins.json_args) if ins.json_args is not None else expand_words(
            ins.args, env, esc)  # fmt: skip
        if ins.json_args is not None:
            words = [expand(w, env, esc) for w in words]
        if len(words) < 2:
            raise BuildFileError(f"{ins.cmd} requires at least two arguments: {ins.original!r}")
        *sources, dest = words
        workdir = state.config["config"].get("WorkingDir") or "/"
        dest = dest if dest.startswith("/") else os.path.join(workdir, dest) + (
            "/" if dest.endswith("/") or dest in (".", "./") else "")  # fmt: skip
        chmod = _chmod(ins.flag("chmod")) if ins.flag("chmod") else None
        spec = expand(ins.flag("chown"), env, esc)
        if any(s.startswith(("http://", "https://", "git@")) for s in sources):
            raise UsageError(f'building at STEP "{ins.original}": ADD of a URL needs the'
                             " internet, which this builder does not reach: put the file in the"
                             " build context")  # fmt: skip
        with tempfile.TemporaryFile(dir=self._tmpdir()) as tmp:
            plan = _CopyPlan(self, ins, sources, dest, spec, chmod, tmp)
            digest = plan.prepare()
            key = _key(ins.cmd, digest, dest, spec, str(chmod),
                       json.dumps(state.config["config"], sort_keys=True))
            if self._cached(state, key):
                return
            created_by = f"/bin/sh -c #(nop) {ins.cmd} {'file' if plan.files else 'dir'}:" \
                         f"{digest} in {dest} "
            self._layer_step(state, key, created_by, plan.unpack)

    def _tmpdir(self) -> str:
        path = os.path.join(self.eng.paths.runroot, "build-tmp")
        os.makedirs(path, mode=0o700, exist_ok=True)
        return path

    def _dirs(self, path: str, root: str | None) -> None:
        """WORKDIR's directory, made by a child chrooted into the step's root (its symlinks
        resolve there); one that exists is left as it is (WORKDIR /tmp keeps 1777)."""
        assert root is not None
        pid = os.fork()
        if pid == 0:  # pragma: no cover (the child)
            code = 1
            try:
                os.chroot(root)
                os.chdir("/")
                os.umask(0o022)
                os.makedirs(path, 0o755, exist_ok=True)
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise UsageError(f'WORKDIR {path}: cannot make the directory (a file is in the way)')

    # --- steps that make a layer ------------------------------------------------------------

    def _layer_step(self, state: _State, key: str, created_by: str,
                    work: Callable[[ContainerRow, str | None], None], argv: list[str] | None = None,
                    env: list[str] | None = None, started: bool = False) -> None:  # fmt: skip
        from supervisor.copy.commit import pack_upper
        from supervisor.copy.ops import mounted

        image_id = self._stored(state)
        row = self._container(state, image_id, argv or ["true"], env or [])
        ok = False
        try:
            if started:
                work(row, None)
            else:
                with mounted(self.eng, self.eng.find(row.id)) as root:
                    work(row, root)
            layer, diff_id = pack_upper(self.eng, self.eng.find(row.id))
            ok = True
        finally:
            if (ok and self.opts.rm) or (not ok and self.opts.force_rm):
                with contextlib.suppress(ScopeboxError):
                    self.eng.remove(row.id, force=True)
        state.layers.append(layer)
        state.config.setdefault("rootfs", {"type": "layers", "diff_ids": []})
        state.config["rootfs"].setdefault("diff_ids", []).append(f"sha256:{diff_id}")
        self._history(state, created_by, empty=False)
        self._store_step(state, key)

    def _container(self, state: _State, image_id: str, argv: list[str],
                   env: list[str]) -> ContainerRow:  # fmt: skip
        from supervisor.options import CreateOptions

        cfg = state.config["config"]
        opts = CreateOptions(image=image_id, command=argv, entrypoint=[], env=env,
                             workdir=cfg.get("WorkingDir") or None,
                             user=cfg.get("User") or None, network=self.opts.network,
                             log_driver="none", pull="never", image_volume="ignore",
                             labels={"io.scopebox.build": "step"})  # fmt: skip
        return self.eng.create(self.prepare(opts))

    # --- images and the cache -----------------------------------------------------------

    def _history(self, state: _State, created_by: str, empty: bool) -> None:
        from supervisor.timefmt import now_rfc3339

        now = now_rfc3339()
        state.config["created"] = now
        entry: dict[str, Any] = {"created": now, "created_by": created_by}
        if empty:
            entry["empty_layer"] = True
        state.config["history"] = [*(state.config.get("history") or []), entry]

    def _stored(self, state: _State, names: list[str] | None = None) -> str:
        if state.image_id and not names:
            return state.image_id
        state.image_id = store_image(self.eng, state.config, state.layers, self.opts.format,
                                     names or [])  # fmt: skip
        return state.image_id

    def _store_step(self, state: _State, key: str) -> None:
        parent = state.image_id
        state.image_id = ""
        image_id = self._stored(state)
        self.made.append(image_id)
        if self.opts.layers and parent:
            self.eng.store.ensure_table("build_cache", _CACHE_TABLE)
            with self.eng.store.transaction() as db:
                db.execute("INSERT OR REPLACE INTO build_cache (parent, key, image) VALUES"
                           " (?, ?, ?)", (parent, key, image_id))  # fmt: skip

    def _cached(self, state: _State, key: str) -> bool:
        if self.opts.no_cache or not self.opts.layers or not state.image_id:
            return False
        store = self.eng.store
        if not store.has_table("build_cache"):
            return False
        rows = store.query("SELECT image FROM build_cache WHERE parent = ? AND key = ?",
                           (self._stored(state), key))  # fmt: skip
        if not rows or store.get_image(rows[0][0]) is None:
            return False
        image_id = str(rows[0][0])
        self.out.line(f"--> Using cache {image_id}")
        fresh = self._state_of(image_id)
        state.config, state.layers, state.image_id = fresh.config, fresh.layers, image_id
        return True

    def _commit(self, state: _State) -> str:
        from supervisor.refs import normalize_name

        names = [normalize_name(t) for t in self.opts.tags]
        cfg = state.config["config"]
        if self.opts.labels:
            cfg["Labels"] = {**(cfg.get("Labels") or {}), **self.opts.labels}
            state.image_id = ""
        self.out.line(f"COMMIT {self.opts.tags[0] if self.opts.tags else ''}".rstrip())
        if self.opts.format == "docker" and state.image_id:
            state.image_id = ""  # another manifest type: stored again
        image_id = self._stored(state, names)
        if self.opts.annotations:
            annotate(self.eng, image_id, self.opts.annotations)
        if image_id in self.made:
            self.made.remove(image_id)
        self.out.line(f"--> {image_id[:11]}")
        for name in names:
            self.out.line(f"Successfully tagged {name}")
        return image_id

    def _drop_intermediates(self) -> None:
        from supervisor import images

        for image_id in reversed(self.made):
            with contextlib.suppress(ScopeboxError):  # a step image another build reuses
                images.remove_image(self.eng.store, image_id)


def store_image(eng: Engine, config: dict[str, Any], layers: list[Descriptor], fmt: str,
                names: list[str]) -> str:  # fmt: skip
    from supervisor import images
    from supervisor.blobs import BlobStore
    from supervisor.manifests import DOCKER_CONFIG, OCI_CONFIG, Descriptor, build_manifest
    from supervisor.manifests import config_bytes as dump

    data = dump(config)
    blobs = BlobStore(eng.paths)
    cfg_desc = Descriptor(OCI_CONFIG if fmt == "oci" else DOCKER_CONFIG, blobs.put_bytes(data),
                          len(data))  # fmt: skip
    manifest = build_manifest(cfg_desc, layers, oci=fmt == "oci")
    digest = blobs.put_bytes(manifest)
    return images.commit_image(eng.store, digest, manifest, data, names, None).id


def annotate(eng: Engine, image_id: str, annotations: dict[str, str]) -> None:
    """`--annotation`: the image's manifest again, with them (its id, the config's digest,
    stays; push and save send this manifest)."""
    from supervisor.blobs import BlobStore

    img = eng.store.get_image(image_id)
    if img is None or not img.digest:
        return
    blobs = BlobStore(eng.paths)
    doc = json.loads(blobs.read_bytes(img.digest, 4 << 20))
    doc["annotations"] = {**(doc.get("annotations") or {}), **annotations}
    digest = blobs.put_bytes(json.dumps(doc, indent=2).encode())
    eng.store.set_image_manifest(image_id, digest,
                                 [digest, *(b for b in img.blobs if b != img.digest)])


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _empty_layer(eng: Engine) -> tuple[Descriptor, str]:
    import gzip

    from supervisor.blobs import BlobStore
    from supervisor.layers import MEDIA_TAR_GZIP
    from supervisor.manifests import Descriptor

    raw = b"\0" * 1024  # an empty tar: its two zero blocks
    data = gzip.compress(raw, mtime=0)
    digest = BlobStore(eng.paths).put_bytes(data)
    return Descriptor(MEDIA_TAR_GZIP, digest, len(data)), hashlib.sha256(raw).hexdigest()


def _arch() -> str:
    from supervisor.images import _host_arch

    return _host_arch()


def _chmod(text: str) -> int:
    try:
        return int(text, 8)
    except ValueError:
        raise BuildFileError(f"invalid --chmod {text!r}: an octal mode") from None


def _created_by(argv: list[str], shell: list[str], ins: Instruction) -> str:
    if ins.json_args is not None:
        return f"/bin/sh -c #(nop) RUN {json.dumps(argv)}"
    return " ".join([*shell, ins.args])


def _unpack_into(eng: Engine, root: str | None, fd: int) -> None:
    from supervisor.copy import stream
    from supervisor.copy.place import PlaceError

    assert root is not None
    job = stream.UnpackJob(root, "/", "build", owner=None, overwrite=True, follow=True)
    try:
        stream.copy(None, job, stdin=fd)
    except (stream.CopyError, PlaceError) as exc:
        raise ScopeboxError(str(exc)) from None


class _CopyPlan:
    """One COPY/ADD: the sources as a tar (made first: its digest is the cache key), then
    unpacked into the step container's root."""

    def __init__(self, b: Builder, ins: Instruction, sources: list[str], dest: str, chown: str,
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
        if from_:
            self._from_image(tar, from_)
        else:
            self._from_context(tar)
        tar.close()
        return tar.digest()

    def _into_dir(self, count: int) -> bool:
        return count > 1 or self.dest.endswith("/")

    def _from_context(self, tar: srcs.SourceTar) -> None:
        ctx = self.b.opts.context
        found = srcs.context_sources(ctx, self.sources, self.b.rules, self.ins.cmd)
        into = self._into_dir(len(found))
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
        row = self.b._container(self.b._state_of(image_id), image_id, ["true"], [])
        try:
            with mounted(self.b.eng, self.b.eng.find(row.id)) as root:
                into = self._into_dir(len(self.sources))
                for src in self.sources:
                    path = src if src.startswith("/") else "/" + src
                    with tempfile.TemporaryFile(dir=self.b._tmpdir()) as part:
                        header: dict[str, Any] = {}
                        job = stream.PackJob(root, path, f"image {ref}", None)
                        try:
                            stream.pack_to(job, part.fileno(), header.update)
                        except (stream.CopyError, ScopeboxError) as exc:
                            raise UsageError(f'building at STEP "{self.ins.original}": {exc}'
                                             ) from None  # fmt: skip
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
        stage = self.b.opts.file.stage_named(ref)
        if stage is not None and stage.index in self.b.stage_images:
            return self.b.stage_images[stage.index]
        if ref.isdigit() and int(ref) in self.b.stage_images:
            return self.b.stage_images[int(ref)]
        return self.b._base_image(ref)

    def unpack(self, row: ContainerRow, root: str | None) -> None:
        assert root is not None
        into_dir = self.single and _is_dir_in(root, self.dest)
        if into_dir or (self.chown and not _numeric(self.chown)):
            # `COPY f /existing-dir`: Docker's rule, the file goes inside it (never over it)
            self._rewrite(root, f"{self.dest.rstrip('/')}/{self.single}" if into_dir else "")
        self.tmp.seek(0)
        _unpack_into(self.b.eng, root, self.tmp.fileno())

    def _rewrite(self, root: str, rename: str) -> None:
        """--chown=name[:group] resolved in the step's root (the tar's owners set), and/or
        the single file's entry renamed (`rename`)."""
        import tarfile

        from supervisor.users import resolve_user

        owner = srcs.Owner()
        if self.chown and not _numeric(self.chown):
            user = resolve_user(root, self.chown)
            owner = srcs.Owner(user.uid, user.gid)
        self.tmp.seek(0)
        with tempfile.TemporaryFile(dir=self.b._tmpdir()) as out:
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


# --- config-only instructions ----------------------------------------------------------------


def apply_config(ins: Instruction, cfg: dict[str, Any], state: _State, env: dict[str, str],
                 esc: str, b: Builder) -> None:  # fmt: skip
    verb, args = ins.cmd, ins.args
    if verb == "ENV":
        for key, value in key_values(args, env, esc, "ENV"):
            env[key] = value
            cfg["Env"] = [*(e for e in cfg.get("Env") or [] if not e.startswith(f"{key}=")),
                          f"{key}={value}"]  # fmt: skip
    elif verb == "LABEL":
        for key, value in key_values(args, env, esc, "LABEL"):
            cfg["Labels"] = {**(cfg.get("Labels") or {}), key: value}
    elif verb == "ARG":
        name, default = arg_decl(args, env, esc)
        value = b.opts.build_args.get(name, default if default is not None
                                      else b.global_args.get(name, ""))  # fmt: skip
        state.args[name] = value
    elif verb == "WORKDIR":
        path = expand(args, env, esc)
        if not path:
            raise BuildFileError("WORKDIR requires exactly one argument")
        path = os.path.normpath(os.path.join(cfg.get("WorkingDir") or "/", path))
        cfg["WorkingDir"] = path
    elif verb in ("USER", "STOPSIGNAL"):
        value = expand(args, env, esc)
        if not value:
            raise BuildFileError(f"{verb} requires exactly one argument")
        cfg["User" if verb == "USER" else "StopSignal"] = value
    elif verb == "EXPOSE":
        for port in expand_words(args, env, esc):
            cfg.setdefault("ExposedPorts", {})[port if "/" in port else f"{port}/tcp"] = {}
    elif verb == "VOLUME":
        paths = list(ins.json_args) if ins.json_args is not None else expand_words(args, env, esc)
        for path in paths:
            cfg.setdefault("Volumes", {})[path] = {}
    elif verb in ("CMD", "ENTRYPOINT"):
        argv = command(ins, list(cfg.get("Shell") or DEFAULT_SHELL))
        if verb == "CMD":
            cfg["Cmd"], state.cmd_set = argv, True
        else:
            cfg["Entrypoint"] = argv
            if not state.cmd_set:
                cfg.pop("Cmd", None)  # Docker: a new ENTRYPOINT drops the base's CMD
    elif verb == "SHELL":
        if ins.json_args is None or not ins.json_args:
            raise BuildFileError("SHELL requires the arguments to be in JSON form")
        cfg["Shell"] = list(ins.json_args)
    elif verb == "HEALTHCHECK":
        cfg["Healthcheck"] = healthcheck(ins, list(cfg.get("Shell") or DEFAULT_SHELL))
    elif verb == "ONBUILD":
        trigger = parse_instruction(args, ins.line, esc)
        if trigger.cmd in ("ONBUILD", "FROM", "MAINTAINER"):
            raise BuildFileError(f"{trigger.cmd} isn't allowed as an ONBUILD trigger")
        cfg["OnBuild"] = [*(cfg.get("OnBuild") or []), args]
    elif verb == "MAINTAINER":
        state.config["author"] = args


_DURATIONS = {"interval": "Interval", "timeout": "Timeout", "start-period": "StartPeriod"}


def healthcheck(ins: Instruction, shell: list[str]) -> dict[str, Any]:
    from supervisor.build.parser import parse_instruction as _p

    if ins.args.strip().upper() == "NONE":
        return {"Test": ["NONE"]}
    kind, _, rest = ins.args.partition(" ")
    if kind.upper() != "CMD" or not rest.strip():
        raise BuildFileError(f"HEALTHCHECK: expected NONE or CMD: {ins.original!r}")
    inner = _p(f"CMD {rest.strip()}", ins.line)
    test = ["CMD", *inner.json_args] if inner.json_args is not None else ["CMD-SHELL",
                                                                          inner.args]
    out: dict[str, Any] = {"Test": test}
    for flag, value in ins.flags:
        if flag in _DURATIONS:
            out[_DURATIONS[flag]] = _nanoseconds(value)
        elif flag == "retries":
            out["Retries"] = int(value) if value.isdigit() else 0
        else:
            raise BuildFileError(f"HEALTHCHECK: unknown flag --{flag}")
    return out


def _nanoseconds(text: str) -> int:
    from supervisor.health import parse_duration

    try:
        return parse_duration("HEALTHCHECK duration", text)
    except UsageError:
        raise BuildFileError(f"HEALTHCHECK: bad duration {text!r}") from None


__all__ = ["BuildOptions", "Builder", "Output", "StepFailed"]
