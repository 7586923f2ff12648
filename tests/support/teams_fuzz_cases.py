"""The cases of the Teams fuzz (tests/bot/teams/test_fuzz*.py) and the strategies that draw them:
hostile messages, forged card submits, other activities, and the activities Teams would never
send. Each case is a scenario for `run` in tests/support/teams_fuzz.py."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from hypothesis import strategies as st

from bot.teams.server import header_safe as reply_header_safe
from tests.support.fuzz_strategies import TEAMS_LIVE, Plan, apply_plan, junk, odd_text, plans
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
    new_user_id,
    personal_message,
)
from tests.support.teams_fuzz import KEEP, TEAM, TeamsFuzz, _options, channel_data_ok, parseable

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
