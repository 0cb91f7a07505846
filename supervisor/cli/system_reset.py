"""scopebox system reset [-f]"""

from __future__ import annotations

import sys

from supervisor.cli.main import new_parser
from supervisor.cli.output import confirm
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("system reset", "Remove every container, pod, image, network, volume and"
                   " secret, and the store's directories.")  # fmt: skip
    p.add_argument("-f", "--force", action="store_true", help="do not ask for confirmation")
    ns = p.parse_args(argv)
    paths = settings.paths
    warning = (
        "WARNING! This will remove:\n        - all containers\n        - all pods\n"
        "        - all images\n        - all networks\n        - all volumes\n"
        "        - all secrets\n"
        f'        - the graphRoot directory: "{paths.root}"\n'
        f'        - the runRoot directory: "{paths.runroot}"\n'
    )
    if not ns.force and not confirm(warning):
        return 0
    from supervisor.api import system as api

    problems = api.reset(settings)
    for line in problems:
        print(f"Error: {line}", file=sys.stderr)
    return 125 if problems else 0
