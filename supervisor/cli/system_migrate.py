"""scopebox system migrate | system renumber (verbs): Podman's repairs after an upgrade. The
store's schema is brought up to date whenever it is opened, and locks are files per
container (no numbers to hand out again): both have nothing left to do."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("system migrate", "Migrate containers: the store is brought up to date"
                                     " whenever it is opened.")
    p.add_argument("--new-runtime", help="refused: a container's runtime is set at create")
    ns = p.parse_args(argv)
    if ns.new_runtime is not None:
        raise UsageError("--new-runtime: scopebox keeps the runtime each container was"
                         " created with (recreate it with --runtime)")
    _open_store(settings)
    return 0


def renumber(argv: list[str], settings: Settings) -> int:
    p = new_parser("system renumber", "Renumber locks: scopebox's locks are files per"
                                      " container, there is nothing to renumber.")
    p.parse_args(argv)
    _open_store(settings)
    return 0


def _open_store(settings: Settings) -> None:
    """Opening the store migrates its schema (and fails on a damaged one, as Podman would)."""
    from supervisor.api import session

    with session(settings) as eng:
        eng.store.list_images()
