"""The service's HTTP pieces without `re`/`urllib` (supervisor/service/wire.py) give what the
standard library's parsing (and the version pattern they replace) gives."""

from __future__ import annotations

import re
from urllib.parse import parse_qs
from urllib.parse import unquote as std_unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supervisor.service.wire import HTTPError, parse_query, unquote, unversioned

_URLISH = st.text(alphabet="ab%2FfG0+=&;/é ", max_size=30)


@given(_URLISH)
def test_unquote_is_urllibs(text: str) -> None:
    assert unquote(text) == std_unquote(text)


@given(_URLISH)
def test_parse_query_is_parse_qs_keeping_blanks(text: str) -> None:
    assert parse_query(text) == parse_qs(text, keep_blank_values=True)


_OLD = re.compile(r"^/v(\d+)\.(\d+)(?:\.\d+)?(/.*)$")


@pytest.mark.parametrize("path", [
    "/v1.41/containers/json", "/v1.24/_ping", "/containers/json", "/v1.41", "/v1/x",
    "/v4.3.1/libpod/_ping", "/v1.2.3.4/x", "/version", "/volumes/v1.41/x", "/v1.x/y",
])  # fmt: skip
def test_unversioned_is_the_patterns(path: str) -> None:
    found = _OLD.match(path)
    assert unversioned(path) == (found[3] if found else path)


@pytest.mark.parametrize(("path", "message"), [
    ("/v1.42/_ping", "client version 1.42 is too new. Maximum supported API version is 1.41"),
    ("/v1.23/_ping", "client version 1.23 is too old. Minimum supported API version is 1.24, "
                     "please upgrade your client to a newer version"),
    ("/v5.0.0/libpod/_ping", "client version 5.0 is too new: this service speaks Podman's "
                             "API 4.3.1"),
])  # fmt: skip
def test_versions_out_of_range_are_docker_400(path: str, message: str) -> None:
    with pytest.raises(HTTPError) as caught:
        unversioned(path)
    assert (caught.value.status, caught.value.message) == (400, message)
