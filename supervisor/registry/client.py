"""One registry, one repository: the distribution API v2 calls pull and push need.

httpx is imported here only. Authentication is driven by the registry's challenge: a request
without credentials gets `401` with `WWW-Authenticate`; `Basic` is answered with the user's
credentials, `Bearer` by fetching a token for the scope from the realm (anonymously when there
are no credentials). Tokens are cached per scope and sent up front afterwards. Insecure
registries are tried over HTTPS without verification first, then over plain HTTP, as Podman does.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from supervisor.errors import AuthError, RegistryError
from supervisor.registry.auth import Credentials
from supervisor.registry.challenge import Challenge, parse_challenges
from supervisor.registry.reference import registry_host

if TYPE_CHECKING:
    import httpx

MANIFEST_LIMIT = 4 << 20  # containers/image's cap for manifests and configs
CHUNK = 1 << 20
USER_AGENT = "scopebox/0.1"

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST_TYPES = (OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST)
LIST_TYPES = (OCI_INDEX, DOCKER_LIST)


@dataclass(frozen=True)
class Manifest:
    digest: str
    media_type: str
    data: bytes

    def json(self) -> dict[str, Any]:
        try:
            doc = json.loads(self.data)
        except ValueError as exc:
            raise RegistryError(f"manifest {self.digest} is not valid JSON: {exc}") from exc
        if not isinstance(doc, dict):
            raise RegistryError(f"manifest {self.digest} is not a JSON object")
        return doc


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Session:
    """Connections and tokens for one registry host, shared by threads."""

    def __init__(
        self, domain: str, insecure: bool, creds: Credentials | None, timeout: float = 60.0,
        cert_dir: str | None = None,
    ) -> None:
        import httpx

        self.domain = domain
        self.host = registry_host(domain)
        self.insecure = insecure
        self.creds = creds
        self._tokens: dict[str, str] = {}
        self._basic = False
        self._lock = threading.Lock()
        limits = httpx.Limits(max_connections=16, max_keepalive_connections=8)
        self._http = httpx.Client(
            verify=False if insecure else tls_context(domain, cert_dir),
            cert=client_certificate(domain, cert_dir),
            timeout=httpx.Timeout(timeout, connect=15.0),
            limits=limits,
            follow_redirects=True,
            headers={"User-Agent": USER_AGENT},
        )
        self.base = self._probe()

    def close(self) -> None:
        self._http.close()

    def _probe(self) -> str:
        """`GET /v2/`: pick the scheme (HTTPS; HTTP only for insecure registries)."""
        import httpx

        schemes = ["https", "http"] if self.insecure else ["https"]
        last: Exception | None = None
        for scheme in schemes:
            base = f"{scheme}://{self.host}"
            try:
                resp = self._http.get(f"{base}/v2/")
            except httpx.HTTPError as exc:
                last = exc
                continue
            if resp.status_code in (200, 401):
                if resp.status_code == 401:
                    self._challenge(resp, scope=None)
                return base
            last = RegistryError(f"{self.domain}: /v2/ answered {resp.status_code}")
        reason = _reason(last)
        hint = ""
        if "CERTIFICATE_VERIFY_FAILED" in reason:
            hint = f" (put its CA in /etc/containers/certs.d/{self.domain}/ca.crt)"
        elif not self.insecure:
            hint = " (for a plain-HTTP registry use --tls-verify=false)"
        raise RegistryError(f"cannot reach registry {self.domain}: {reason}{hint}")

    def pages(self, url: str, scope: str, key: str, doing: str, what: str) -> list[str]:
        """The strings under `key` of every page of a listing (`Link: <...>; rel="next"`):
        tags, the catalog; `doing` and `what` name it in errors."""
        out: list[str] = []
        for _ in range(10000):  # a registry that links in a circle must not hang us
            with self.request("GET", url, scope, stream=True) as resp:
                if resp.status_code != 200:
                    raise RegistryError(f"{doing}: invalid status code from registry"
                                        f" {resp.status_code} ({resp.reason_phrase})")
                data = _read_capped(resp, MANIFEST_LIMIT, what)
                following = resp.links.get("next", {}).get("url")
            try:
                page = json.loads(data).get(key) or []
            except (ValueError, AttributeError) as exc:
                raise RegistryError(f"{doing}: invalid answer: {exc}") from exc
            out += [item for item in page if isinstance(item, str)]
            if not following:
                return out
            url = following
        raise RegistryError(f"{doing} of {what}: too many pages")

    def verify_login(self) -> None:
        """`GET /v2/` with the credentials (a scope-less token for Bearer registries)."""
        with self.request("GET", "/v2/", scope="") as resp:
            if resp.status_code != 200:
                raise api_error(resp, f"logging into {self.domain}")

    # -- authentication --------------------------------------------------------------------

    def _challenge(self, resp: httpx.Response, scope: str | None) -> None:
        challenges = parse_challenges(resp.headers.get("WWW-Authenticate", ""))
        for ch in challenges:
            if ch.scheme == "bearer" and scope is not None:
                self._fetch_token(ch, scope)
                return
            if ch.scheme == "basic":
                if self.creds is None:
                    raise AuthError(
                        f"{self.domain}: authentication required (scopebox login {self.domain})"
                    )
                self._basic = True
                return
        if scope is None and any(c.scheme == "bearer" for c in challenges):
            return  # the token is fetched per repository scope on the first real request
        raise AuthError(f"{self.domain}: unsupported authentication challenge {challenges!r}")

    def _fetch_token(self, ch: Challenge, scope: str) -> None:
        import httpx

        realm = ch.params.get("realm")
        if not realm:
            raise AuthError(f"{self.domain}: bearer challenge without a realm")
        # Several scopes (a cross-repository mount) are several `scope` parameters.
        params: list[tuple[str, str | int | float | bool | None]] = [
            ("scope", s) for s in scope.split()
        ]
        if "service" in ch.params:
            params.append(("service", ch.params["service"]))
        auth = (self.creds.username, self.creds.password) if self.creds else None
        try:
            resp = self._http.get(realm, params=params, auth=auth)
        except httpx.HTTPError as exc:
            raise AuthError(f"{self.domain}: token request failed: {_reason(exc)}") from exc
        if resp.status_code in (401, 403):
            raise AuthError(f"{self.domain}: authentication failed: invalid username or password")
        if resp.status_code != 200:
            raise AuthError(f"{self.domain}: token server answered {resp.status_code}")
        try:
            body = resp.json()
            token = body.get("token") or body.get("access_token")
        except (ValueError, AttributeError) as exc:
            raise AuthError(f"{self.domain}: malformed token response") from exc
        if not isinstance(token, str) or not token:
            raise AuthError(f"{self.domain}: token response has no token")
        with self._lock:
            self._tokens[scope] = token

    def _headers(self, scope: str) -> dict[str, str]:
        with self._lock:
            token = self._tokens.get(scope)
        if token:
            return {"Authorization": f"Bearer {token}"}
        if self._basic and self.creds is not None:
            return {"Authorization": _basic_header(self.creds)}
        return {}

    @contextmanager
    def request(
        self,
        method: str,
        path_or_url: str,
        scope: str,
        headers: dict[str, str] | None = None,
        content: Any = None,
        params: dict[str, str] | None = None,
        stream: bool = False,
    ) -> Iterator[httpx.Response]:
        """A request with auth; retried once after answering a 401 challenge."""
        import httpx

        url = httpx.URL(path_or_url if "://" in path_or_url else self.base + path_or_url)
        if params:
            # Upload locations carry their own state in the query: add to it, never replace.
            url = url.copy_merge_params(params)
        for attempt in (0, 1):
            hdrs = {**(headers or {}), **self._headers(scope)}
            req = self._http.build_request(method, url, headers=hdrs, content=content)
            try:
                resp = self._http.send(req, stream=stream)
            except httpx.HTTPError as exc:
                raise RegistryError(f"{self.domain}: {method} failed: {_reason(exc)}") from exc
            if resp.status_code == 401 and attempt == 0 and isinstance(content, bytes | None):
                resp.close()
                self._challenge(resp, scope)
                continue
            try:
                if resp.status_code == 401:
                    raise AuthError(
                        f"{self.domain}: authentication failed: invalid username or password"
                        if self.creds
                        else f"{self.domain}: authentication required"
                        f" (scopebox login {self.domain})"
                    )
                yield resp
            finally:
                resp.close()
            return


def certs_dirs() -> list[str]:
    """Podman's per-registry CA directories (`$SCOPEBOX_CERTS_D` first, for tests)."""
    env = os.environ.get("SCOPEBOX_CERTS_D")
    if env:
        return [env]
    from supervisor.settings import user_config_dir

    user = user_config_dir(os.environ)  # rootless (issue 17): the user's first
    mine = [os.path.join(user, "certs.d")] if user is not None else []
    return [*mine, "/etc/containers/certs.d", "/etc/docker/certs.d"]


