"""Plain words: `help <term>` and the glossary a summary gets for the jargon it uses."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from dialogs.engine import EngineConfig
from dialogs.errors import ConfigError
from dialogs.flow import Flow
from dialogs.glossary import glossary_for, load_glossary, parse_glossary
from dialogs.replies import Help, Notice
from tests.support.conversation import Conversation, codes

# The jargon issue 12 names, as a person would type it after `help`.
ASKED_FOR = {
    "tokens": "tokens",
    "weights": "weights",
    "mlops": "MLOps",
    "peft": "PEFT",
    "lora": "LoRA",
    "distillation": "distillation",
    "rag": "RAG",
    "eval harness": "eval harness",
    "private endpoint": "private endpoint",
    "open weights": "open weights",
    "Open-Weight": "open weights",
    "retrieval": "RAG",
    "GPUs": "GPU",
    "air gapped": "air-gapped",
    "fine tuning": "fine-tuning",
    "DPO": "preference tuning",
    "structured outputs": "structured outputs",
    "agentic": "tool use",
    "residency": "data residency",
    "license": "licence",
    "self-hosted": "self-hosting",
}


@pytest.mark.parametrize(("typed", "term"), sorted(ASKED_FOR.items()))
def test_each_term_is_found_however_it_is_typed(typed: str, term: str) -> None:
    entry = load_glossary().lookup(typed)
    assert entry is not None and entry.term == term


def test_every_entry_is_found_by_its_own_term_and_spellings() -> None:
    for entry in load_glossary().entries:
        for spelling in (entry.term, *entry.also):
            found = load_glossary().lookup(spelling.upper())
            assert found is not None and found.term == entry.term, spelling


def test_glossary_for_matches_whole_words_any_case_each_once_in_glossary_order() -> None:
    texts = [
        "Fine-tune with LORA, counting TOKENS",
        "tokens again; a lora adapter",
        "drag, storage",
    ]
    got = glossary_for(texts)
    terms = [g["term"] for g in got]
    assert terms == ["tokens", "fine-tuning", "LoRA"]  # the glossary's order, not the texts'
    assert all(set(g) == {"term", "meaning"} and g["meaning"] for g in got)
    assert glossary_for(["storage and dragons", "pre-trained"]) == []
    assert glossary_for([]) == []


def test_glossary_for_is_stable_whatever_the_order_of_the_texts() -> None:
    texts = ["Use a private endpoint", "MLOps and an eval harness", "distil it", "RAG first"]
    assert glossary_for(texts) == glossary_for(list(reversed(texts)))


def test_the_flows_jargon_has_plain_words(flow: Flow) -> None:
    """The recommendation's own words (rung headlines, hosting, next steps) get a glossary."""
    s = flow.scoring
    texts = [flow.intro, *(r.headline for r in s.depths.values())]
    texts += [r.label for r in s.hostings.values()]
    found = {g["term"] for g in glossary_for(texts)}
    assert {"LoRA", "RAG", "private endpoint", "air-gapped", "pre-training"} <= found


def test_an_unknown_field_is_refused_naming_file_and_field() -> None:
    data = {"terms": [{"term": "tokens", "meaning": "Pieces of text.", "colour": "red"}]}
    with pytest.raises(ConfigError) as caught:
        parse_glossary(data, file="g.yaml")
    text = str(caught.value)
    assert "g.yaml" in text and "colour" in text and "tokens" in text


def test_a_missing_meaning_is_refused_naming_file_and_field() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_glossary({"terms": [{"term": "tokens"}]}, file="g.yaml")
    assert "g.yaml" in str(caught.value) and "meaning" in str(caught.value)


def test_a_stray_top_level_key_and_a_repeated_term_are_refused() -> None:
    data = {
        "terms": [{"term": "tokens", "meaning": "a"}, {"term": "Tokens", "meaning": "b"}],
        "extra": 1,
    }
    with pytest.raises(ConfigError) as caught:
        parse_glossary(data, file="g.yaml")
    assert "extra" in str(caught.value) and "twice" in str(caught.value)


def test_the_shipped_file_validates_with_no_stray_keys() -> None:
    raw = yaml.safe_load(resources.files("dialogs").joinpath("glossary.yaml").read_text())
    assert parse_glossary(raw).terms == load_glossary().terms


def test_help_with_a_term_explains_it_and_returns_to_the_question(
    flow: Flow, engine_config: EngineConfig
) -> None:
    chat = Conversation(flow=flow, config=engine_config)
    chat.say(None)
    replies = chat.say("help LoRA")
    help_reply = replies[0]
    assert isinstance(help_reply, Help) and help_reply.term is not None
    assert help_reply.term.term == "LoRA" and "adapter" in help_reply.term.meaning
    assert codes(replies)[1:] == ["ask"]
    assert chat.session is not None and chat.session.current == "stage"


def test_help_alone_lists_the_commands_and_mentions_help_term(
    flow: Flow, engine_config: EngineConfig
) -> None:
    chat = Conversation(flow=flow, config=engine_config)
    chat.say(None)
    (help_reply, _) = chat.say("help")
    assert isinstance(help_reply, Help) and help_reply.term is None
    assert "help <term>" in [c.name for c in help_reply.commands]


def test_an_unknown_term_lists_the_known_ones(flow: Flow, engine_config: EngineConfig) -> None:
    chat = Conversation(flow=flow, config=engine_config)
    chat.say(None)
    replies = chat.say("help flux capacitor")
    notice = replies[0]
    assert isinstance(notice, Notice) and notice.code == "unknown_term"
    assert notice.echo == "flux capacitor"
    for term in ("tokens", "LoRA", "eval harness", "private endpoint"):
        assert term in notice.text
    assert "flux" not in notice.text  # the typed text is an echo, escaped by each renderer
    assert codes(replies)[1:] == ["ask"]
