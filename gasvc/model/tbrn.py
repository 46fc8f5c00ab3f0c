"""TBRN, the TensorBay Resource Name (spec 5): `tb:DATASET[@REV|#DRAFT][:SEGMENT][://PATH]`."""

from __future__ import annotations

from dataclasses import dataclass

from gasvc.errors import ClientError

HINT = "write tb:DATASET, tb:DATASET@REVISION, tb:DATASET#DRAFT or tb:DATASET:SEGMENT://PATH"


class TBRNError(ClientError):
    """A TBRN (tb:DATASET…) that cannot be read or does not fit the command."""


@dataclass(frozen=True)
class TBRN:
    dataset: str
    revision: str | None = None
    draft: int | None = None
    segment: str | None = None
    path: str | None = None

    def __str__(self) -> str:
        text = "tb:" + self.dataset
        if self.draft is not None:
            text += f"#{self.draft}"
        elif self.revision is not None:
            text += f"@{self.revision}"
        if self.segment is not None:
            text += ":" + self.segment
        if self.path is not None:
            text += "://" + self.path
        return text


def is_tbrn(text: str) -> bool:
    return text.startswith("tb:")


def parse_tbrn(text: str) -> TBRN:
    """Parse the enabled TBRN forms of the 1.24.2 SDK (dataset, segment, normal file)."""
    left, sep, path = text.partition("://")
    fields = left.split(":", 2)
    if fields[0] != "tb" or len(fields) < 2:
        raise TBRNError(f"invalid TBRN {text!r}: it should start with 'tb:'", HINT)
    dataset, revision, draft = fields[1], None, None
    if "@" in dataset:
        dataset, revision = dataset.split("@", 1)
        if not revision:
            raise TBRNError(f"invalid TBRN {text!r}: empty revision after '@'", HINT)
    elif "#" in dataset:
        dataset, number = dataset.split("#", 1)
        if not (number.isascii() and number.isdigit()):
            raise TBRNError(f"invalid TBRN {text!r}: draft number {number!r} is not a number",
                            HINT)
        draft = int(number)
    if not dataset:
        raise TBRNError(f"invalid TBRN {text!r}: no dataset name", HINT)
    segment = fields[2] if len(fields) > 2 else None
    if segment is not None and ":" in segment:
        raise TBRNError(f"invalid TBRN {text!r}: frames and sensors are not supported", HINT)
    if sep and segment is None:
        raise TBRNError(f"invalid TBRN {text!r}: a path needs a segment", HINT)
    return TBRN(dataset, revision, draft, segment, path if sep else None)
