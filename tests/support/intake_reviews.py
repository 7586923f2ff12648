"""The largest review a description can make, for the platforms' size and limit tests."""

from __future__ import annotations

from dialogs.flow import Flow
from dialogs.replies import IntakeItem, IntakeReview


def largest_review(flow: Flow, evidence: str) -> IntakeReview:
    """Every question of `flow` settled (on its last option; the number question on 300M tokens
    a month), each quoting `evidence`, and every question still listed as open."""
    items = tuple(
        IntakeItem(
            question=q.id,
            short=q.short,
            option=q.options[-1].id if q.options else "300000000",
            label=(q.options[-1].label if q.options else "300,000,000 tokens a month"),
            evidence=evidence,
        )
        for q in flow.questions
    )
    return IntakeReview(items=items, open=tuple(q.short for q in flow.questions), stamp="s.1")
