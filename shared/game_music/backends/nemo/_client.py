"""A typed, synchronous httpx client for the NemoVideo API.

Every request carries the three attribution headers and (except the anonymous-token call)
the bearer token; the token only ever travels in the ``Authorization`` header, never in a URL,
a log line or an error message, and only to the configured API origin (scheme, host and port
as httpx normalises them): a result link elsewhere, or a redirect off the origin, is fetched
without it. Plain HTTP is allowed only to this machine (a local test server).
Replies come in three shapes, all tolerated:
``{code, message?, data}`` (business endpoints), ``{success, data | error}`` (render proxy),
or a bare body (including ``{"detail": ...}`` errors).

Retry policy:
- 5xx and network errors: retried with backoff (stamina) for idempotent calls; a call that is
  not idempotent (session creation, render submit, an agent message) is retried only when the
  connection was never made, so nothing is ever sent twice.
- 1001 / 401 (token rejected): a fresh anonymous token, then one retry.
- 429: wait 30 s, retry once.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import stamina
from httpx_sse import SSEError, connect_sse

from ..._errors import (
    AuthError,
    BackendError,
    ExportBlocked,
    FileTooLarge,
    NetworkError,
    NoCredits,
    RateLimited,
    UnsupportedInput,
    UsageError,
)
from . import _retries
from ._auth import Credentials, TokenStore
from ._models import (
    AnonymousToken,
    ClaimToken,
    Credits,
    RenderJob,
    SessionInfo,
    SessionState,
    UploadResult,
)
from ._redact import mask
from ._settings import ATTRIBUTION, NemoSettings, load_settings
from ._sse import TurnReader, TurnResult, TurnTimeout

log = logging.getLogger("game_music.nemo")
_retries.install()
T = TypeVar("T")

APP_NAME = "nemo_agent"
RATE_LIMIT_WAIT_S = 30.0
#: Longest silence we accept inside an agent turn (heartbeats normally arrive far more often).
SSE_READ_TIMEOUT_S = 300.0
#: A download that sends nothing for this long, or less than STALL_MIN_BYTES in this long, is
#: stalled: it fails with a network error instead of hanging.
DOWNLOAD_STALL_S = 60.0
STALL_MIN_BYTES = 16 * 1024


# --- errors the client raises besides the public ones ---------------------------------------
class ServiceError(BackendError):
    """The service refused a request for a reason without a dedicated error code."""

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None):
        super().__init__(message)
        self.status, self.service_code = status, code


class TokenRejected(AuthError):
    """1001 / 401: the token is invalid or expired."""


class SessionNotFound(BackendError):
    """1002: the editing session is gone; a new one is needed."""


class TurnCut(NetworkError):
    """The agent turn's stream ended abnormally; the work may still be going on."""


class _TooManyRequests(RateLimited):
    pass


class UntrustedLink(ServiceError):
    """A link we will not fetch (plain HTTP to another machine)."""


class _Transient(Exception):
    """A failure worth retrying; ``sent`` says whether the request may have reached the server."""

    def __init__(self, error: BackendError, *, sent: bool) -> None:
        super().__init__(str(error))
        self.error, self.sent = error, sent


# --- origins ---------------------------------------------------------------------------
Origin = tuple[str, str, int | None]


