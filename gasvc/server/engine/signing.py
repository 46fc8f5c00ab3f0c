"""Signed, expiring download URLs and upload policies (no X-Token reaches storage calls)."""

from __future__ import annotations

import base64
import hmac
import json
from typing import Any

from gasvc.errors import AccessDenied
from gasvc.server.params import is_int_text
from gasvc.server.settings import STORAGE_PREFIX

MULTIPLE_UPLOAD_LIMIT = 100
#: Checksums per batch request, and objects per callback, label or details-lookup request.
BATCH_LIMIT = 1000
#: The largest `limit` of a paged listing.
PAGE_LIMIT = 1000


def sign(secret: bytes, *parts: str) -> str:
    return hmac.digest(secret, "|".join(parts).encode(), "sha256").hex()[:40]  # one C call


def download_url(secret: bytes, base: str, checksum: str, expires: int) -> str:
    signature = sign(secret, "get", checksum, str(expires))
    return f"{base}{STORAGE_PREFIX}/blobs/{checksum}?e={expires}&s={signature}"


def check_download(secret: bytes, checksum: str, expires: str, signature: str, now: int) -> None:
    expected = sign(secret, "get", checksum, expires)
    if not hmac.compare_digest(expected, signature):
        raise AccessDenied("the download URL's signature is not valid",
                           "ask the API for a fresh URL")
    if not is_int_text(expires) or int(expires) < now:
        raise AccessDenied("the download URL has expired", "ask the API for a fresh URL")


def upload_token(secret: bytes, dataset_id: str, user_id: str, expires: int,
                 kind: str = "put") -> str:
    """A token for storage calls: kind "put" (upload policies) or "read" (batch downloads)."""
    claims = json.dumps({"d": dataset_id, "u": user_id, "e": expires}, separators=(",", ":"))
    payload = base64.urlsafe_b64encode(claims.encode()).decode()
    return f"{payload}.{sign(secret, kind, payload)}"


def check_upload_token(secret: bytes, token: str, now: int, kinds: tuple[str, ...] = ("put",)
                       ) -> dict[str, Any]:
    """The claims of a valid, unexpired token of one of `kinds`: dataset `d`, user `u`."""
    payload, _, signature = token.partition(".")
    if not any(hmac.compare_digest(sign(secret, kind, payload), signature) for kind in kinds):
        raise AccessDenied("the storage token's signature is not valid",
                           "ask the API for a new policy")
    try:
        claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload))
        expires = int(claims["e"])
    except (ValueError, KeyError, TypeError):
        raise AccessDenied("the storage token is malformed", "ask the API for a new policy"
                           ) from None
    if expires < now:
        raise AccessDenied("the storage token has expired", "ask the API for a new policy")
    return claims


def policy(secret: bytes, base: str, dataset_id: str, user_id: str, expires: int,
           direct: bool = False) -> dict[str, Any]:
    """A GetPolicy answer (spec 2.7.1) for multipart POST uploads to this server ("fps")."""
    return {
        "result": {
            "token": upload_token(secret, dataset_id, user_id, expires),
            "multipleUploadLimit": MULTIPLE_UPLOAD_LIMIT,
        },
        "extra": {
            "backendType": "fps",
            "host": f"{base}{STORAGE_PREFIX}/upload",
            "objectPrefix": f"{dataset_id}/",
            **batch_extra(base, direct),
        },
        "expireAt": expires,
    }


def batch_extra(base: str, direct: bool = False) -> dict[str, Any]:
    """How clients find gasvc's batch extension (absent from other servers' answers).

    `batchDownload` tells how to download many blobs: "stream" (one framed stream from this
    server) or, when the blob store serves presigned URLs (`direct`), "urls" (ask `urls` for
    them, then fetch each from the object store: the bytes never pass through this server)."""
    return {"batchHost": f"{base}{STORAGE_PREFIX}/batch", "batchLimit": BATCH_LIMIT,
            "pageLimit": PAGE_LIMIT, "detailsLimit": BATCH_LIMIT, "diffLimit": PAGE_LIMIT,
            "batchDownload": "urls" if direct else "stream"}


def read_policy(secret: bytes, base: str, dataset_id: str, user_id: str, expires: int,
                direct: bool = False) -> dict[str, Any]:
    """The batch extension's download token for one dataset, shaped like a GetPolicy answer."""
    return {
        "result": {"token": upload_token(secret, dataset_id, user_id, expires, "read")},
        "extra": batch_extra(base, direct),
        "expireAt": expires,
    }
