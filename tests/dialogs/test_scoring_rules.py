"""Every rule of framework.md (version 2) over random answer sets.

CI checks a few thousand sets here; `python -m bench.scoring_rules` checks 100,000 and its
result is recorded in bench/RESULTS.md.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogs.flow_loader import load_flow
from dialogs.scoring import decide, decide_effective, effective_answers, with_answer
from tests.support.scoring_rules import choices, pair_checks, run, single_checks

FLOW = load_flow()
CHOICES = choices(FLOW)
answer_sets = st.fixed_dictionaries({qid: st.sampled_from(opts) for qid, opts in CHOICES.items()})


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(answer_sets, st.randoms(use_true_random=False))
def test_every_rule_holds_for_random_answer_sets(
    answers: dict[str, str], rng: random.Random
) -> None:
    broken = [*single_checks(FLOW, answers), *pair_checks(FLOW, answers, rng)]
    assert not broken, (broken, answers)


def test_a_seeded_run_of_two_thousand_sets_breaks_no_rule() -> None:
    assert run(FLOW, 2000, seed=12) == {}


@given(answer_sets)
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_decide_without_explaining_gives_the_same_recommendation(answers: dict[str, str]) -> None:
    """The cheap form "what would change" re-runs per option agrees with the full one."""
    full, quick = decide(FLOW, answers), decide(FLOW, answers, explain=False)
    assert (quick.depth, quick.hosting, quick.wanted, quick.ready) == (
        full.depth,
        full.hosting,
        full.wanted,
        full.ready,
    )
    assert quick.contributions == () and quick.components == ()


ANY_OPTION = sorted({o for opts in CHOICES.values() for o in opts} | {"?"})
partial_answers = st.dictionaries(st.sampled_from(sorted(CHOICES)), st.sampled_from(ANY_OPTION))


@given(partial_answers, st.data())
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_with_answer_is_effective_answers_of_the_changed_set(
    answers: dict[str, str], data: st.DataObject
) -> None:
    effective = effective_answers(FLOW, answers)
    question = data.draw(st.sampled_from([q for q in FLOW.questions if q.input == "choice"]))
    option = data.draw(st.sampled_from([*(o.id for o in question.options), "?"]))
    changed = {**answers, question.id: option}
    assert with_answer(FLOW, answers, effective, question, option) == effective_answers(
        FLOW, changed
    )
    assert decide_effective(
        with_answer(FLOW, answers, effective, question, option), explain=False
    ) == decide(FLOW, changed, explain=False)
