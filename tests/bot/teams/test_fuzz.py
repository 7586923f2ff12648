"""Fuzzing the Teams endpoint: random and hostile activities through the real CloudAdapter.

Every example is posted as JSON to the real aiohttp endpoint (CloudAdapter in dev mode); the
bot's replies go to the stand-in Bot Connector, which validates every Adaptive Card against the
1.5 schema. After each example:

- every activity gets a 2xx from /api/messages; a body that is not an activity, or one that
  Teams would never send (fields botbuilder cannot deserialize, no sender, conversation or
  serviceUrl, a conversation id no reply could carry), gets a 400 and no reply;
- nothing was logged at ERROR by any logger (the bot's error boundary logs there, so an
  exception that reached it counts as escaped), and the connector found no card problems;
- every session document written since the module started loads, with valid option ids;
- no TextBlock (nor fact, nor plain message text) the bot sent holds a live markdown link
  `](` or a `{{…}}` function: typed text belongs in TextRuns, where neither is rendered.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final

import pytest
from aiohttp import web
from botbuilder.schema import Activity
from botbuilder.schema.teams import TeamsChannelData
from hypothesis import example, given, reject, settings
from hypothesis import strategies as st
from redis import asyncio as aioredis

from bot.settings import Settings
from bot.teams.server import header_safe as reply_header_safe
from dialogs.flow import Flow
from dialogs.stores.redis_store import RedisStore, create_redis_client
from tests.support.fuzz_strategies import (
    FUZZ,
    NO_SHRINK,
    TEAMS_LIVE,
    ErrorRecords,
    LoopThread,
    Plan,
    SessionAudit,
    apply_plan,
    clip,
    junk,
    odd_text,
    plans,
)
from tests.support.payloads import walk
from tests.support.teams_activities import (
    BOT_ID,
    card_submit,
    channel_conversation_id,
    channel_message,
    conversation_update_members_added,
    invoke,
    mention_entity,
    new_aad_object_id,
    new_activity_id,
    new_channel_id,
    new_personal_conversation_id,
    new_user_id,
    personal_message,
)
from tests.support.teams_connector import ConnectorCall, Operation, TeamsConnector
from tests.bot.teams.conftest import TeamsHarness, start_teams

#: Examples per property; together they keep this file well under 40 s on two cores.
#: Message tests run once per focus field (11), submits once per forgery (7), other activities
#: once per kind (11).
MESSAGE_EXAMPLES: Final = 10
SUBMIT_EXAMPLES: Final = 12
OTHER_EXAMPLES: Final = 6

TEAM: Final = "19:fuzz-team@thread.tacv2"
PROXY_ENV_VARS: Final = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")
#: What Adaptive Card hosts render live in a TextBlock: a markdown link, a date/time function.
LIVE_LINK: Final = re.compile(r"\]\(")
LIVE_FUNCTION: Final = re.compile(r"\{\{[^{}]*\}\}")
KEEP: Final = "<keep>"
NOTHING: Plan = ((), {})
DROP_FROM: Plan = ((("from", "drop", None),), {})
DROP_CONVERSATION: Plan = ((("conversation", "drop", None),), {})
DROP_SERVICE_URL: Plan = ((("serviceUrl", "drop", None),), {})


# ------------------------------------------------------------------------------ the harness


class Unparseable(Exception):
    """The example built an activity botbuilder cannot deserialize (a known failure)."""


@dataclass
class Person:
    user_id: str = field(default_factory=new_user_id)
    aad: str = field(default_factory=new_aad_object_id)
    conversation: str = field(default_factory=new_personal_conversation_id)


@dataclass(repr=False)
class TeamsFuzz:
    loop: LoopThread
    connector: TeamsConnector
    harness: TeamsHarness
    runner: web.AppRunner
    store: RedisStore
    redis: aioredis.Redis
    audit: SessionAudit
    errors: ErrorRecords = field(default_factory=ErrorRecords)
    users: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"<TeamsFuzz {self.harness.url}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # hypothesis prints fixtures with failing examples

    @classmethod
    async def start(cls, loop: LoopThread, redis_url: str, flow: Flow) -> TeamsFuzz:
        connector = await TeamsConnector().start()
        store = RedisStore(client=create_redis_client(redis_url, timeout_seconds=1.0))
        settings_ = Settings(redis_url=redis_url, teams_dev_mode=True)
        harness, runner = await start_teams(connector, settings_, store, dev=True)
        redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
        audit = await SessionAudit(redis, flow).start()
        return cls(loop, connector, harness, runner, store, redis, audit)

    async def stop(self) -> None:
        await self.harness.http.close()
        await self.runner.cleanup()
        await self.store.close()
        await self.redis.aclose()
        await self.connector.stop()

    def person(self) -> Person:
        person = Person()
        self.users += [person.user_id, person.aad]
        return person

    async def post(self, activity: Any, *, parseable_only: bool = True) -> int:
        """POST one activity. The main fuzz sends only activities botbuilder can deserialize;
        the ones it cannot are a known failure with a test of their own (below)."""
        if parseable_only and isinstance(activity, dict) and not parseable(activity):
            raise Unparseable  # rejected on the test's own thread: see `run`
        headers = {"Content-Type": "application/json"}
        body = json.dumps(activity)
        url = self.harness.url
        async with self.harness.http.post(url, data=body, headers=headers) as answer:
            await answer.read()
            return answer.status

    def begin(self) -> int:
        self.errors.records.clear()
        self.connector.card_problems.clear()
        self.users.clear()
        return len(self.connector.calls)

    async def check(self, mark: int, statuses: list[int]) -> list[str]:
        # Activities are accepted (2xx); only a body that is not an activity gets a 400.
        found = [f"HTTP {s}" for s in statuses if not 200 <= s < 300]
        found += [f"card: {p}" for p in self.connector.card_problems]
        found += [f"logged: {line}" for line in self.errors.describe()]
        for call in self.connector.calls[mark:]:
            found += [f"{call.operation}: {p}" for p in live_text(call)]
        found += await self.audit.problems()
        self.audit.retire(self.users)
        return found

    async def open_personal(self, person: Person) -> ConnectorCall:
        """Start `person`'s assessment in their personal chat; the first question card."""
        mark = len(self.connector.calls)
        await self.post(self.say(person, "hi"))
        for call in self.connector.calls[mark:]:
            if call.operation in (Operation.SEND, Operation.REPLY) and _options(call):
                return call
        raise AssertionError(f"no question card for {person}: {self.connector.calls[mark:]}")

    def say(self, person: Person, text: str, **extra: Any) -> dict[str, Any]:
        return personal_message(
            text,
            user_id=person.user_id,
            aad_object_id=person.aad,
            conversation_id=person.conversation,
            service_url=self.connector.service_url,
            **extra,
        )


