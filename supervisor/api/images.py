"""Images: options in, reports out."""

from __future__ import annotations

from supervisor.api import InspectReport, session
from supervisor.errors import NotFoundError, ScopeboxError, mapped
from supervisor.records import NamedTuple
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, BinaryIO


class RemoveReport(NamedTuple):
    """Podman's `ImageRemoveReport`: what one input untagged and deleted, or why not."""

    raw_input: str
    # "Untagged: ...", "Deleted: ..."
    lines: list[str] = []  # noqa: RUF012
    err: ScopeboxError | None = None


def remove(
    settings: Settings, refs: list[str], force: bool = False, all: bool = False,
    ignore: bool = False, prune: bool = True,
) -> list[RemoveReport]:
    """`rmi`; Podman's -f: the containers using the image go first; -a: every image; -i: a
    missing image is no error; `prune` False (--no-prune): a build's parent images stay."""
    from supervisor import images

    out = []
    with session(settings) as eng:
        # issue 16: a `run --rm` whose monitor still tears down holds the image's layers
        from supervisor.container.remove import finish_removals

        finish_removals(eng, wait=True)
        if all:
            refs = [*refs, *eng.store.image_ids_stored_order()]
        gone: set[str] = set()  # a build's parents an earlier removal took with it
        for ref in refs:
            if all and ref in gone:
                continue
            try:
                with mapped():
                    img = images.resolve(eng.store, ref)
                    # -f removes the image's containers only when the image itself goes: one
                    # name of several is just untagged (Podman), its containers stay.
                    if force and images.deletes(img, ref, all):
                        for cid in eng.store.containers_using_image_ids(img.id):
                            _remove_user(eng, cid)
                    lines = images.remove_image(eng.store, ref, force, all and ref == img.id, prune)
                    gone.update(line[len("Deleted: "):] for line in lines
                                if line.startswith("Deleted: "))  # fmt: skip
                    _rmi_events(eng, img.id, ref, lines)  # events (issue 14)
                    out.append(RemoveReport(ref, lines))
            except NotFoundError as exc:
                lines = _remove_list(eng, ref)  # Podman's rmi takes a manifest list too
                if lines:
                    out.append(RemoveReport(ref, lines))
                elif not ignore:  # Podman's words for rmi: "X: image not known"
                    err = NotFoundError("image to remove", ref) if exc.kind == "image" else exc
                    out.append(RemoveReport(ref, err=err))
            except ScopeboxError as exc:
                out.append(RemoveReport(ref, err=exc))
        if all:
            out.extend(_remove_lists(eng))
    return out


def _remove_user(eng: Any, cid: str) -> None:
    """`rmi -f`: a container using the image goes; a pod's infra takes its pod with it
    (Podman's: removing the infra removes the pod and all its containers)."""
    from supervisor.pods import INFRA_LABEL

    row = eng.store.get_container(cid)
    if row is None:  # gone with a pod removed before
        return
    pod_id = row.config.options.labels.get(INFRA_LABEL)
    if pod_id:
        from supervisor.pods import ops
        from supervisor.pods.db import PodDB

        if PodDB(eng.store).get(pod_id) is not None:
            ops.remove(eng, pod_id, force=True)
            return
    eng.remove(cid, force=True)


def _remove_list(eng: Any, ref: str) -> list[str]:
    """`rmi LIST`: the manifest list's lines, or none when `ref` names no list."""
    from supervisor import manifestlist

    try:
        with mapped():
            ml = manifestlist.find(eng.paths, ref)
            manifestlist.delete(eng.paths, ml)
    except ScopeboxError:
        return []
    return [f"Untagged: {ml.name}", f"Deleted: {ml.id}"]


def _remove_lists(eng: Any) -> list[RemoveReport]:
    """`rmi -a`: every manifest list goes with the images (a list is an image to Podman)."""
    from supervisor import manifestlist

    lists = manifestlist.all_lists(eng.paths)
    return [RemoveReport(ml.id, _remove_list(eng, ml.id)) for ml in lists]


def _rmi_events(eng: Any, image_id: str, ref: str, lines: list[str]) -> None:
    """events (issue 14): Podman's `untag` per name, then `remove` named as asked (Podman
    4.3 writes it for a name untagged from an image that stays, too)."""
    from supervisor.events.write import other

    for line in lines:
        kind, _, value = line.partition(": ")
        if kind == "Untagged":
            other(eng.settings, eng.paths, "image", "untag", id=image_id, name=value)
    other(eng.settings, eng.paths, "image", "remove", id=image_id, name=ref)


