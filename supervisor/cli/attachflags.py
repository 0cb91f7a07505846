"""helper "flags": --sig-proxy and --detach-keys of run, start and exec (as attach's)."""

from __future__ import annotations

from supervisor.errors import ScopeboxError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def add_attach_flags(p: argparse.ArgumentParser, sig_proxy: bool = True) -> None:
    """`--sig-proxy` is a Go boolean (`--sig-proxy=false`); None when not given."""
    import argparse  # performance (issue 16): exec's quick path checks keys without it

    if sig_proxy:
        p.add_argument("--sig-proxy", action="store_true", default=None,
                       help="proxy received signals to the container's process")
        p.add_argument("--sig-proxy=false", dest="sig_proxy", action="store_false",
                       help=argparse.SUPPRESS)
    p.add_argument("--detach-keys",
                   help="key sequence for detaching (default ctrl-p,ctrl-q; \"\" disables)")


def check_detach_keys(keys: str | None, error: type[ScopeboxError] = ScopeboxError) -> None:
    """Podman's check (and words); `error` is the class to raise (run: 126, as Podman's)."""
    from supervisor.api.targets import check_detach_keys as check

    if keys is None:
        return
    try:
        check(keys)
    except ScopeboxError as exc:
        raise error(str(exc)) from None