def parseable(activity: dict[str, Any]) -> bool:
    """Whether botbuilder's own Activity model accepts this JSON (msrest deserialization)."""
    try:
        Activity().deserialize(json.loads(json.dumps(activity)))
    except Exception:
        return False
    return True


def channel_data_ok(value: Any) -> bool:
    """Whether botbuilder's Teams handler can read this `channelData` (see the known failure)."""
    try:
        return TeamsChannelData().deserialize(value) is not None
    except Exception:
        return False


def _options(call: ConnectorCall) -> list[dict[str, Any]]:
    """The Action.Submit data of every button on the cards of one call."""
    return [
        node["data"]
        for card in call.cards
        for node in walk(card)
        if node.get("type") == "Action.Submit" and isinstance(node.get("data"), dict)
    ]


def live_text(call: ConnectorCall) -> Iterator[str]:
    """Markdown links and `{{…}}` functions where Teams would render them."""
    texts: list[tuple[str, str]] = []
    if call.operation in (Operation.SEND, Operation.REPLY, Operation.UPDATE):
        if isinstance(call.body.get("text"), str):
            texts.append(("message text", call.body["text"]))
        for card in call.cards:
            for node in walk(card):
                if node.get("type") == "TextBlock" and isinstance(node.get("text"), str):
                    texts.append(("TextBlock", node["text"]))
                if node.get("type") == "FactSet":
                    facts = [f for f in node.get("facts") or [] if isinstance(f, dict)]
                    texts += [
                        ("Fact", str(f.get(k, ""))) for f in facts for k in ("title", "value")
                    ]
    for where, text in texts:
        if LIVE_LINK.search(text):
            yield f"live markdown link in a {where}: {clip(text, 200)!r}"
        if LIVE_FUNCTION.search(text):
            yield f"live {{{{…}}}} function in a {where}: {clip(text, 200)!r}"


