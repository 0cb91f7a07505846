"""scopebox rmi [-f] [-a] [-i] [--no-prune] IMAGE..."""

from __future__ import annotations

import sys

from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import images as api

    p = new_parser("rmi", "Remove images.")
    p.add_argument("-f", "--force", action="store_true", help="remove the containers using it too")
    p.add_argument("-a", "--all", action="store_true", help="remove all images")
    p.add_argument("-i", "--ignore", action="store_true", help="no such image is no error")
    p.add_argument("--no-prune", action="store_true",
                   help="do not remove dangling parent images (a build's intermediate ones)")
    p.add_argument("images", nargs="*")
    ns = p.parse_args(argv)
    if not ns.images and not ns.all:
        raise UsageError("image name or ID must be specified")
    if ns.images and ns.all:
        raise UsageError("when using the --all switch, you may not pass any images names or IDs")
    # Podman's --force also ignores a missing image (rc 0, nothing printed for it)
    reports = api.remove(settings, ns.images, ns.force, ns.all, ns.ignore or ns.force,
                         not ns.no_prune)
    # Podman's report: every "Untagged: ..." line, then every "Deleted: ..." line
    lines = [line for r in reports if r.err is None for line in r.lines]
    for line in sorted(lines, key=lambda line: not line.startswith("Untagged: ")):
        print(line)
    return _errors([r.err for r in reports if r.err is not None])


def _errors(errs: list[Exception]) -> int:
    """Podman's rmi: one error as one line, several as Go's multierror list; exit 1 when an
    image did not exist, 2 when one is in use, 125 for anything else."""
    from supervisor.errors import ConflictError, NotFoundError, ScopeboxError

    if len(errs) == 1:
        print(f"Error: {errs[0]}", file=sys.stderr)
    elif errs:
        points = "\n\t".join(f"* {e}" for e in errs)
        print(f"Error: {len(errs)} errors occurred:\n\t{points}\n", file=sys.stderr)
    codes = {1 if isinstance(e, NotFoundError) else 2 if isinstance(e, ConflictError)
             else e.exit_code if isinstance(e, ScopeboxError) else 125 for e in errs}
    if codes - {1, 2}:
        return 125
    return 1 if 1 in codes else max(codes, default=0)
