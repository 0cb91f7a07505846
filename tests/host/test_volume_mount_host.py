"""verbs: `volume mount` of a `type=` volume mounts its file system on the mount point it
prints (the kernel's mountinfo says so); `volume unmount` takes it away again."""

from __future__ import annotations

from tests.clihelp import Scopebox


def _fstype_at(path: str) -> str | None:
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if fields[4] == path:
                return fields[fields.index("-") + 1]
    return None


def test_type_volume_mounted_and_unmounted(sb: Scopebox) -> None:
    sb("volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt",
       "o=size=1m", "verbs-vol")
    try:
        path = sb("volume", "mount", "verbs-vol").stdout.strip()
        assert path.endswith("/volumes/verbs-vol/_data")
        assert _fstype_at(path) == "tmpfs"
        assert sb("volume", "unmount", "verbs-vol").stdout == "verbs-vol\n"
        assert _fstype_at(path) is None
        plain = sb("volume", "create", "verbs-vol2").stdout.strip()
        assert sb("volume", "mount", plain).stdout.strip().endswith("/volumes/verbs-vol2/_data")
    finally:
        sb("volume", "unmount", "verbs-vol", check=False)
        sb("volume", "rm", "-f", "verbs-vol", "verbs-vol2", check=False)