def origin(url: httpx.URL) -> Origin:
    """Scheme, host and port as httpx normalises them (case, IDNA, default ports)."""
    port = url.port if url.port is not None else {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, port


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def plain_http_allowed(url: httpx.URL) -> bool:
    """HTTPS everywhere; plain HTTP only to this machine."""
    return url.scheme == "https" or (url.scheme == "http" and is_loopback(url.host))


# --- reply decoding ----------------------------------------------------------------------
def _one_line(text: Any, limit: int = 200) -> str:
    """A server message made safe to show: one line, short, no token even if echoed back."""
    return mask(" ".join(str(text).split()))[:limit]


def _message(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    for key in ("message", "error", "msg", "detail"):
        value = body.get(key)
        if isinstance(value, list) and value:  # validation errors: [{"msg": ...}, ...]
            value = value[0].get("msg") if isinstance(value[0], dict) else value[0]
        if value:
            return _one_line(value)
    return ""


def _code(body: Any) -> int | None:
    value = body.get("code") if isinstance(body, dict) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value if isinstance(value, int) else None


class NemoClient:
    """One API user (one token) against one base URL. Use as a context manager."""

    def __init__(
        self,
        settings: NemoSettings | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        store: TokenStore | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        note: Callable[[str], None] = log.info,
        attempts: int = 4,
    ) -> None:
        self.settings = settings or load_settings()
        self.store = store or TokenStore(self.settings)
        self.sleep, self.clock, self.note = sleep, clock, note
        self.attempts = attempts
        api = httpx.URL(self.settings.api_url)
        if not api.host or not plain_http_allowed(api):
            raise UsageError(
                f"NemoVideo API address {self.settings.api_url!r} must start with https:// "
                "(plain http only for this machine)"
            )
        self._origin = origin(api)
        self._creds: Credentials | None = None
        self._http = httpx.Client(
            base_url=self.settings.api_url,
            transport=transport,
            timeout=httpx.Timeout(60.0, connect=15.0),
            follow_redirects=True,
            # Runs for every request httpx sends, redirect hops included: the one place that
            # decides whether credentials may go where the request is going.
            event_hooks={"request": [self._guard_request]},
        )

    def __enter__(self) -> NemoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"NemoClient({self.settings.api_url!r})"

    # --- credentials -----------------------------------------------------------------------
    def credentials(self) -> Credentials:
        if self._creds is None:
            self._creds = (
                self.store.user_credentials() or self.store.cached() or self._new_anonymous()
            )
        return self._creds

    @property
    def signed_in(self) -> Credentials | None:
        """The credentials in use, if a request has needed them yet (never fetches)."""
        return self._creds

    @property
    def user_id(self) -> str | None:
        creds = self._creds or self.store.user_credentials() or self.store.cached()
        return (creds.user_id if creds else None) or self.store.last_user_id()

    def _new_anonymous(self) -> Credentials:
        headers = {"X-Client-Id": self.store.client_id()}
        data = self.call(
            "POST", "/api/auth/anonymous-token", auth=False, headers=headers, what="sign-in"
        )
        reply = AnonymousToken.model_validate(data)
        log.info("signed in to NemoVideo with a new anonymous token")
        return self.store.save(reply)

    def _reauthenticate(self) -> None:
        creds = self.credentials()
        if not creds.anonymous:
            raise AuthError(
                f"NemoVideo rejected the token from {creds.source}; check or replace it"
            )
        self.store.forget()
        self._creds = self._new_anonymous()

    def registration_link(self) -> str:
        uid = self.user_id
        base = self.settings.web_url
        return f"{base}/register?bind={uid}" if uid else f"{base}/register"

    # --- plumbing ------------------------------------------------------------------------
    def _headers(self, auth: bool, url: str | None = None) -> dict[str, str]:
        headers = dict(ATTRIBUTION)
        if auth and self.trusted(url):
            headers["Authorization"] = f"Bearer {self.credentials().token}"
        return headers

    def target(self, url: str) -> httpx.URL:
        """Where httpx will send ``url`` (a path is joined to the API address)."""
        return self._http.build_request("GET", url).url

    def trusted(self, url: str | httpx.URL | None) -> bool:
        """Credentials go to the configured API origin only, never to another scheme, host
        or port (a result link on a CDN is fetched without them)."""
        if url is None:
            return True
        where = url if isinstance(url, httpx.URL) else self.target(url)
        return origin(where) == self._origin

    def _guard_request(self, request: httpx.Request) -> None:
        if not plain_http_allowed(request.url):
            raise UntrustedLink(
                f"NemoVideo pointed to a plain-http link on another machine "
                f"({request.url.host}); refusing it", status=None,
            )
        if not self.trusted(request.url):
            request.headers.pop("Authorization", None)
            request.headers.pop("X-Client-Id", None)

    def _error(self, status: int, body: Any) -> BackendError:
        code, msg = _code(body), _message(body)
        suffix = f": {msg}" if msg else ""
        if code in (1001, 1010, 1011) or status == 401:
            return TokenRejected("NemoVideo rejected the token" + suffix)
        if code == 1002 or (status == 404 and "session" in msg.lower()):
            return SessionNotFound("the NemoVideo session no longer exists")
        if code == 2001:
            link = self.registration_link()
            return NoCredits(
                f"not enough NemoVideo credits; register or top up to continue: {link}"
            )
        if code == 4001 or status == 415:
            return UnsupportedInput("NemoVideo does not accept this file type" + suffix)  # type: ignore[return-value]
        if code == 4002 or status == 413:
            return FileTooLarge("the file is too large for NemoVideo" + suffix)  # type: ignore[return-value]
        if status == 402:
            return ExportBlocked(
                "your NemoVideo plan does not allow this export (a plan limit, not credits)"
            )
        if status == 429:
            return _TooManyRequests("NemoVideo is rate limiting requests; try again later")
        if status == 403:
            return AuthError("NemoVideo refused access" + suffix)
        if status >= 500:
            return ServiceError(f"NemoVideo server error (HTTP {status})", status=status, code=code)
        what = f"error {code}" if code else f"HTTP {status}"
        return ServiceError(f"NemoVideo {what}{suffix}", status=status, code=code)

    def _unwrap(self, response: httpx.Response) -> Any:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        status = response.status_code
        if not 200 <= status < 300:
            raise self._error(status, body)
        if isinstance(body, dict):
            code = _code(body)
            if code is not None:
                if code != 0:
                    raise self._error(status, body)
                return body.get("data")
            if "success" in body:
                if body["success"] is False:
                    raise self._error(status, body)
                return body.get("data", body)
        return body

    def _attempt(self, method: str, url: str, *, auth: bool, **kwargs: Any) -> httpx.Response:
        headers = {**self._headers(auth, url), **kwargs.pop("headers", {})}
        log.debug("%s %s", method, urlsplit(url).path)
        try:
            response = self._http.request(method, url, headers=headers, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise _Transient(self._network(exc), sent=False) from None
        except httpx.TransportError as exc:
            raise _Transient(self._network(exc), sent=True) from None
        if response.status_code >= 500:
            raise _Transient(self._error(response.status_code, _safe_json(response)), sent=True)
        return response

    def _network(self, exc: Exception) -> NetworkError:
        return NetworkError(f"cannot reach NemoVideo ({type(exc).__name__})")

    def _retrying(
        self, idempotent: bool, fn: Callable[[], httpx.Response], what: str
    ) -> httpx.Response:
        with _retries.retrying(what, self.attempts) as label:

            def retry_on(exc: Exception) -> bool:
                label.failed(exc)
                return isinstance(exc, _Transient) and (idempotent or not exc.sent)

            try:
                for attempt in stamina.retry_context(
                    on=retry_on, attempts=self.attempts, timeout=120.0, wait_initial=1.0,
                    wait_max=15.0,
                ):
                    with attempt:
                        return fn()
            except _Transient as exc:
                raise exc.error from None
        raise AssertionError("unreachable")  # pragma: no cover

    def call(
        self, method: str, path: str, *, auth: bool = True, idempotent: bool = False,
        what: str | None = None, **kwargs: Any
    ) -> Any:
        """Send one request (with the retries above) and return the reply's ``data``.
        ``what`` names the request in retry notices."""
        label = f"NemoVideo {what or f'{method} {urlsplit(path).path}'}"
        return self._guarded(
            lambda: self._unwrap(
                self._retrying(
                    idempotent, lambda: self._attempt(method, path, auth=auth, **dict(kwargs)),
                    label,
                )
            ),
            auth=auth,
        )

    def _guarded(self, fn: Callable[[], T], *, auth: bool = True) -> T:
        """Run ``fn``; on a rejected token sign in again once, on 429 wait and retry once.
        Both replies mean the server did not act on the request, so repeating it is safe."""
        reauthed = waited = False
        while True:
            try:
                return fn()
            except TokenRejected:
                if reauthed or not auth:
                    raise AuthError("NemoVideo rejected the token") from None
                self._reauthenticate()
                reauthed = True
            except _TooManyRequests:
                if waited:
                    raise RateLimited("NemoVideo is rate limiting requests; try later") from None
                self.note(f"NemoVideo asks us to slow down; waiting {RATE_LIMIT_WAIT_S:.0f} s")
                self.sleep(RATE_LIMIT_WAIT_S)
                waited = True

    # --- endpoints -----------------------------------------------------------------------
    def create_session(self, task_name: str, language: str | None = None) -> SessionInfo:
        body: dict[str, Any] = {"task_name": task_name}
        if language:
            body["language"] = language
        data = self.call(
            "POST", f"/api/tasks/me/with-session/{APP_NAME}", json=body, what="new session"
        )
        return SessionInfo.model_validate(data)

    def upload_files(
        self,
        session_id: str,
        paths: Sequence[Path],
        progress: Callable[[float], None] | None = None,
    ) -> UploadResult:
        """Multipart upload (field ``files``, repeated); repeating an upload is harmless."""
        total = sum(p.stat().st_size for p in paths) or 1
        with contextlib.ExitStack() as stack:
            counter = _Counter(total, progress)
            handles = [stack.enter_context(_CountingFile(p, counter)) for p in paths]

            def send() -> httpx.Response:
                counter.reset()
                files = [("files", (p.name, fh, "application/octet-stream"))
                         for p, fh in zip(paths, handles, strict=True)]
                return self._attempt(
                    "POST", f"/api/upload-video/{APP_NAME}/me/{session_id}",
                    auth=True, files=files, timeout=httpx.Timeout(60.0, write=600.0),
                )

            data = self._guarded(
                lambda: self._unwrap(self._retrying(True, send, "NemoVideo upload"))
            )
        return UploadResult.parse(data)

    def upload_urls(self, session_id: str, urls: Sequence[str]) -> UploadResult:
        data = self.call(
            "POST", f"/api/upload-video/{APP_NAME}/me/{session_id}", idempotent=True,
            json={"urls": list(urls), "source_type": "url"}, what="upload",
        )
        return UploadResult.parse(data)

    def credits(self) -> Credits:
        data = self.call(
            "GET", "/api/credits/balance/simple", idempotent=True, what="credit balance"
        )
        return Credits.model_validate(data or {})

    def state(self, session_id: str) -> SessionState:
        data = self.call(
            "GET", f"/api/state/{APP_NAME}/me/{session_id}/latest", idempotent=True,
            what="session state",
        )
        return SessionState.model_validate(data or {})

    def claim_link(self, task_id: str, session_id: str) -> str:
        """A browser link that opens this session in the web editor (no token in it)."""
        data = self.call(
            "POST", "/api/auth/claim-token", json={"task_id": task_id, "session_id": session_id},
            what="editor link",
        )
        claim = ClaimToken.model_validate(data).claim_token.get_secret_value()
        return f"{self.settings.web_url}/workspace/claim?ct={claim}"

    def run_turn(self, session_id: str, text: str, reader: TurnReader) -> TurnResult:
        """Send one message to the agent and read its turn. The message is never re-sent once
        it may have reached the server: a cut stream raises :class:`TurnCut` instead, and the
        caller recovers by reading the session state."""
        body = {
            "app_name": APP_NAME,
            "user_id": "me",
            "session_id": session_id,
            "new_message": {"role": "user", "parts": [{"text": text}]},
        }
        return self._guarded(lambda: self._turn_once(body, reader))

    def _turn_once(self, body: dict[str, Any], reader: TurnReader) -> TurnResult:
        timeout = httpx.Timeout(60.0, connect=15.0, read=SSE_READ_TIMEOUT_S)
        with _retries.retrying("NemoVideo agent message", self.attempts) as label:
            return self._turn_attempts(body, reader, timeout, label)

    def _turn_attempts(
        self, body: dict[str, Any], reader: TurnReader, timeout: httpx.Timeout,
        label: _retries.RetryLabel,
    ) -> TurnResult:
        def retry_on(exc: Exception) -> bool:  # only when the message never left
            label.failed(exc)
            return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)

        for attempt in stamina.retry_context(
            on=retry_on, attempts=self.attempts, timeout=120.0, wait_initial=1.0, wait_max=15.0,
        ):
            with attempt:
                try:
                    return self._stream_turn(body, reader, timeout)
                except (httpx.ConnectError, httpx.ConnectTimeout):
                    raise
                except httpx.TransportError as exc:
                    name = type(exc).__name__
                    raise TurnCut(f"the connection to NemoVideo broke ({name})") from None
                except SSEError:
                    raise TurnCut("NemoVideo sent an unreadable event stream") from None
                except TurnTimeout as exc:
                    raise TurnCut(f"NemoVideo did not finish the turn: {exc}") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _stream_turn(
        self, body: dict[str, Any], reader: TurnReader, timeout: httpx.Timeout
    ) -> TurnResult:
        log.debug("POST /run_sse")
        headers = {**self._headers(True), "Content-Type": "application/json"}
        with connect_sse(
            self._http, "POST", "/run_sse", json=body, headers=headers, timeout=timeout
        ) as source:
            response = source.response
            kind = response.headers.get("content-type", "")
            if response.status_code >= 500:
                raise TurnCut(f"NemoVideo server error (HTTP {response.status_code})")
            if not 200 <= response.status_code < 300 or "text/event-stream" not in kind:
                response.read()
                data = self._unwrap(response)  # raises the mapped error when there is one
                # A plain JSON reply instead of a stream: read it as a single event.
                return reader.read([json.dumps(data)] if data is not None else [])
            return reader.read(sse.data for sse in source.iter_sse())

    # --- render --------------------------------------------------------------------------
    def submit_render(
        self, render_id: str, session_id: str, draft: dict[str, Any]
    ) -> RenderJob:
        body = {
            "id": render_id,
            "sessionId": session_id,  # camelCase on this endpoint
            "draft": draft,
            "output": {"format": "mp4", "quality": "high"},
        }
        data = self.call("POST", "/api/render/proxy/lambda", json=body, what="render submit")
        job = RenderJob.parse(data)
        return job if job.id else job.model_copy(update={"id": render_id})

    def poll_render(self, render_id: str) -> RenderJob:
        data = self.call(
            "GET", f"/api/render/proxy/lambda/{render_id}", idempotent=True, what="render status"
        )
        return RenderJob.parse(data)

    def cancel_render(self, render_id: str) -> None:
        self.call(
            "POST", f"/api/render/proxy/lambda/{render_id}/cancel", idempotent=True,
            what="render cancel",
        )

    @contextlib.contextmanager
    def open_download(self, url: str) -> Iterator[httpx.Response]:
        """Stream ``url`` (absolute, or a path on the API host). Credentials go with it only
        when it is on the API origin; a refusal from elsewhere is the link's problem, not
        our token's (so it never triggers a new sign-in)."""
        where = self.target(url)
        on_origin = self.trusted(where)
        headers = self._headers(on_origin, url)
        log.debug("GET %s%s", where.path, "" if on_origin else " (no credentials: other origin)")
        timeout = httpx.Timeout(60.0, connect=15.0, read=DOWNLOAD_STALL_S)
        try:
            with self._http.stream("GET", url, headers=headers, timeout=timeout) as response:
                if response.status_code >= 400:
                    response.read()
                    if on_origin and self.trusted(response.url):
                        raise self._error(response.status_code, _safe_json(response))
                    raise ServiceError(
                        f"the result link was refused (HTTP {response.status_code})",
                        status=response.status_code,
                    )
                yield response
        except httpx.ReadTimeout:
            raise NetworkError(
                f"the download from NemoVideo stalled (nothing for {DOWNLOAD_STALL_S:g} s)"
            ) from None
        except httpx.TransportError as exc:
            raise self._network(exc) from None


def _safe_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class _Counter:
    def __init__(self, total: int, progress: Callable[[float], None] | None) -> None:
        self.total, self.progress, self.done = total, progress, 0

    def reset(self) -> None:
        self.done = 0

    def add(self, n: int) -> None:
        self.done += n
        if self.progress:
            self.progress(min(1.0, self.done / self.total))


class _CountingFile:
    """A file object that reports how much of it httpx has read (upload progress)."""

    def __init__(self, path: Path, counter: _Counter) -> None:
        self._fh = path.open("rb")
        self._counter = counter

    def __enter__(self) -> _CountingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()

    def read(self, size: int = -1) -> bytes:
        chunk = self._fh.read(size)
        self._counter.add(len(chunk))
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._fh.seek(offset, whence)

    def tell(self) -> int:
        return self._fh.tell()

    def fileno(self) -> int:
        return self._fh.fileno()
