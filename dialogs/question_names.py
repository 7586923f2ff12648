"""Which question a person names when they type one (`edit budget`, `edit 3`): its number in
the list, its id, its short name, or an unambiguous start of either."""

from __future__ import annotations

from dialogs.commands import normalise
from dialogs.flow import Question


def find_question(questions: list[Question], arg: str) -> Question | None:
    key = normalise(arg).replace(" ", "_")
    if key.isdigit() and 1 <= int(key) <= len(questions):
        return questions[int(key) - 1]
    for q in questions:
        if key == q.id or normalise(arg) == normalise(q.short):
            return q
    found = [
        q
        for q in questions
        if q.id.startswith(key) or normalise(q.short).startswith(normalise(arg))
    ]
    return found[0] if len(found) == 1 else None