@pytest.fixture(scope="module")
def fuzz(redis_url: str, flow: Flow) -> Iterator[TeamsFuzz]:
    with pytest.MonkeyPatch.context() as patch:
        for name in PROXY_ENV_VARS:
            patch.delenv(name, raising=False)
        loop = LoopThread()
        env = loop.run(TeamsFuzz.start(loop, redis_url, flow))
        env.errors.install()
        try:
            yield env
        finally:
            env.errors.remove()
            loop.run(env.stop())
            loop.close()


def run(fuzz: TeamsFuzz, scenario: Any) -> None:
    """Run one example on the fuzz loop and fail with everything it found."""

    async def go() -> list[str]:
        mark = fuzz.begin()
        statuses = await scenario(fuzz)
        return await fuzz.check(mark, statuses)

    try:
        found = fuzz.loop.run(go())
    except Unparseable:
        reject()
    assert not found, "\n".join(found[:20])


def refused(case: Any) -> Any:
    """`case`, whose last activity must be answered 400 (the ones before it, 2xx)."""

    async def scenario(fuzz: TeamsFuzz) -> list[int]:
        mark = len(fuzz.connector.calls)
        statuses: list[int] = await case(fuzz)
        assert statuses[-1] == 400, f"HTTP {statuses[-1]} for {case}"
        if len(statuses) == 1:
            assert fuzz.connector.calls[mark:] == [], "a refused activity was answered"
        return statuses[:-1]

    return scenario


# ------------------------------------------------------------------------------ messages

#: Activity fields the fuzz drops, blanks or replaces with junk. Activities without `from`,
#: `conversation`, `recipient` or `serviceUrl` are refused; a test of their own covers them.
ACTIVITY_KEYS: Final = (
    "id",
    "timestamp",
    "localTimestamp",
    "entities",
    "channelData",
    "locale",
    "textFormat",
    "attachments",
    "replyToId",
    "localTimezone",
)
names = st.one_of(
    st.sampled_from(["Test User", "", "Ann", "Ünïcødé 🙂"]),
    st.sampled_from(TEAMS_LIVE),
    odd_text(TEAMS_LIVE, max_huge=2_000),
)


def mention_entities() -> st.SearchStrategy[list[Any]]:
    """Entities as Teams sends them, and as it never would: mentions of others, broken ones."""
    mention = st.one_of(
        st.builds(mention_entity, st.sampled_from([BOT_ID, "29:someone-else", ""]), names),
        st.fixed_dictionaries(
            {"type": st.just("mention")},
            optional={"mentioned": junk(), "text": st.one_of(names, junk())},
        ),
        st.fixed_dictionaries({"type": junk()}, optional={"mentioned": junk()}),
        junk(),
    )
    return st.lists(mention, max_size=3)


