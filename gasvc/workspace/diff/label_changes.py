"""An item's label changes as a diff shows them: the label's fields, and the masks whose image
differs. Loaded by the first item whose label changed (`ItemDiff.set_labels`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gasvc.model.labeldiff import FieldChange, field_changes
from gasvc.model.masks import KINDS, is_image_field, mask_changes, mask_path
from gasvc.workspace.diff.diff_result import FileVersion
from gasvc.workspace.store.layout import segment_folder

if TYPE_CHECKING:
    from gasvc.model.masks import MaskRef


@dataclass(frozen=True)
class MaskDiff:
    """A mask whose image differs (model/masks.py): its type, its image file, the versions."""

    kind: str
    path: str  # workspace-relative: "@masks/train/a.jpg.semantic.png"
    old: FileVersion | None
    new: FileVersion | None

    @property
    def code(self) -> str:
        return "A" if self.old is None else "D" if self.new is None else "M"


def label_changes(segment: str, path: str, old: dict[str, Any] | None,
                  new: dict[str, Any] | None) -> tuple[list[FieldChange], list[MaskDiff]]:
    """The field changes and the mask changes between an item's two stored labels."""
    label = [without_image(change) for change in field_changes(old, new)
             if not is_image_field(change.path)]
    folder = segment_folder(segment)
    masks = [MaskDiff(kind, mask_path(folder, path, kind), _version(a), _version(b))
             for kind, a, b in mask_changes(old, new)]
    return label, masks


def without_image(change: FieldChange) -> FieldChange:
    """A mask added or removed whole, without its image's checksum and size (`masks` has them)."""
    if change.path not in KINDS:
        return change
    return FieldChange(change.op, change.path, _no_image(change.old), _no_image(change.new))


def _no_image(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return {k: v for k, v in value.items() if k not in ("checksum", "fileSize")}


def _version(ref: MaskRef | None) -> FileVersion | None:
    if ref is None or ref.checksum is None:
        return None
    return FileVersion(ref.checksum, ref.size or 0)
