"""Masks in what a server lists: labels in the stored form, and mask images fetched by URL.

A server lists a mask in its read form (`remotePath`, `info`, `url`); gasvc's server adds the
image's `checksum` and `fileSize`, which is all the stored form needs. For a server that does
not (TensorBay), the image is downloaded once, into `.gas/objects/`, and hashed there: the
label's id then still equals the server's, and checkout finds the image locally.
"""

from __future__ import annotations

import os
from typing import Any

from gasvc.api.transfer import download_unknown
from gasvc.model.canon import canonical_json
from gasvc.model.masks import KINDS, BadMask, mask_path, stored_from_read, with_mask_file
from gasvc.model.names import escaped
from gasvc.workspace.store.layout import segment_folder
from gasvc.workspace.sync.connection import Connection
from gasvc.workspace.sync.listing import RefusedListing

#: The longest file name most file systems take, in bytes.
MAX_FILE_NAME = 255


def stored_listed_label(conn: Connection, segment: str, path: str, label: dict[str, Any],
                        data: bytes) -> tuple[dict[str, Any], bytes, dict[str, str]]:
    """The stored form of a listed label (the same object when it has no mask) and its canonical
    JSON (`data`, the listed label's, when the same), and its masks' download URLs by kind."""
    try:
        stored, unknown = stored_from_read(label)
    except BadMask as error:
        shown = escaped(f"{segment}/{path}" if segment else path)
        raise RefusedListing(f"the server lists {shown} with a mask gas refuses: "
                             f"{error.message}") from None
    if stored is label:
        return label, data, {}
    for kind in KINDS.keys() & label.keys():
        name = mask_path(segment_folder(segment), path, kind).rpartition("/")[2]
        if len(name.encode()) > MAX_FILE_NAME:
            raise RefusedListing(f"the server lists {escaped(f'{segment}/{path}')} with a"
                                 f" {kind}, whose image's file name here would be longer than"
                                 f" {MAX_FILE_NAME} bytes")
    urls = {kind: str(label[kind].get("url") or "") for kind in KINDS if kind in label}
    for kind, url in unknown.items():
        checksum, size = fetch_mask(conn, url)
        stored = with_mask_file(stored, kind, checksum, size)
    return stored, canonical_json(stored), urls


def fetch_mask(conn: Connection, url: str) -> tuple[str, int]:
    """Download a mask image whose checksum is not listed into `.gas/objects/`: (SHA-1, size)."""
    if not url:
        raise RefusedListing("the server lists a mask with neither a checksum nor a URL")
    tmp, checksum, size = download_unknown(conn.client, url, conn.tmp_dir)
    target = conn.layout.object_path(checksum)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, target)
    return checksum, size
