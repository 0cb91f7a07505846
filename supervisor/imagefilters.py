"""`images --filter`: Podman 4.3's keys but reference= (libimage `filters.go`), pure.

Every filter must pass (4.3 ANDs them all). `before=`/`after=`/`since=` name an image; the
caller resolves it to its creation time before the filters run, so a wrong name fails the
verb before anything is printed.
"""

from __future__ import annotations

from supervisor.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from supervisor.store import ImageRow

# what a filter sees of the store beside the image
KEYS = ("after", "since", "before", "dangling", "id", "intermediate", "label", "readonly",
        "until", "containers")  # fmt: skip
IMAGE_KEYS = ("after", "since", "before")  # their value names an image


class Facts:
    """The store's part of a filter's answer: which images have containers and children, and
    the creation times of the images `before=`/`after=` name."""

    def __init__(self, used: dict[str, int], intermediate: set[str],
                 created_of: dict[str, float]) -> None:  # fmt: skip
        self.used = used
        self.intermediate = intermediate
        self.created_of = created_of


def split(items: list[str]) -> list[tuple[str, str]]:
    """`key=value` pairs, every key checked (Podman's words for a bad one)."""
    out = []
    for item in items:
        key, eq, value = item.partition("=")
        if not eq:
            raise UsageError(f'invalid image filter "{item}": must be in the format'
                             ' "filter=value or filter!=value"')
        if key not in KEYS and key != "reference":
            raise UsageError(f'unsupported image filter "{key}"')
        out.append((key, value))
    return out


def compile_all(pairs: list[tuple[str, str]], facts: Facts) -> Callable[[ImageRow], bool]:
    tests = [_test(key, value, facts) for key, value in pairs if key != "reference"]
    return lambda img: all(t(img) for t in tests)


def _created(img: ImageRow) -> float:
    from supervisor.timefmt import parse_rfc3339

    return parse_rfc3339(img.created) or 0.0


def _bool(key: str, value: str) -> bool:
    if value.lower() not in ("true", "false"):  # Podman's words, its order
        raise UsageError(f'non-boolean value "{key}" for {value} filter: strconv.ParseBool:'
                         f' parsing "{value}": invalid syntax')
    return value.lower() == "true"


def _test(key: str, value: str, facts: Facts) -> Callable[[ImageRow], bool]:
    if key in ("after", "since"):
        after = facts.created_of[value]
        return lambda img: _created(img) > after
    if key == "before":
        before = facts.created_of[value]
        return lambda img: _created(img) < before
    if key == "until":
        from supervisor.timefmt import parse_since

        try:
            cutoff = parse_since(value, "until filter")
        except UsageError:  # Podman's words
            raise UsageError(f'failed to parse value as time or duration: "{value}"') from None
        return lambda img: _created(img) < cutoff
    if key == "id":
        want = value.removeprefix("sha256:")
        return lambda img: img.id.startswith(want)
    if key == "label":
        return _label(value)
    return _flag(key, value, facts)


def _flag(key: str, value: str, facts: Facts) -> Callable[[ImageRow], bool]:
    if key == "containers":
        if value == "external":  # scopebox has no external (other tools') containers
            return lambda img: False
        if value.lower() not in ("true", "false"):
            raise UsageError(f'unsupported value "{value}" for containers filter')
        has = _bool(key, value)
        return lambda img: (facts.used.get(img.id, 0) > 0) == has
    want = _bool(key, value)
    if key == "dangling":
        return lambda img: (not img.names) == want
    if key == "intermediate":
        return lambda img: (not img.names and img.id in facts.intermediate) == want
    return lambda img: not want  # readonly: no image is in a read-only store


def _label(value: str) -> Callable[[ImageRow], bool]:
    name, eq, want = value.partition("=")

    def labelled(img: ImageRow) -> bool:
        labels = (img.config.get("config") or {}).get("Labels") or {}
        return name in labels and (not eq or labels[name] == want)

    return labelled
