"""The HTTP side of the API client: a session whose explicit TLS setting wins, its retries, and
the errors of reaching a server at all.

Retries (urllib3 `Retry`): connection errors and statuses 429, 502, 503, 504 — a busy, restarting
or proxied server — are retried with exponential back-off, for idempotent methods only (GET, PUT,
DELETE, HEAD); POST (create draft, commit) is never replayed, so it cannot run twice. A TLS failure
is never retried.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, cast

import requests
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError, SSLError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from gasvc.errors import ClientError


class _Retry(Retry):
    """urllib3's `Retry`, except that a TLS failure is final: a certificate that did not verify
    (or a server that speaks no TLS) will not on a second try, so the user hears at once."""

    def increment(self, method: str | None = None, url: str | None = None,
                  response: BaseHTTPResponse | None = None, error: Exception | None = None,
                  _pool: ConnectionPool | None = None,
                  _stacktrace: TracebackType | None = None) -> _Retry:
        if isinstance(error, SSLError):
            raise MaxRetryError(cast(ConnectionPool, _pool), url or "", error) from error
        return super().increment(method, url, response, error, _pool, _stacktrace)


RETRY = _Retry(
    total=4, connect=4, read=2, backoff_factor=0.3, status_forcelist=(429, 502, 503, 504),
    allowed_methods=frozenset({"GET", "PUT", "DELETE", "HEAD"}), raise_on_status=False,
)


#: A request that never got a whole answer: refused, reset, or cut off mid-answer (a server
#: killed while it answered; `ChunkedEncodingError` is no `ConnectionError` in requests).
BROKEN_CONNECTION = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)


class ServerUnreachable(ClientError):
    """No connection to the server (refused, unknown host, timed out)."""


def too_slow(who: str, seconds: float) -> ServerUnreachable:
    """The error of a request that got no answer in time (`requests.Timeout`)."""
    return ServerUnreachable(f"{who} did not answer within {seconds:g} s",
                             "the server may be busy: run the command again (clone, push and "
                             "pull go on where they stopped)")


class UntrustedServer(ClientError):
    """The server's TLS certificate does not verify."""


class WrongScheme(ClientError):
    """http:// given for an https server, or the other way round."""


def speaks_tls(site: str, timeout: float = 3) -> bool:
    """Whether the host and port of an http:// URL answer a TLS handshake."""
    import socket
    import ssl
    from urllib.parse import urlsplit

    parts = urlsplit(site)
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 80), timeout) as raw, \
                context.wrap_socket(raw, server_hostname=parts.hostname):
            return True
    except (OSError, ssl.SSLError):
        return False


class Session(requests.Session):
    """A session whose explicit `verify` (False or a CA bundle) beats REQUESTS_CA_BUNDLE.

    Plain requests lets the environment variable override a session's `verify`.
    """

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any,
                                   cert: Any) -> Any:
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if verify is None and self.verify is not True:
            settings["verify"] = self.verify
        return settings