@dataclass(frozen=True)
class MessageCase:
    scope: str
    text: str
    name: str
    opened: bool
    entities: list[Any] | None
    conversation: Any
    plan: Plan

    async def __call__(self, fuzz: TeamsFuzz) -> list[int]:
        person = fuzz.person()
        statuses: list[int] = []
        channel, root = new_channel_id(), new_activity_id()
        if self.scope == "personal":
            conversation = person.conversation
            if self.opened:
                statuses.append(await fuzz.post(fuzz.say(person, "hi")))
            activity = fuzz.say(person, self.text, user_name=self.name)
        else:
            conversation = channel_conversation_id(channel, root)
            common: dict[str, Any] = {
                "user_id": person.user_id,
                "aad_object_id": person.aad,
                "team_id": TEAM,
                "channel_id": channel,
                "thread_root_id": root,
                "service_url": fuzz.connector.service_url,
                "user_name": self.name,
            }
            if self.opened:
                statuses.append(await fuzz.post(channel_message("", **common)))
            activity = channel_message(self.text, mention_bot=self.scope != "unmentioned", **common)
        if self.entities is not None:
            activity["entities"] = [*activity["entities"], *copy.deepcopy(self.entities)]
        if self.conversation != KEEP:
            activity["conversation"]["id"] = (
                self.conversation.replace("{id}", conversation)
                if isinstance(self.conversation, str)
                else self.conversation
            )
        statuses.append(await fuzz.post(apply_plan(activity, self.plan)))
        return statuses


def header_safe(conversation: Any) -> bool:
    """Whether botbuilder can reply there: it needs an id, and puts it in an HTTP header."""
    return conversation not in (None, "") and reply_header_safe(str(conversation))


conversation_ids = st.one_of(
    st.just(KEEP),
    st.just(KEEP),
    st.sampled_from(
        [
            "{id};messageid=",
            "{id};messageid=;messageid=1",
            "{id}/../../v3/conversations/evil",
            "{id}?x=1#frag",
            "{id}%2F..%2F",
            "{id} trailing space ",
            "{id}\tand\ttabs",
            "a:" + "x" * 300,
            "a:Ünïcødé",
        ]
    ),
    st.text(alphabet=st.characters(codec="latin-1"), max_size=60),
    junk(),
).filter(lambda c: header_safe(c.replace("{id}", "a:x") if isinstance(c, str) else c))


@cache
def message_cases(focus: str | None) -> st.SearchStrategy[MessageCase]:
    """Hostile messages that change `focus` (an activity field) among other things."""
    return st.builds(
        MessageCase,
        scope=st.sampled_from(["personal", "personal", "channel", "unmentioned"]),
        text=odd_text(TEAMS_LIVE),
        name=names,
        opened=st.booleans(),
        entities=st.none() | mention_entities(),
        conversation=conversation_ids,
        plan=plans(ACTIVITY_KEYS, focus=focus),
    )


@pytest.mark.parametrize("focus", (None, *ACTIVITY_KEYS))
@settings(FUZZ, max_examples=MESSAGE_EXAMPLES)
@given(data=st.data())
def test_hostile_messages(fuzz: TeamsFuzz, focus: str | None, data: st.DataObject) -> None:
    run(fuzz, data.draw(message_cases(focus), label="case"))


# ------------------------------------------------------------------------------ card submits


#: How the submitted `value` is forged from a real button's data, by name.
FORGERIES: Final[dict[str, st.SearchStrategy[tuple[Any, ...]]]] = {
    "real": st.just(("real",)),
    "field_junk": st.tuples(st.just("field"), st.sampled_from(["q", "o", "s", "u", "cmd"]), junk()),
    "field_text": st.tuples(
        st.just("field"),
        st.sampled_from(["q", "o", "s", "cmd", "question"]),
        odd_text(TEAMS_LIVE, max_huge=20_000),
    ),
    "owner": st.tuples(st.just("owner"), st.sampled_from(["someone-else", "29:1abc", "", "U1"])),
    "command": st.tuples(
        st.just("command"),
        st.sampled_from(["back", "skip", "yes", "no", "restart", "start", "edit"])
        | odd_text(TEAMS_LIVE, max_huge=5_000),
        st.none() | odd_text(TEAMS_LIVE, max_huge=5_000),
    ),
    "nested": st.tuples(st.just("nested"), st.sampled_from(["q", "o", "s", "u", "cmd"]), junk()),
    "value": st.tuples(st.just("value"), junk()),
}