def cert_dirs_of(domain: str, cert_dir: str | None) -> list[str]:
    """Where a registry's certificates are: `--cert-dir` alone when given (as containers/image
    reads it), else `certs.d/<host[:port]>` of each base directory."""
    if cert_dir is not None:
        return [cert_dir]
    return [os.path.join(base, domain) for base in certs_dirs()]


def tls_context(domain: str, cert_dir: str | None = None) -> ssl.SSLContext:
    """The system's trust store plus the `*.crt` CA certificates of the registry's
    directories."""
    ctx = ssl.create_default_context()
    for d in cert_dirs_of(domain, cert_dir):
        for crt in sorted(glob.glob(os.path.join(d, "*.crt"))):
            try:
                ctx.load_verify_locations(cafile=crt)
            except (OSError, ssl.SSLError) as exc:
                raise RegistryError(f"cannot load CA certificate {crt!r}: {exc}") from exc
    return ctx


def client_certificate(domain: str, cert_dir: str | None = None) -> tuple[str, str] | None:
    """The client certificate to present: a `NAME.cert` with its `NAME.key` in the registry's
    directories (containers/image's pairing; either one alone is an error). A directory
    that does not exist holds none (containers/image's reading too)."""
    found: tuple[str, str] | None = None
    for d in cert_dirs_of(domain, cert_dir):
        for cert in sorted(glob.glob(os.path.join(d, "*.cert"))):
            key = cert[: -len(".cert")] + ".key"
            if not os.path.exists(key):
                raise RegistryError(f"missing key {os.path.basename(key)} for client"
                                    f" certificate {os.path.basename(cert)}. Note that CA"
                                    " certificates should use the extension .crt")
            found = found or (cert, key)
        for key in sorted(glob.glob(os.path.join(d, "*.key"))):
            cert = key[: -len(".key")] + ".cert"
            if not os.path.exists(cert):
                raise RegistryError(f"missing client certificate {os.path.basename(cert)} for"
                                    f" key {os.path.basename(key)}")
    return found