def untag(settings: Settings, ref: str, names: list[str]) -> None:
    """`untag IMAGE [NAME...]`: the names, or every name, taken from the image (it stays)."""
    from supervisor import images

    with session(settings) as eng, mapped():
        try:
            image_id, gone = images.untag(eng.store, ref, names)
        except NotFoundError as exc:  # Podman's words: "X: image not known"
            if exc.kind != "image":
                raise
            raise NotFoundError("image to remove", ref) from None
        for name in gone:  # events (issue 14): one untag per name, as Podman's
            _image_event(eng, "untag", image_id, name)


def _image_event(eng: Any, status: str, image_id: str, name: str) -> None:  # events (issue 14)
    from supervisor.events.write import other

    other(eng.settings, eng.paths, "image", status, id=image_id, name=name)


class ImageListEntry(NamedTuple):
    id: str
    items: list[dict[str, Any]]  # one per name: Docker's template fields
    json: dict[str, Any]  # Podman's object


def _completed(
    items: list[dict[str, Any]], doc: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from supervisor.views_podman import complete_image_items  # fidelity

    return complete_image_items(items, doc), doc


def list_images(settings: Settings, reference: str | None = None,
                all_: bool = True, filters: list[str] | None = None) -> list[ImageListEntry]:
    """`images [REFERENCE]`: by repository, its last component, or the full name. Without
    `all_` (`images -a`) a build's intermediate images are left out, as Podman's: those
    without a name that a later step of a build (supervisor/build) was made from. `filters`:
    `--filter` but reference= (supervisor/imagefilters.py)."""
    from collections import Counter

    from supervisor.api import read_session
    from supervisor.views import image_items, image_json

    with read_session(settings) as eng:
        imgs = eng.store.list_images()
        used = Counter(eng.store.container_image_ids())
        if filters:
            with mapped():
                imgs = _filtered(eng.store, imgs, used, filters)
        if not all_:
            parents = eng.store.intermediate_ids()
            imgs = [i for i in imgs if i.names or i.id not in parents]
    if reference:
        imgs = [i for i in imgs if any(_names_match(reference, n) for n in i.names)]
    # Podman lists every name of the images the reference matches (its 4.3 does, measured).
    return [
        ImageListEntry(
            img.id,
            *_completed(image_items(img, used[img.id]), image_json(img, used[img.id])),
        )
        for img in imgs
    ]


def _filtered(store: Any, imgs: list[Any], used: dict[str, int],
              filters: list[str]) -> list[Any]:  # fmt: skip
    from supervisor import imagefilters
    from supervisor.imageref import resolve
    from supervisor.timefmt import parse_rfc3339

    pairs = imagefilters.split(filters)
    created_of: dict[str, float] = {}
    for key, value in pairs:
        if key in imagefilters.IMAGE_KEYS:
            try:
                created_of[value] = parse_rfc3339(resolve(store, value).created) or 0.0
            except NotFoundError:  # Podman's words
                raise NotFoundError("image for filter", f'"{key}"="{value}": {value}') from None
    facts = imagefilters.Facts(dict(used), store.intermediate_ids(), created_of)
    keep = imagefilters.compile_all(pairs, facts)
    return [img for img in imgs if keep(img)]


def _names_match(ref: str, name: str) -> bool:
    repo = name.rsplit(":", 1)[0]
    return ref in (repo, repo.rsplit("/", 1)[-1], name) or name.endswith("/" + ref)




def inspect(settings: Settings, refs: list[str]) -> list[InspectReport]:
    from supervisor import images
    from supervisor.views import inspect_image

    out = []
    with session(settings) as eng:
        for ref in refs:
            try:
                with mapped():
                    out.append(InspectReport(ref, inspect_image(images.resolve(eng.store, ref),
                                                                eng.paths)))
            except NotFoundError:
                out.append(InspectReport(ref, err=NotFoundError("image", ref)))
    return out


def history(settings: Settings, ref: str) -> list[dict[str, Any]]:
    from supervisor import images
    from supervisor.views import history_items

    with session(settings) as eng:
        img = images.resolve(eng.store, ref)
        sizes = [eng.store.layer_size(d) or 0 for d in img.layers]
    return history_items(img, sizes)


class TreeLayer(NamedTuple):
    id: str  # the layer's diff id (hex)
    size: int
    top_of: list[str]  # names of the images this layer is the top of


class Tree(NamedTuple):
    """verbs: `image tree`: the image and its layers, base first; with --whatrequires the
    layers of the images built on it, above its own."""

    id: str
    names: list[str]
    size: int
    layers: list[TreeLayer]


def tree(settings: Settings, ref: str, whatrequires: bool = False) -> Tree:
    from supervisor import images

    with session(settings) as eng:
        try:
            img = images.resolve(eng.store, ref)
        except NotFoundError:
            raise NotFoundError("image to show", ref) from None
        every = eng.store.list_images()
        chain = list(img.layers)
        if whatrequires:  # Podman's: from the image's top layer up through its children's
            chain = chain[-1:]
            for other in every:
                if (len(other.layers) > len(img.layers)
                        and other.layers[:len(img.layers)] == img.layers):
                    chain += [d for d in other.layers[len(img.layers):] if d not in chain]
        tops: dict[str, list[str]] = {}
        for other in every:
            if other.layers:
                tops.setdefault(other.layers[-1], []).extend(other.names)
        layers = [TreeLayer(d, eng.store.layer_size(d) or 0, tops.get(d, [])) for d in chain]
    return Tree(img.id, list(img.names), img.size, layers)


def tree_text(tree: Tree) -> str:
    """The tree as Podman 4.3 draws it (the CLI prints it, the service sends it)."""
    from supervisor.sizes import human_size

    lines = [f"Image ID: {tree.id[:12]}", f"Tags:     [{' '.join(tree.names)}]",
             f"Size:     {human_size(tree.size)}", "Image Layers"]  # fmt: skip
    for i, layer in enumerate(tree.layers):
        branch = "└── " if i == len(tree.layers) - 1 else "├── "
        line = f"{branch}ID: {layer.id[:12]} Size: {human_size(layer.size):>7}"
        if layer.top_of:
            line += f" Top Layer of: [{' '.join(layer.top_of)}]"
        lines.append(line)
    return "\n".join(lines) + "\n"


def prune(settings: Settings, all_unused: bool, filters: list[str] | None = None) -> list[str]:
    """The ids of the images removed: dangling ones, or with `all_unused` every unused one;
    `filters`: `image prune --filter` (until=, label=, label!=, dangling=)."""
    from supervisor import images

    chosen = images.prune_filter(filters) if filters else None
    with session(settings) as eng:
        removed = images.prune(eng.store, all_unused, chosen)
        for image_id in removed:  # events (issue 14): as Podman's prune, no name
            _image_event(eng, "remove", image_id, "")
        return removed


class ImportOptions(NamedTuple):
    source: str  # a file, or - for stdin
    reference: str | None = None
    changes: list[str] = []  # noqa: RUF012
    message: str = ""
    os: str = ""  # the image's platform ("": the host's)
    arch: str = ""
    variant: str = ""


def import_(settings: Settings, opts: ImportOptions) -> str:
    """`import`: the new image's id."""
    from supervisor import images

    with session(settings) as eng:
        img = images.import_tarball(
            eng.store, images.ImportOptions(opts.source, opts.reference, opts.changes, opts.message,
                                 opts.os, opts.arch, opts.variant)
        )
        _image_event(eng, "import", img.id, opts.source)  # events (issue 14)
    return img.id


def tag(settings: Settings, ref: str, names: list[str]) -> None:
    from supervisor import images

    with session(settings) as eng:
        img = images.tag(eng.store, ref, names)
        for name in names:  # events (issue 14): the name as typed, as Podman's tag event has it
            _image_event(eng, "tag", img.id, name)


ARCHIVE_FORMATS = ("docker-archive", "oci-archive")


def save(settings: Settings, refs: list[str], out: BinaryIO, fmt: str,
         destination: str = "") -> None:  # fmt: skip
    """`destination`: the archive's path as the user named it, which Podman's `save` event
    carries (the image's reference when there is none)."""
    from supervisor import archive

    with session(settings) as eng:
        archive.save(eng.store, refs, out, fmt)
        from supervisor import images  # events (issue 14)

        for ref in refs:
            _image_event(eng, "save", images.resolve(eng.store, ref).id, destination or ref)


def load(settings: Settings, source: str) -> list[str]:
    """`load`: the names (or ids) of the images loaded."""
    from supervisor import archive

    with session(settings) as eng:
        loaded = archive.load(eng.store, source)
        for _ in loaded:  # events (issue 14): Podman 4.3's status, no id, the archive's path
            _image_event(eng, "loadfromarchive", "", source)
    return [name for item in loaded for name in item.names or [f"sha256:{item.image.id}"]]


class DiskUsage(NamedTuple):
    kind: str  # Images, Containers, Local Volumes
    total: int
    active: int
    size: int
    reclaimable: int


def disk_usage(settings: Settings) -> list[DiskUsage]:
    from supervisor import images

    with session(settings) as eng:
        rows = images.disk_usage(eng.store)
    return [DiskUsage(r.kind, r.total, r.active, r.size, r.reclaimable) for r in rows]


def disk_usage_verbose(settings: Settings) -> tuple[list[Any], list[Any]]:
    """`system df -v`: the images' and containers' rows (supervisor.images.verbose_usage)."""
    from supervisor import images

    with session(settings) as eng:
        return images.verbose_usage(eng.store)


def exists(settings: Settings, ref: str) -> bool:
    """`image exists`: resolved as every verb resolves an image reference."""
    from supervisor import images

    with session(settings) as eng:
        try:
            images.resolve(eng.store, ref)
        except NotFoundError:
            return False
        return True


class MountReport(NamedTuple):
    """`image mount`: one image's mount point, or why not."""

    raw_input: str
    id: str = ""
    names: list[str] = []  # noqa: RUF012
    path: str = ""
    err: ScopeboxError | None = None


def mount(settings: Settings, refs: list[str], all: bool = False) -> list[MountReport]:
    """`image mount IMAGE...` (`-a`: every image): each mounted read-only, counted."""
    from supervisor import images
    from supervisor.imagemount import mount_image
    from supervisor.store import ImagesLock

    out = []
    with session(settings) as eng:
        if all:
            refs = [img.id for img in eng.store.list_images()]
        for ref in refs:
            try:
                with mapped(), ImagesLock(eng.paths):  # its layers stay meanwhile
                    img = images.resolve(eng.store, ref)
                    path = mount_image(eng.store, img, images.layer_dirs(eng.paths, img))
                out.append(MountReport(ref, img.id, img.names, path))
            except NotFoundError:
                out.append(MountReport(ref, err=NotFoundError("image to remove", ref)))
            except ScopeboxError as exc:
                out.append(MountReport(ref, err=exc))
    return out


def mounted(settings: Settings) -> list[MountReport]:
    """`image mount` without arguments: the mounted images."""
    from supervisor.imagemount import mount_point, mounted_ids

    with session(settings) as eng:
        out = []
        for image_id in mounted_ids(eng.paths):
            img = eng.store.get_image(image_id)
            names = img.names if img is not None else []
            out.append(MountReport(image_id, image_id, names, mount_point(eng.paths, image_id)))
    return out


def unmount(settings: Settings, refs: list[str], all: bool = False,
            force: bool = False) -> list[MountReport]:  # fmt: skip
    """`image umount IMAGE...` (`-a`: every mounted image): the ids unmounted now."""
    from supervisor import images
    from supervisor.imagemount import mounted_ids, unmount_image

    out = []
    with session(settings) as eng:
        if all:
            refs = mounted_ids(eng.paths)
        for ref in refs:
            try:
                with mapped():
                    img = images.resolve(eng.store, ref)
                    done = unmount_image(eng.paths, img.id, force)
                out.append(MountReport(ref, img.id if done else ""))
            except NotFoundError:
                out.append(MountReport(ref, err=NotFoundError("image to remove", ref)))
            except ScopeboxError as exc:
                out.append(MountReport(ref, err=exc))
    return out


def sign(settings: Settings, refs: list[str], sign_by: str, directory: str = "",
         authfile: str | None = None, cert_dir: str | None = None) -> list[str]:
    """`image sign docker://NAME...`: each signed with the GPG identity `sign_by`; returns the
    signature files written (supervisor/registry/sign.py)."""
    from supervisor.registry.sign import SignOptions
    from supervisor.registry.sign import sign as sign_one
    from supervisor.version import package_version

    with mapped():
        return [sign_one(SignOptions(ref, sign_by, directory, authfile, cert_dir),
                         f"scopebox {package_version()}") for ref in refs]