def forge(recipe: tuple[Any, ...], real: dict[str, Any], owner: str) -> Any:
    kind = recipe[0]
    data = dict(real)
    if kind == "field":
        data[recipe[1]] = recipe[2]
    elif kind == "owner":
        data["u"] = recipe[1]
    elif kind == "command":
        data = {"cmd": recipe[1], "u": owner}
        if recipe[2] is not None:
            data["question"] = recipe[2]
    elif kind == "nested":
        data[recipe[1]] = {"value": data.get(recipe[1]), "more": [recipe[2]]}
    elif kind == "value":
        return recipe[1]
    return data


@dataclass(frozen=True)
class SubmitCase:
    button: int
    value: tuple[Any, ...]
    reply_to: Any
    plan: Plan

    async def __call__(self, fuzz: TeamsFuzz) -> list[int]:
        person = fuzz.person()
        question = await fuzz.open_personal(person)
        buttons = _options(question)
        real = buttons[self.button % len(buttons)]
        activity = card_submit(
            forge(self.value, real, person.aad),
            reply_to_id=str(question.answer["id"]),
            user_id=person.user_id,
            aad_object_id=person.aad,
            conversation_id=person.conversation,
            service_url=fuzz.connector.service_url,
        )
        if self.reply_to != KEEP:
            activity["replyToId"] = self.reply_to
        return [await fuzz.post(apply_plan(activity, self.plan))]


SUBMIT_FIELDS: Final = ("id", "entities", "channelData", "text", "locale")


@cache
def submit_cases(forgery: str) -> st.SearchStrategy[SubmitCase]:
    return st.builds(
        SubmitCase,
        button=st.integers(0, 20),
        value=FORGERIES[forgery],
        reply_to=st.one_of(
            st.just(KEEP),
            st.just(KEEP),
            st.sampled_from(["", "1", "x" * 300, "../evil"]),
            junk(),
        ),
        plan=st.sampled_from((None, *SUBMIT_FIELDS)).flatmap(
            lambda focus: plans(SUBMIT_FIELDS, focus=focus)
        ),
    )


@pytest.mark.parametrize("forgery", FORGERIES)
@settings(FUZZ, max_examples=SUBMIT_EXAMPLES)
@given(data=st.data())
def test_forged_card_submits(fuzz: TeamsFuzz, forgery: str, data: st.DataObject) -> None:
    run(fuzz, data.draw(submit_cases(forgery), label="case"))


# ------------------------------------------------------------------------------ other activities


@dataclass(frozen=True)
class OtherCase:
    kind: str
    name: Any
    value: Any
    members: Any
    plan: Plan
    channel_data: Any = KEEP  # `channelData`, replaced (None: dropped)

    async def __call__(self, fuzz: TeamsFuzz) -> list[int]:
        person = fuzz.person()
        url = fuzz.connector.service_url
        activity: Any
        match self.kind:
            case "install":
                activity = conversation_update_members_added(
                    user_id=person.user_id,
                    conversation_id=person.conversation,
                    aad_object_id=person.aad,
                    service_url=url,
                )
                if self.members != KEEP:
                    activity["membersAdded"] = self.members
            case "team_install":
                activity = conversation_update_members_added(
                    user_id=person.user_id,
                    conversation_id=TEAM,
                    scope="channel",
                    team_id=TEAM,
                    service_url=url,
                )
            case "invoke":
                activity = invoke(
                    self.name if isinstance(self.name, str) else "adaptiveCard/action",
                    None,
                    user_id=person.user_id,
                    conversation_id=person.conversation,
                    aad_object_id=person.aad,
                    service_url=url,
                )
                activity["value"] = self.value
            case _:
                activity = fuzz.say(person, "hi")
                activity["type"] = self.kind
                activity["value"] = self.value
        activity = apply_plan(activity, self.plan)
        if self.channel_data is None:
            activity.pop("channelData", None)
        elif self.channel_data != KEEP:
            activity["channelData"] = self.channel_data
        status = await fuzz.post(activity)
        if self.kind == "invoke" and status == 501:
            status = 200  # botbuilder's answer to an invoke the bot does not implement
        return [status]


