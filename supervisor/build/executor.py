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
from typing import TYPE_CHECKING, Any

from supervisor.build import ignore
from supervisor.build.copying import CopyPlan
from supervisor.build.instructions import DEFAULT_SHELL, StageState, apply_config
from supervisor.build.options import BuildOptions
from supervisor.build.parser import (
    BuildFileError,
    Instruction,
    Stage,
    arg_decl,
    command,
    expand,
    expand_words,
    parse_instruction,
)
from supervisor.errors import ScopeboxError, UsageError

if TYPE_CHECKING:
    from supervisor.engine import Engine
    from supervisor.manifests import Descriptor
    from supervisor.options import CreateOptions
    from supervisor.store import ContainerRow

DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
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


class StepError(ScopeboxError):
    """Another step's error, framed as Podman frames it (its exit code kept)."""

    def __init__(self, original: str, cause: ScopeboxError) -> None:
        super().__init__(f'building at STEP "{original}": {cause}')
        self.exit_code = cause.exit_code


class FromError(ScopeboxError):
    """A FROM whose image is neither here nor pulled: Podman's frame, its exit code kept."""

    def __init__(self, cause: ScopeboxError) -> None:
        super().__init__(f"creating build container: {cause}")
        self.exit_code = cause.exit_code


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
        self.rules = ignore.read(opts.context, opts.ignorefile)
        self.global_args: dict[str, str] = {}
        self.monitors: list[ContainerRow] = []  # the RUN steps' (waited for at the end)

    # --- the whole build ---------------------------------------------------------------------

    def build(self) -> str:
        """The final image's id."""
        file = self.opts.parsed
        for ins in file.global_args:
            name, default = arg_decl(ins.args, self.global_args, file.escape)
            self.global_args[name] = self.opts.build_args.get(name, default or "")
        stages = self._stages()
        final: StageState | None = None
        for stage in stages:
            final = self._stage(stage, len(stages))
        assert final is not None
        try:
            return self._commit(final)
        finally:
            if not self.opts.layers:
                self._drop_intermediates()

    def finish(self) -> None:
        """Wait for the RUN steps' monitors to end (their exit commands find their containers
        gone): the build returns with no scope or process of theirs left."""
        for row in self.monitors:
            self.eng.wait_monitor_gone(row, 10)

    def _stages(self) -> list[Stage]:
        stages = list(self.opts.parsed.stages)
        if not self.opts.target:
            return stages
        found = self.opts.parsed.stage_named(self.opts.target)
        if found is None:
            raise UsageError(f'building target "{self.opts.target}": no stage or image with'
                             " that name")  # fmt: skip
        return stages[: found.index + 1]

    def _stage(self, stage: Stage, count: int) -> StageState:
        prefix = f"[{stage.index + 1}/{count}] " if count > 1 else ""
        total = len(stage.steps) + 1
        self.out.line(f"{prefix}STEP 1/{total}: {stage.origin.original}")
        state = self._from(stage)
        triggers = state.config.get("config", {}).pop("OnBuild", None) or []
        if triggers:
            state.image_id = ""  # the base's triggers are not the new image's (Docker's rule)
        for text in triggers:  # ONBUILD of the base: run now, as if written after FROM
            self._step(parse_instruction(text, stage.origin.line, self.opts.parsed.escape), state)
        final = stage.index == count - 1
        for n, ins in enumerate(stage.steps, 2):
            self.out.line(f"{prefix}STEP {n}/{total}: {ins.original}")
            self._step(ins, state)
            if not (final and n == total):  # the last one's line comes with COMMIT
                self.out.line(f"--> {state.image_id[:11]}")
        self.stage_images[stage.index] = self._stored(state)
        return state

    # --- FROM ------------------------------------------------------------------------------

    def _from(self, stage: Stage) -> StageState:
        base = expand(stage.base, self.global_args, self.opts.parsed.escape)
        if stage.platform:
            from supervisor.notices import notice

            notice(f"FROM --platform={stage.platform}: this builder builds for the host's"
                   " platform only")
        earlier = self.opts.parsed.stage_named(base)
        if earlier is not None and earlier.index < stage.index:
            img_id = self.stage_images[earlier.index]
            return self.state_of(img_id)
        if base == "scratch":
            # one empty layer: the store (and a step container) needs an image to have one
            desc, diff_id = _empty_layer(self.eng)
            from supervisor.timefmt import now_rfc3339

            cfg = {"architecture": _arch(), "os": "linux", "config": {"Env": [DEFAULT_PATH]},
                   "rootfs": {"type": "layers", "diff_ids": [f"sha256:{diff_id}"]},
                   "history": [{"created": now_rfc3339(),
                                "created_by": "/bin/sh -c #(nop) FROM scratch (an empty layer)"}]}
            return StageState(cfg, [desc])
        return self.state_of(self.base_image(base))

    def base_image(self, ref: str) -> str:
        from supervisor.container.create import _pull_for_create
        from supervisor.images import resolve
        from supervisor.options import CreateOptions

        o = self.opts
        try:
            opts = _pull_for_create(self.eng, CreateOptions(
                image=ref, pull=o.pull, authfile=o.authfile, tls_verify=o.tls_verify,
                creds=o.creds, cert_dir=o.cert_dir))  # fmt: skip
            return resolve(self.eng.store, opts.image).id
        except ScopeboxError as exc:  # Podman's frame for a base it cannot have
            raise FromError(exc) from exc

    def state_of(self, image_id: str) -> StageState:
        from supervisor import images
        from supervisor.blobs import BlobStore

        blobs = images.image_blobs(self.eng.store, image_id)
        # the config blob itself: the stored row's copy may be normalised, and an image
        # stored again from it must keep its id (a fully cached build ends where it began)
        with open(BlobStore(self.eng.paths).path(blobs.config.digest), "rb") as f:
            cfg = json.loads(f.read())
        cfg.setdefault("config", {})
        return StageState(cfg, list(blobs.layers), blobs.image_id)

    # --- one instruction -----------------------------------------------------------------

    def _env(self, state: StageState) -> dict[str, str]:
        """What expands `$X` here: the stage's ARGs, and ENV over them (Docker's order)."""
        env = dict(state.args)
        for item in state.config["config"].get("Env") or []:
            key, _, value = item.partition("=")
            env[key] = value
        return env

    def _step(self, ins: Instruction, state: StageState) -> None:
        try:
            self._step_nowrap(ins, state)
        except (StepFailed, StepError):  # framed already
            raise
        except ScopeboxError as exc:  # Podman's frame around a step's error
            raise StepError(ins.original, exc) from exc

    def _step_nowrap(self, ins: Instruction, state: StageState) -> None:
        if ins.cmd in _LAYER_VERBS:
            if ins.cmd == "RUN":
                self._run(ins, state)
            else:
                self._copy(ins, state)
            return
        cfg = state.config["config"]
        apply_config(ins, cfg, state, self._env(state), self.opts.parsed.escape,
                     self.opts.build_args, self.global_args)
        if ins.cmd == "WORKDIR":  # made now, as Docker's (a layer with the directory)
            key = _key(ins.original, json.dumps(state.config, sort_keys=True))
            if not self._cached(state, key):
                path = cfg["WorkingDir"]
                self._layer_step(state, key, f"/bin/sh -c #(nop) WORKDIR {path}",
                                 lambda row, root: self._dirs(path, root))
            return
        self._config_step(ins, state)

    def _config_step(self, ins: Instruction, state: StageState) -> None:
        key = _key(ins.original, json.dumps(state.config["config"], sort_keys=True),
                   json.dumps(state.args, sort_keys=True))
        if self._cached(state, key):
            return
        self._history(state, f"/bin/sh -c #(nop) {ins.original}", empty=True)
        self._store_step(state, key)

    # --- RUN ---------------------------------------------------------------------------------

    def _run(self, ins: Instruction, state: StageState) -> None:
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
            from supervisor.errors import CommandCannotRun, CommandNotFound, RuntimeFailed

            try:
                code = self._run_container(row)
            except (RuntimeFailed, CommandCannotRun, CommandNotFound) as exc:
                # buildah runs the runtime as the step: a process it cannot start is the
                # runtime's exit status (runc's 1) as Podman's build's exit code
                err = StepError(ins.original, exc)
                err.exit_code = 1
                raise err from exc
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
        self.monitors.append(started.row)
        code = record.exit_code if record is not None else self.eng.wait(row.id)
        self.eng.cleanup(row.id)
        return code

    # --- COPY / ADD ---------------------------------------------------------------------------

    def _copy(self, ins: Instruction, state: StageState) -> None:
        env = self._env(state)
        esc = self.opts.parsed.escape
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
        with tempfile.TemporaryFile(dir=self.tmpdir()) as tmp:
            plan = CopyPlan(self, ins, sources, dest, spec, chmod, tmp)
            digest = plan.prepare()
            key = _key(ins.cmd, digest, dest, spec, str(chmod),
                       json.dumps(state.config["config"], sort_keys=True))
            if self._cached(state, key):
                return
            created_by = f"/bin/sh -c #(nop) {ins.cmd} {'file' if plan.files else 'dir'}:" \
                         f"{digest} in {dest} "
            self._layer_step(state, key, created_by, plan.unpack)

    def tmpdir(self) -> str:
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

    def _layer_step(self, state: StageState, key: str, created_by: str,
                    work: Callable[[ContainerRow, str | None], None], argv: list[str] | None = None,
                    env: list[str] | None = None, started: bool = False) -> None:  # fmt: skip
        from supervisor.copy.commit import pack_upper
        from supervisor.copy.ops import mounted

        image_id = self._stored(state)
        row = self.container(state, image_id, argv or ["true"], env or [])
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

    def container(self, state: StageState, image_id: str, argv: list[str],
                   env: list[str]) -> ContainerRow:  # fmt: skip
        from supervisor.network.request import NetFlags
        from supervisor.options import CreateOptions, RunFlagOptions

        cfg = state.config["config"]
        o = self.opts
        net = NetFlags(dns=o.dns, dns_search=o.dns_search, dns_options=o.dns_options,
                       add_hosts=o.add_hosts, no_hosts=o.no_hosts)  # fmt: skip
        opts = CreateOptions(image=image_id, command=argv, entrypoint=[], env=env,
                             workdir=cfg.get("WorkingDir") or None,
                             user=cfg.get("User") or None, network=self.opts.network,
                             log_driver="none", pull="never", image_volume="ignore",
                             labels={"io.scopebox.build": "step"}, ulimits=list(o.ulimits),
                             security_opt=list(o.security_opt), net=net,
                             cap_add=list(o.cap_add), cap_drop=list(o.cap_drop),
                             devices=list(o.devices), volumes=list(o.volumes),
                             resources=o.resources, cgroup_parent=o.cgroup_parent,
                             runflags=RunFlagOptions(shm_size=o.shm_size))  # fmt: skip
        return self.eng.create(self.prepare(opts))

    # --- images and the cache -----------------------------------------------------------

    def _history(self, state: StageState, created_by: str, empty: bool) -> None:
        from supervisor.timefmt import now_rfc3339

        now = now_rfc3339()
        state.config["created"] = now
        entry: dict[str, Any] = {"created": now, "created_by": created_by}
        if empty:
            entry["empty_layer"] = True
        state.config["history"] = [*(state.config.get("history") or []), entry]

    def _stored(self, state: StageState, names: list[str] | None = None) -> str:
        if state.image_id and not names:
            return state.image_id
        state.image_id = store_image(self.eng, state.config, state.layers, self.opts.format,
                                     names or [])  # fmt: skip
        return state.image_id

    def _store_step(self, state: StageState, key: str) -> None:
        parent = state.image_id
        state.image_id = ""
        image_id = self._stored(state)
        self.made.append(image_id)
        if self.opts.layers and parent:
            self.eng.store.ensure_table("build_cache", _CACHE_TABLE)
            with self.eng.store.transaction() as db:
                db.execute("INSERT OR REPLACE INTO build_cache (parent, key, image) VALUES"
                           " (?, ?, ?)", (parent, key, image_id))  # fmt: skip

    def _cached(self, state: StageState, key: str) -> bool:
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
        fresh = self.state_of(image_id)
        state.config, state.layers, state.image_id = fresh.config, fresh.layers, image_id
        return True

    def _commit(self, state: StageState) -> str:
        from supervisor.refs import normalize_name

        names = [normalize_name(t) for t in self.opts.tags]
        cfg = state.config["config"]
        for item in self.opts.env:  # --env: in the image too, as Podman's
            key = item.partition("=")[0]
            cfg["Env"] = [*(e for e in cfg.get("Env") or [] if not e.startswith(f"{key}=")),
                          item]  # fmt: skip
            state.image_id = ""
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


__all__ = ["Builder", "Output", "StepFailed"]
