"""Pieces every evaluator shares: how a synthetic sample is tagged, and how clean samples are
grouped by the hard negatives and content they carry (for per-kind false-positive rates)."""

from __future__ import annotations

from typing import Any

from synth.core import Target


def sample_tags(target: Target) -> dict[str, Any]:
    """The hard negatives applied to a synthetic sample and the kind of its pristine content."""
    return {
        "negatives": list(target.stats.get("negatives", [])),
        "content": str(target.stats.get("source", {}).get("content", "")),
    }


def hard_negative_groups(
    rows: list[dict[str, Any]], clean: str, plain_group: bool = False
) -> dict[str, list[int]]:
    """Indices of the clean rows per ``negative:<name>``, ``content:<kind>`` and ``any_hard_negative``
    (plus ``no_hard_negative`` with ``plain_group``), in key order."""
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        if r["label"] != clean:
            continue
        keys = [f"negative:{n}" for n in r["negatives"]] + (
            [f"content:{r['content']}"] if r["content"] else []
        )
        if r["negatives"]:
            keys.append("any_hard_negative")
        elif plain_group:
            keys.append("no_hard_negative")
        for k in keys:
            groups.setdefault(k, []).append(i)
    return dict(sorted(groups.items()))