OTHER_KINDS: Final = (
    "install",
    "team_install",
    "messageReaction",
    "typing",
    "event",
    "conversationUpdate",
    "installationUpdate",
    "endOfConversation",
    "messageUpdate",
    "messageDelete",
    "unknownType",
)
OTHER_FIELDS: Final = ("id", "entities", "locale", "timestamp", "localTimestamp")


@cache
def other_cases(kind: str) -> st.SearchStrategy[OtherCase]:
    return st.builds(
        OtherCase,
        kind=st.just(kind),
        name=st.just(""),
        value=junk(),
        members=st.one_of(
            st.just(KEEP),
            st.lists(
                st.one_of(
                    st.fixed_dictionaries({"id": st.sampled_from([BOT_ID, "29:other", ""])}),
                    st.fixed_dictionaries({"id": st.just(BOT_ID), "name": names}),
                    junk(),
                ),
                max_size=3,
            ),
        ),
        plan=st.sampled_from((None, *OTHER_FIELDS)).flatmap(
            lambda focus: plans(OTHER_FIELDS, focus=focus)
        ),
        channel_data=st.just(KEEP)
        | st.dictionaries(st.sampled_from(["tenant", "team", "x"]), junk()).filter(channel_data_ok),
    )


@pytest.mark.parametrize("kind", OTHER_KINDS)
@settings(FUZZ, max_examples=OTHER_EXAMPLES)
@given(data=st.data())
def test_other_activities(fuzz: TeamsFuzz, kind: str, data: st.DataObject) -> None:
    run(fuzz, data.draw(other_cases(kind), label="case"))


# ------------------------------------------------------------------------------ known failures


_SAMPLE: Final = personal_message(
    "hi", user_id=new_user_id(), aad_object_id=new_aad_object_id(), conversation_id="a:sample"
)


def unparseable(case: TypedJunk) -> bool:
    return not parseable(apply_plan(_SAMPLE, case.plan))


@dataclass(frozen=True)
class TypedJunk:
    """A message whose standard fields have types botbuilder's Activity model rejects."""

    plan: Plan

    async def __call__(self, fuzz: TeamsFuzz) -> list[int]:
        activity = apply_plan(fuzz.say(fuzz.person(), "hi"), self.plan)
        return [await fuzz.post(activity, parseable_only=False)]


TYPED_FIELDS: Final = (
    "timestamp",
    "localTimestamp",
    "entities",
    "attachments",
    "from",
    "recipient",
)


@settings(FUZZ, max_examples=5, phases=NO_SHRINK)
@example(case=TypedJunk(((("timestamp", "junk", []),), {})))
@example(case=TypedJunk(((("entities", "junk", False),), {})))
@given(
    case=st.builds(
        TypedJunk,
        st.tuples(
            st.tuples(st.tuples(st.sampled_from(TYPED_FIELDS), st.just("junk"), junk())),
            st.just({}),
        ),
    ).filter(unparseable)
)
def test_activities_botbuilder_cannot_deserialize_get_400(fuzz: TeamsFuzz, case: TypedJunk) -> None:
    """botbuilder's own model rejects them (it would answer 500): a 400, nothing logged."""
    run(fuzz, refused(case))


@settings(FUZZ, max_examples=5, phases=NO_SHRINK)
@example(case=OtherCase("install", "", None, KEEP, NOTHING, channel_data=None))
@given(
    case=st.builds(
        OtherCase,
        kind=st.sampled_from(["install", "team_install", "conversationUpdate"]),
        name=st.just(""),
        value=st.none(),
        members=st.just(KEEP),
        plan=st.just(NOTHING),
        channel_data=st.none() | junk().filter(lambda v: v is not None and not channel_data_ok(v)),
    )
)
def test_conversation_updates_without_channel_data(fuzz: TeamsFuzz, case: OtherCase) -> None:
    """Read as if `channelData` were empty: a personal install still gets its welcome card."""

    async def scenario(f: TeamsFuzz) -> list[int]:
        mark = len(f.connector.calls)
        statuses = await case(f)
        if case.kind == "install":
            sent = [c for c in f.connector.calls[mark:] if c.cards]
            assert sent, "no welcome card"
        return statuses

    run(fuzz, scenario)


