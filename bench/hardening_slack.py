"""The Slack side of bench/hardening.py: signed events and clicks to `serve`, what the
stand-in Web API received, and the walks and slow turns counted in `Figures`."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp

from bench.hardening_figures import Figures, until
from bench.slack_standin import answer_buttons, is_question
from bot.adapter import FAILED
from bot.slack.texts import SLOW as SLACK_SLOW
from dialogs.session import Session
from dialogs.stores.redis_store import RedisStore
from dialogs.turn import SessionKey
from tests.support.slack_signing import block_actions_payload, event_body, message_event, sign
from tests.support.slack_standin import Call, SlackStandIn

SECRET = "bench-hardening-secret"
SLACK_TIMEOUT_SECONDS = 2.0  # ADVISOR_SLACK_API_TIMEOUT_SECONDS for this run (default 30)
TYPED = "2B"  # the answer typed where a question has no answer buttons


@dataclass
class Slack:
    http: aiohttp.ClientSession
    url: str
    standin: SlackStandIn

    async def post(self, body: str, content_type: str) -> int:
        headers = {**sign(body, SECRET), "Content-Type": content_type}
        async with self.http.post(self.url, data=body.encode(), headers=headers) as response:
            await response.read()
            return response.status

    async def dm(self, user: str, text: str) -> int:
        body = event_body(message_event(user, text, "D" + user), "Ev" + uuid.uuid4().hex[:12])
        return await self.post(body, "application/json")

    async def click(self, user: str, action_id: str, value: str, ts: str) -> int:
        payload = block_actions_payload(
            user, action_id, value, "D" + user, ts, trigger_id=uuid.uuid4().hex
        )
        return await self.post(urlencode({"payload": json.dumps(payload)}), FORM)

    def posts(self, user: str) -> list[Call]:
        dm = "D" + user
        return [
            c
            for c in self.standin.calls_to("chat.postMessage")
            if c.payload.get("channel") == dm and c.result.get("ok")
        ]


FORM = "application/x-www-form-urlencoded"


def is_summary(call: Call) -> bool:
    """A summary message: it has the Start over button (its block ids changed over time)."""
    return slack_button(call, "summary_restart") is not None


def slack_stamp(call: Call) -> str:
    for block in call.payload.get("blocks", []):
        for element in block.get("elements") or ():
            data = json.loads(element.get("value") or "{}") if "value" in element else {}
            if isinstance(data, dict) and data.get("s"):
                return str(data["s"])
    return ""


def slack_button(call: Call, action_id: str) -> str | None:
    for block in call.payload.get("blocks", []):
        for element in block.get("elements") or ():
            if element.get("action_id") == action_id:
                return str(element.get("value"))
    return None


async def slack_next(slack: Slack, user: str, seen: set[str]) -> Call:
    """The next question (one whose stamp was not seen) or the summary."""

    def found() -> Call | None:
        for call in slack.posts(user):
            if is_summary(call) or (is_question(call) and slack_stamp(call) not in seen):
                return call
        return None

    try:
        call: Call = await until(found, f"the next question of {user}")
    except TimeoutError as exc:
        dm = "D" + user
        told = [
            (c.method, str(c.payload.get("text", ""))[:90])
            for c in slack.standin.calls
            if dm in (c.payload.get("channel"), "D" + str(c.payload.get("user")))
        ]
        raise TimeoutError(f"{exc}; the last calls in their DM: {told[-6:]}") from None
    return call


async def slack_walk(slack: Slack, store: RedisStore, figures: Figures) -> None:
    """One person through the whole assessment: every answer clicked three times at once,
    Back twice at once on the third question, Skip twice at once on the first one offered."""
    user = "U" + uuid.uuid4().hex[:10].upper()
    key = SessionKey(platform="slack", workspace="T1", conversation="D" + user, user=user)
    await slack.dm(user, "hi")
    seen: set[str] = set()
    shown: list[str] = []  # question ids in the order shown
    backed = skipped = False
    answered = 0
    while True:
        call = await slack_next(slack, user, seen)
        if is_summary(call):
            break
        stamp, ts = slack_stamp(call), str(call.result["ts"])
        seen.add(stamp)
        buttons = answer_buttons(call)
        question = next(iter(buttons.values()))[0] if buttons else f"typed-{len(shown)}"
        shown.append(question)
        back, skip = slack_button(call, "cmd_back"), slack_button(call, "cmd_skip")
        if len(shown) == 3 and back and not backed:
            backed = True
            await asyncio.gather(*(slack.click(user, "cmd_back", back, ts) for _ in range(2)))
            figures.clicks += 2
            after = await slack_next(slack, user, seen)
            went_to = next(iter(answer_buttons(after).values()))[0] if is_question(after) else ""
            figures.steps += 1
            figures.double_steps += went_to != shown[1]
            continue
        if skip and not skipped and backed:
            skipped = True
            before = Session.from_document(await store.load(key) or {})
            await asyncio.gather(*(slack.click(user, "cmd_skip", skip, ts) for _ in range(2)))
            figures.clicks += 2
            await slack_next(slack, user, seen)
            after_skip = Session.from_document(await store.load(key) or {})
            figures.steps += 1
            figures.double_steps += max(0, len(after_skip.history) - len(before.history) - 1)
            continue
        if buttons:
            _, action_id, value = next(iter(buttons.values()))
            await asyncio.gather(*(slack.click(user, action_id, value, ts) for _ in range(3)))
            figures.clicks += 3
        else:
            await slack.dm(user, TYPED)
        answered += 1
    await asyncio.sleep(0.5)  # any stray post of a click still on its way lands
    posts = slack.posts(user)
    stamps = Counter(slack_stamp(c) for c in posts if is_question(c))
    figures.duplicate_posts_clicks += sum(n - 1 for n in stamps.values())
    figures.notes.extend(f"slack {s} x{n}" for s, n in stamps.items() if n > 1)
    figures.duplicate_posts_clicks += max(0, sum(is_summary(c) for c in posts) - 1)
    session = Session.from_document(await store.load(key) or {})
    # history: one entry per answer or skip that moved the session on; back takes none.
    figures.steps += answered
    figures.double_steps += max(0, len(session.history) - answered - (1 if skipped else 0))


async def slack_slow(slack: Slack, figures: Figures, *, delay: float) -> None:
    """chat.postMessage of the next question answered after the client's timeout, having
    posted it; then the person types `status`."""
    user = "U" + uuid.uuid4().hex[:10].upper()
    await slack.dm(user, "hi")
    first = await slack_next(slack, user, set())
    _, action_id, value = next(iter(answer_buttons(first).values()))
    count = len(slack.posts(user))
    slack.standin.delay("chat.postMessage", delay)
    await slack.click(user, action_id, value, str(first.result["ts"]))

    def texts() -> list[str]:  # what the person was shown since the click, privately too
        private = [
            c for c in slack.standin.calls_to("chat.postEphemeral") if c.payload.get("user") == user
        ]
        return [str(c.payload.get("text", "")) for c in [*slack.posts(user)[count:], *private]]

    # Slack answers once the question is posted; a notice (if the client gave up) came first.
    await until(
        lambda: len([c for c in slack.posts(user) if is_question(c)]) >= 2, "late post", delay + 10
    )
    await asyncio.sleep(0.5)
    await slack.dm(user, "status")
    await until(lambda: any("Progress" in t for t in texts()), "the status")
    await asyncio.sleep(0.5)
    stamps = Counter(slack_stamp(c) for c in slack.posts(user) if is_question(c))
    figures.slow_turns += 1
    figures.duplicate_posts_slow += sum(n - 1 for n in stamps.values())
    figures.false_errors_slow += sum(FAILED[:20] in t for t in texts())
    figures.slow_notices += sum(SLACK_SLOW in t for t in texts())
