"""`system service` URIs read as Podman's (Go's url.Parse): the scheme, unix paths, tcp
addresses in both of Podman's forms."""

from __future__ import annotations

import pytest

from supervisor.errors import UsageError
from supervisor.service.server import scheme_of, socket_path, tcp_address


@pytest.mark.parametrize(("uri", "scheme"), [
    ("unix:///run/x.sock", "unix"), ("tcp:localhost:80", "tcp"), ("TCP://h:1", "tcp"),
    ("localhost:9292", "localhost"), ("myunix.sock", ""), ("127.0.0.1:80", ""),
    ("/run/x.sock", ""),
])
def test_scheme(uri: str, scheme: str) -> None:
    assert scheme_of(uri) == scheme


@pytest.mark.parametrize(("uri", "path"), [
    ("unix:///run/x.sock", "/run/x.sock"), ("unix:/run/x.sock", "/run/x.sock"),
    ("unix://host/run/x.sock", "/run/x.sock"), ("/run/x.sock", "/run/x.sock"),
])
def test_unix_paths(uri: str, path: str) -> None:
    assert socket_path(uri) == path


def test_unsupported_scheme_is_podmans_line() -> None:
    with pytest.raises(UsageError) as err:
        socket_path("localhost:9292")
    assert str(err.value) == ('API Service endpoint scheme "localhost" is not supported. '
                              "Try tcp://localhost:9292 or unix:/localhost:9292")
    with pytest.raises(UsageError, match="must be absolute"):
        socket_path("unix:x.sock")


@pytest.mark.parametrize(("uri", "address", "host"), [
    ("tcp://127.0.0.1:8080", "127.0.0.1:8080", "127.0.0.1"),
    ("tcp:localhost:8080", "localhost:8080", "localhost"),
    ("tcp://[::1]:8080/", "[::1]:8080", "::1"),
    ("tcp://:8080", ":8080", ""),
])
def test_tcp_addresses(uri: str, address: str, host: str) -> None:
    assert tcp_address(uri) == (address, host)
