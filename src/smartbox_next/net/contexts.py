"""Presentation-context planning for a batch of objects (PS3.5 §10, PS3.8 §9.3.2.2).

For each object the file's own transfer syntax gets its own context (one context per SOP class and transfer
syntax, so the accepted transfer syntax is unambiguous, DICOM_RULES §4), plus the syntaxes it can honestly
be converted to (:func:`smartbox_next.dicom.transfer_syntax.conversions`): Explicit and Implicit VR Little Endian for
uncompressed and decodable JPEG data, the fragmentable/non-fragmentable twin or a transcode target for video.
Implicit VR Little Endian, the default transfer syntax, is therefore proposed for every abstract syntax except
where the data exists only lossy-compressed and cannot be converted (the lossy waiver of PS3.5 §10.1). When a
lossy JPEG syntax other than Baseline is proposed, Baseline is proposed too (PS3.5 §10.3 default lossy).

At most 128 contexts fit one association (odd IDs 1-255, PS3.8 §9.3.2.2); a batch needing more is split into
several plans, each opened as its own association. Objects are never split from their contexts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from smartbox_next.dicom.part10 import ObjectInfo
from smartbox_next.dicom.transfer_syntax import JPEG_BASELINE, JPEG_EXTENDED, conversions
from smartbox_next.net.link import MAX_CONTEXTS, Context

VideoTargets = Callable[[str], Sequence[str]]
"""The video syntaxes a stream in the given syntax can be re-encoded to (see net.fallback.VideoTranscoder)."""


def needed_syntaxes(transfer_syntax: str, video_targets: VideoTargets | None = None) -> list[str]:
    """Transfer syntaxes to propose for an object in ``transfer_syntax``: its own first, then conversions."""
    out = [transfer_syntax, *conversions(transfer_syntax, video_targets)]
    if transfer_syntax == JPEG_EXTENDED:
        out.append(JPEG_BASELINE)  # PS3.5 §10.3: the default lossy syntax accompanies other lossy JPEG
    return list(dict.fromkeys(out))


def pairs_for(obj: ObjectInfo, video_targets: VideoTargets | None = None) -> list[tuple[str, str]]:
    """(SOP class, transfer syntax) pairs ``obj`` needs, one context each."""
    return [(obj.sop_class_uid, ts) for ts in needed_syntaxes(obj.transfer_syntax, video_targets)]


@dataclass(frozen=True)
class AssociationPlan:
    """Objects to send over one association and the ≤128 presentation contexts to propose for them."""

    objects: tuple[ObjectInfo, ...]
    pairs: tuple[tuple[str, str], ...]

    def contexts(self) -> list[Context]:
        """One context per pair, in order (proposed with IDs 1, 3, 5, …)."""
        return [Context(sop, (ts,)) for sop, ts in self.pairs]


def plan_associations(objects: Sequence[ObjectInfo], video_targets: VideoTargets | None = None,
                      max_contexts: int = MAX_CONTEXTS) -> list[AssociationPlan]:
    """Group ``objects`` into associations of at most ``max_contexts`` contexts, keeping the batch order.

    Objects of the same (SOP class, transfer syntax) kind always share an association; kinds are packed
    greedily in order of first appearance.
    """
    kinds: dict[tuple[str, str], list[ObjectInfo]] = {}
    for obj in objects:
        kinds.setdefault((obj.sop_class_uid, obj.transfer_syntax), []).append(obj)
    bins: list[tuple[list[ObjectInfo], dict[tuple[str, str], None]]] = []
    for members in kinds.values():
        needed = pairs_for(members[0], video_targets)
        for objs, pairs in bins:
            if len(pairs.keys() | set(needed)) <= max_contexts:
                objs.extend(members)
                pairs.update(dict.fromkeys(needed))
                break
        else:
            bins.append((list(members), dict.fromkeys(needed)))
    order = {id(obj): i for i, obj in enumerate(objects)}
    return [AssociationPlan(objects=tuple(sorted(objs, key=lambda o: order[id(o)])),
                            pairs=tuple(_sorted_pairs(pairs)))
            for objs, pairs in bins]


def _sorted_pairs(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Group contexts by SOP class, keeping each class's own-syntax-first order."""
    by_class: dict[str, list[str]] = {}
    for sop, ts in pairs:
        by_class.setdefault(sop, []).append(ts)
    return [(sop, ts) for sop, tss in by_class.items() for ts in tss]