def _basic_header(creds: Credentials) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()


def _reason(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]


def api_error(resp: httpx.Response, what: str) -> RegistryError:
    """The registry's own error code and message, when it sent them as JSON."""
    detail = ""
    try:
        body = json.loads(resp.read()[:65536])
        errs = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errs, list) and errs and isinstance(errs[0], dict):
            code, message = errs[0].get("code", ""), errs[0].get("message", "")
            detail = f": {str(code).lower().replace('_', ' ')}" + (
                f" ({message})"
                if message and message.lower() != str(code).lower().replace("_", " ")
                else ""
            )
    except (ValueError, UnicodeDecodeError):
        pass
    if resp.status_code in (401, 403):
        return AuthError(f"{what}: access denied ({resp.status_code}){detail}")
    return RegistryError(f"{what}: {resp.status_code} {resp.reason_phrase}{detail}")


class Repository:
    """API calls on one repository of a session."""

    def __init__(self, session: Session, path: str) -> None:
        self.session = session
        self.path = path
        self.pull_scope = f"repository:{path}:pull"
        self.push_scope = f"repository:{path}:pull,push"

    @property
    def name(self) -> str:
        return f"{self.session.domain}/{self.path}"

    def list_tags(self) -> list[str]:
        """`GET /v2/NAME/tags/list`, every page."""
        return self.session.pages(f"/v2/{self.path}/tags/list", self.pull_scope, "tags",
                                  "fetching tags list", f"tags of {self.name}")  # fmt: skip

    def get_manifest(self, ref: str, scope: str | None = None) -> Manifest:
        what = f"{self.name}:{ref}" if not ref.startswith("sha256:") else f"{self.name}@{ref}"
        headers = {"Accept": ", ".join(MANIFEST_TYPES)}
        with self.session.request(
            "GET",
            f"/v2/{self.path}/manifests/{ref}",
            scope or self.pull_scope,
            headers,
            stream=True,
        ) as resp:
            if resp.status_code == 404:
                raise RegistryError(f"{what}: manifest unknown (no such image or tag)")
            if resp.status_code != 200:
                raise api_error(resp, what)
            data = _read_capped(resp, MANIFEST_LIMIT, f"manifest of {what}")
            media_type = resp.headers.get("Content-Type", "").split(";")[0].strip()
            header_digest = resp.headers.get("Docker-Content-Digest")
        digest = sha256(data)
        if ref.startswith("sha256:") and digest != ref:
            raise RegistryError(f"{what}: manifest has digest {digest}, expected {ref}")
        if header_digest and header_digest.startswith("sha256:") and header_digest != digest:
            raise RegistryError(
                f"{what}: manifest has digest {digest}, registry said {header_digest}"
            )
        doc_type = _media_type_of(data)
        return Manifest(digest, doc_type or media_type, data)

    def get_blob_bytes(self, digest: str, size: int, limit: int = MANIFEST_LIMIT) -> bytes:
        if size > limit:
            raise RegistryError(f"{self.name}: blob {digest} is {size} bytes, over {limit}")
        chunks: list[bytes] = []
        self.stream_blob(digest, size, chunks.append)
        data = b"".join(chunks)
        if sha256(data) != digest:
            raise RegistryError(
                f"{self.name}: blob content has digest {sha256(data)}, expected {digest}"
            )
        return data

    def stream_blob(self, digest: str, size: int | None, sink: Callable[[bytes], None]) -> None:
        """Raw bytes (no content decoding) to `sink`; size bounded; the caller verifies."""
        import httpx

        with self.session.request(
            "GET", f"/v2/{self.path}/blobs/{digest}", self.pull_scope, stream=True
        ) as resp:
            if resp.status_code == 404:
                raise RegistryError(f"{self.name}: blob {digest} unknown to the registry")
            if resp.status_code != 200:
                raise api_error(resp, f"{self.name}: blob {digest}")
            got = 0
            try:
                for chunk in resp.iter_raw(CHUNK):
                    got += len(chunk)
                    if size is not None and got > size:
                        raise RegistryError(
                            f"{self.name}: blob {digest} is larger than its declared size {size}"
                        )
                    sink(chunk)
            except httpx.HTTPError as exc:
                raise RegistryError(
                    f"{self.name}: download of {digest} failed after {got} bytes: {_reason(exc)}"
                ) from exc
            if size is not None and got != size:
                raise RegistryError(f"{self.name}: blob {digest} ended after {got} of {size} bytes")

    # -- push ------------------------------------------------------------------------------

    def has_blob(self, digest: str) -> bool:
        with self.session.request(
            "HEAD", f"/v2/{self.path}/blobs/{digest}", self.push_scope
        ) as resp:
            if resp.status_code == 200:
                return True
            if resp.status_code == 404:
                return False
            raise api_error(resp, f"{self.name}: blob {digest}")

    def mount_blob(self, digest: str, source_path: str) -> str | None:
        """Cross-repository mount; None if mounted, else an upload URL to use instead."""
        with self.session.request(
            "POST",
            f"/v2/{self.path}/blobs/uploads/",
            self._mount_scope(source_path),
            params={"mount": digest, "from": source_path},
            content=b"",
        ) as resp:
            if resp.status_code == 201:
                return None
            if resp.status_code == 202:
                return self._location(resp)
            raise api_error(resp, f"{self.name}: mount of {digest}")

    def _mount_scope(self, source_path: str) -> str:
        return f"{self.push_scope} repository:{source_path}:pull"

    def start_upload(self) -> str:
        with self.session.request(
            "POST", f"/v2/{self.path}/blobs/uploads/", self.push_scope, content=b""
        ) as resp:
            if resp.status_code != 202:
                raise api_error(resp, f"{self.name}: upload")
            return self._location(resp)

    def _location(self, resp: httpx.Response) -> str:
        loc = resp.headers.get("Location")
        if not loc:
            raise RegistryError(f"{self.name}: upload started without a Location")
        return str(resp.url.join(loc))

    def upload(
        self,
        location: str,
        digest: str,
        size: int,
        read: Callable[[int], bytes],
        progress: Callable[[int], None],
        chunk_size: int | None = None,
    ) -> None:
        """Monolithic PUT, or PATCH chunks of `chunk_size` then a closing PUT."""
        if chunk_size:
            location = self._patch_chunks(location, size, read, progress, chunk_size)
            body: Any = b""
            headers = {"Content-Length": "0"}
        else:
            body = _body(read, size, progress)
            headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
        with self.session.request(
            "PUT", location, self.push_scope, headers, content=body, params={"digest": digest}
        ) as resp:
            if resp.status_code != 201:
                raise api_error(resp, f"{self.name}: upload of {digest}")

    def _patch_chunks(
        self,
        location: str,
        size: int,
        read: Callable[[int], bytes],
        progress: Callable[[int], None],
        chunk_size: int,
    ) -> str:
        offset = 0
        while offset < size:
            data = read(min(chunk_size, size - offset))
            if not data:
                raise RegistryError(f"{self.name}: local blob ended at {offset} of {size} bytes")
            headers = {
                "Content-Type": "application/octet-stream",
                "Content-Range": f"{offset}-{offset + len(data) - 1}",
                "Content-Length": str(len(data)),
            }
            with self.session.request(
                "PATCH", location, self.push_scope, headers, content=data
            ) as resp:
                if resp.status_code != 202:
                    raise api_error(resp, f"{self.name}: chunk upload")
                location = self._location(resp)
            offset += len(data)
            progress(len(data))
        return location

    def put_manifest(self, ref: str, media_type: str, data: bytes) -> str:
        with self.session.request(
            "PUT",
            f"/v2/{self.path}/manifests/{ref}",
            self.push_scope,
            {"Content-Type": media_type},
            content=data,
        ) as resp:
            if resp.status_code != 201:
                raise api_error(resp, f"{self.name}:{ref}: manifest")
            return resp.headers.get("Docker-Content-Digest") or sha256(data)


def _body(read: Callable[[int], bytes], size: int, progress: Callable[[int], None]) -> Any:
    def gen() -> Iterator[bytes]:
        left = size
        while left > 0:
            data = read(min(CHUNK, left))
            if not data:
                raise RegistryError(f"local blob ended {left} bytes early")
            left -= len(data)
            progress(len(data))
            yield data

    return gen()


def _read_capped(resp: httpx.Response, limit: int, what: str) -> bytes:
    declared = resp.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise RegistryError(f"{what} is {declared} bytes, over the {limit}-byte limit")
    out = bytearray()
    for chunk in resp.iter_raw(CHUNK):
        out += chunk
        if len(out) > limit:
            raise RegistryError(f"{what} is over the {limit}-byte limit")
    return bytes(out)


def _media_type_of(data: bytes) -> str | None:
    try:
        doc = json.loads(data)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    mt = doc.get("mediaType")
    if isinstance(mt, str) and mt:
        return mt
    if isinstance(doc.get("manifests"), list):
        return OCI_INDEX
    if isinstance(doc.get("layers"), list):
        return OCI_MANIFEST
    return None