INVOKE_NAMES: Final = (
    "adaptiveCard/action",
    "task/fetch",
    "task/submit",
    "composeExtension/query",
    "composeExtension/submitAction",
    "signin/verifyState",
    "actionableMessage/executeAction",
    "fileConsent/invoke",
    "config/fetch",
    "tab/fetch",
    "healthCheck",
    "",
)


@settings(FUZZ, max_examples=5, phases=NO_SHRINK)
@example(case=OtherCase("invoke", "adaptiveCard/action", None, KEEP, NOTHING))
@example(case=OtherCase("invoke", "task/fetch", [], KEEP, NOTHING))
@given(
    case=st.builds(
        OtherCase,
        kind=st.just("invoke"),
        name=st.sampled_from(INVOKE_NAMES) | junk(),
        value=junk(),
        members=st.just(KEEP),
        plan=st.just(NOTHING),
    )
)
def test_invokes_the_bot_does_not_implement(fuzz: TeamsFuzz, case: OtherCase) -> None:
    run(fuzz, case)


@settings(FUZZ, max_examples=5, phases=NO_SHRINK)
@example(case=MessageCase("personal", "hi", "Ann", False, None, KEEP, DROP_CONVERSATION))
@example(case=MessageCase("personal", "hi", "Ann", False, None, KEEP, DROP_FROM))
@example(case=MessageCase("personal", "hi", "Ann", False, None, "a:🙂", NOTHING))
@example(case=MessageCase("personal", "hi", "Ann", False, None, None, NOTHING))
@example(case=MessageCase("personal", "hi", "Ann", False, None, "\x1b", NOTHING))
@example(case=OtherCase("install", "", None, KEEP, ((("recipient", "drop", None),), {})))
@example(case=MessageCase("personal", "hi", "Ann", True, None, KEEP, DROP_SERVICE_URL))
@given(
    case=st.builds(
        MessageCase,
        scope=st.sampled_from(["personal", "channel"]),
        text=st.just("hi"),
        name=st.just("Ann"),
        opened=st.booleans(),
        entities=st.none(),
        conversation=st.sampled_from([KEEP, None, "", "a:🙂", "\x1b", "a:x\r\ny"]),
        plan=st.sampled_from([NOTHING, DROP_FROM, DROP_CONVERSATION, DROP_SERVICE_URL]),
    ).filter(lambda c: c.conversation != KEEP or c.plan != NOTHING)
)
def test_activities_without_a_usable_sender_or_conversation_get_400(
    fuzz: TeamsFuzz, case: MessageCase | OtherCase
) -> None:
    """Teams always sends these; without them no reply can be sent: a 400, no session."""
    run(fuzz, refused(case))


# ------------------------------------------------------------------------------ not activities


@settings(FUZZ, max_examples=40)
@given(body=junk().filter(lambda v: not (isinstance(v, dict) and v.get("type"))))
def test_bodies_that_are_not_activities_get_400(fuzz: TeamsFuzz, body: Any) -> None:
    async def scenario(f: TeamsFuzz) -> list[int]:
        status = await f.post(body, parseable_only=False)
        assert status == 400, status
        return []

    run(fuzz, scenario)


def test_the_fuzz_reached_the_bot(fuzz: TeamsFuzz) -> None:
    """Guard against a fuzz that never got past the adapter: cards were sent and updated, and
    typed markup reached the cards (in TextRuns, or defused)."""
    operations = {c.operation for c in fuzz.connector.calls if c.accepted}
    assert {Operation.SEND, Operation.UPDATE} <= operations or {
        Operation.REPLY,
        Operation.UPDATE,
    } <= operations
    echoed = [
        c
        for c in fuzz.connector.calls
        if c.cards and any(f in json.dumps(c.cards, ensure_ascii=False) for f in TEAMS_LIVE)
    ]
    assert echoed, "no typed markup ever reached a card"
