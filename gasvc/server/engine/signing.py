"""Signed, expiring download URLs and upload policies (no X-Token reaches storage calls)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from gasvc.errors import AccessDenied
from gasvc.server.settings import STORAGE_PREFIX

MULTIPLE_UPLOAD_LIMIT = 100


def sign(secret: bytes, *parts: str) -> str:
    return hmac.new(secret, "|".join(parts).encode(), hashlib.sha256).hexdigest()[:40]


def download_url(secret: bytes, base: str, checksum: str, expires: int) -> str:
    signature = sign(secret, "get", checksum, str(expires))
    return f"{base}{STORAGE_PREFIX}/blobs/{checksum}?e={expires}&s={signature}"


def check_download(secret: bytes, checksum: str, expires: str, signature: str, now: int) -> None:
    expected = sign(secret, "get", checksum, expires)
    if not hmac.compare_digest(expected, signature):
        raise AccessDenied("the download URL's signature is not valid",
                           "ask the API for a fresh URL")
    if not expires.isdigit() or int(expires) < now:
        raise AccessDenied("the download URL has expired", "ask the API for a fresh URL")


def upload_token(secret: bytes, dataset_id: str, user_id: str, expires: int) -> str:
    claims = json.dumps({"d": dataset_id, "u": user_id, "e": expires}, separators=(",", ":"))
    payload = base64.urlsafe_b64encode(claims.encode()).decode()
    return f"{payload}.{sign(secret, 'put', payload)}"


def check_upload_token(secret: bytes, token: str, now: int) -> dict[str, Any]:
    """The claims of a valid, unexpired upload token: dataset id `d`, user id `u`."""
    payload, _, signature = token.partition(".")
    if not hmac.compare_digest(sign(secret, "put", payload), signature):
        raise AccessDenied("the upload policy's signature is not valid",
                           "ask the API for a new policy")
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload))
    if int(claims["e"]) < now:
        raise AccessDenied("the upload policy has expired", "ask the API for a new policy")
    return claims


def policy(secret: bytes, base: str, dataset_id: str, user_id: str, expires: int
           ) -> dict[str, Any]:
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
        },
        "expireAt": expires,
    }
