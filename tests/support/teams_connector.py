"""A loopback stand-in for the Bot Connector service that records what a Teams bot sends.

Activities from Teams carry a ``serviceUrl``; botbuilder sends every reply, update and delete
there (``POST /v3/conversations/{id}/activities[/{replyToId}]``, ``PUT``/``DELETE
.../activities/{activityId}``). Give test activities ``TeamsConnector.service_url`` and the
bot's own HTTP code (msrest + requests, in a worker thread) talks to this real aiohttp server on
127.0.0.1; nothing leaves the machine. Conversation and activity ids arrive URL-quoted (Teams
ids hold ``:``, ``@`` and ``;``): routing works on the raw path and unquotes each segment.

Every Adaptive Card the bot sends is checked against the official 1.5 schema, its declared
version and Teams' size limit; problems collect in ``card_problems`` rather than raising, so a
single assertion at the end of a test shows them all.
"""

# ruff: noqa: ASYNC109 -- the waits take a `timeout` bound by design and apply it with
# asyncio.timeout inside; callers should not have to wrap every wait themselves.

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, Literal, Self, TypeVar, overload
from urllib.parse import unquote

import requests.utils
from aiohttp import web

from tests.support.loopback import LoopbackServer
from tests.support.schemas import ADAPTIVE_CARD_CONTENT_TYPE, validate_adaptive_card

T = TypeVar("T")

#: Teams service URLs carry a region path (https://smba.trafficmanager.net/amer/); so does ours,
#: so code that drops the path of serviceUrl fails here too.
SERVICE_PATH: Final = "/amer/"
#: Teams refuses messages above about 28 KB; stay well under it (engineering.md).
CARD_HARD_LIMIT_BYTES: Final = 28 * 1024
CARD_BUDGET_BYTES: Final = 25 * 1024

FaultKind = Literal["send", "update", "delete", "create", "members", "any"]
FAULT_KINDS: Final = frozenset({"send", "update", "delete", "create", "members", "any"})


class Operation(StrEnum):
    """What a call did, named like the ConnectorClient method that makes it."""

    SEND = "send_to_conversation"  # POST /v3/conversations/{id}/activities
    REPLY = "reply_to_activity"  # POST .../activities/{replyToId}
    UPDATE = "update_activity"  # PUT .../activities/{activityId}
    DELETE = "delete_activity"  # DELETE .../activities/{activityId}
    CREATE = "create_conversation"  # POST /v3/conversations
    MEMBERS = "get_conversation_members"  # GET .../members
    MEMBER = "get_conversation_member"  # GET .../members/{userId}
    PAGED_MEMBERS = "get_conversation_paged_members"  # GET .../pagedmembers
    OTHER = "other"  # anything else under /v3/: answered {} with 200


_KIND_OF: Final = {
    Operation.SEND: "send",
    Operation.REPLY: "send",
    Operation.UPDATE: "update",
    Operation.DELETE: "delete",
    Operation.CREATE: "create",
    Operation.MEMBERS: "members",
    Operation.MEMBER: "members",
    Operation.PAGED_MEMBERS: "members",
}
_ERROR_CODES: Final = {
    400: "BadArgument",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    412: "PreconditionFailed",
    413: "MessageSizeTooBig",
    429: "Throttled",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}
_FIRST_ACTIVITY_ID: Final = 1_700_000_000_000


@dataclass(frozen=True)
class ConnectorCall:
    """One request as the stand-in received it.

    ``path`` is the raw (still URL-quoted) request path; ``conversation_id`` and ``activity_id``
    are unquoted. ``body`` is the parsed JSON body ({} when there is none). ``outcome`` is
    filled in when the stand-in answers: see ``status`` and ``answer``.
    """

    method: str
    path: str
    conversation_id: str
    activity_id: str | None
    body: dict[str, Any]
    authorization: str | None
    operation: Operation = Operation.OTHER
    member_id: str | None = None
    outcome: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def status(self) -> int | None:
        """The HTTP status answered, or None while the answer is delayed."""
        status = self.outcome.get("status")
        return status if isinstance(status, int) else None

    @property
    def accepted(self) -> bool:
        return self.status is not None and self.status < 400

    @property
    def answer(self) -> Any:
        return self.outcome.get("body")

    @property
    def kind(self) -> str | None:
        """The fault-injection kind this call counts as ("send", "update", ...)."""
        return _KIND_OF.get(self.operation)

    @property
    def attachments(self) -> list[dict[str, Any]]:
        activity = self.body.get("activity") if self.operation == Operation.CREATE else self.body
        found = activity.get("attachments") if isinstance(activity, dict) else None
        return [a for a in found if isinstance(a, dict)] if isinstance(found, list) else []

    @property
    def cards(self) -> list[dict[str, Any]]:
        """The Adaptive Cards (attachment contents) this call carried."""
        return [
            content
            for attachment in self.attachments
            if attachment.get("contentType") == ADAPTIVE_CARD_CONTENT_TYPE
            and isinstance(content := _card_content(attachment), dict)
        ]


@dataclass(frozen=True)
class _Fault:
    status: int
    retry_after: int | None


class TeamsConnector(LoopbackServer):
    """The Bot Connector REST API on a free loopback port; see the module docstring."""

    what = "the Bot Connector stand-in"

    def __init__(self) -> None:
        self.calls: list[ConnectorCall] = []
        self.card_problems: list[str] = []
        #: Members answered by GET .../members[/{id}], by user id; see ``add_member``.
        self.members: dict[str, dict[str, Any]] = {}
        #: Existing personal chats, by member id; see ``personal_chat``.
        self.personal_chats: dict[str, str] = {}
        self._faults: defaultdict[str, deque[_Fault]] = defaultdict(deque)
        self._delays: defaultdict[str, deque[float]] = defaultdict(deque)
        self._ids = itertools.count(1)
        self._conversations = itertools.count(1)
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> Self:
        if self._runner is not None:
            return self
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = await self.serve(app)
        self._closing = asyncio.Event()
        self._runner = runner
        # botframework-connector sends with `requests`, which honours HTTP(S)_PROXY.
        if proxies := requests.utils.get_environ_proxies(self.service_url):
            await self.stop()
            raise RuntimeError(
                f"proxy settings {sorted(proxies)} would route the bot's loopback calls through a"
                " proxy; unset HTTP(S)_PROXY or add 127.0.0.1 to NO_PROXY for the test"
            )
        return self

    async def stop(self) -> None:
        """Wake delayed answers and shut the server down."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._closing.set()
        await runner.cleanup()

    @property
    def service_url(self) -> str:
        """What activities carry as ``serviceUrl`` (ends with "/")."""
        return f"{self.origin}{SERVICE_PATH}"

    # -- programming answers -----------------------------------------------------------------

    def fail(
        self,
        kind: FaultKind,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``kind`` with HTTP ``status`` and a Connector error.

        "send" covers new messages and replies (POST .../activities[/{id}]), "update" PUTs,
        "any" every call. A 429 always carries Retry-After (default 1 s), as Teams' does.
        Faults for a specific kind are used before "any" faults.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {sorted(FAULT_KINDS)}")
        if times < 1:
            raise ValueError("times must be at least 1")
        if status < 400:
            raise ValueError(f"status {status} is not a failure")
        if status == 429 and retry_after is None:
            retry_after = 1
        self._faults[kind].extend([_Fault(status, retry_after)] * times)

    def delay(self, kind: FaultKind, seconds: float, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``kind`` after ``seconds`` (cut short by stop)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {sorted(FAULT_KINDS)}")
        if times < 1 or seconds < 0:
            raise ValueError("times must be at least 1 and seconds not negative")
        self._delays[kind].extend([seconds] * times)

    def add_member(
        self,
        user_id: str,
        *,
        name: str = "Test User",
        aad_object_id: str | None = None,
        email: str | None = None,
        tenant_id: str = "tenant-1",
    ) -> dict[str, Any]:
        """Make ``user_id`` a member every conversation reports (a TeamsChannelAccount)."""
        member = {
            "id": user_id,
            "name": name,
            "aadObjectId": aad_object_id,
            "givenName": name.split(" ", maxsplit=1)[0],
            "surname": name.rsplit(" ", maxsplit=1)[-1],
            "email": email,
            "userPrincipalName": email,
            "tenantId": tenant_id,
            "userRole": "user",
        }
        self.members[user_id] = member
        return member

    def personal_chat(self, user_id: str, conversation_id: str) -> None:
        """Creating a one-to-one conversation with ``user_id`` (POST /v3/conversations) answers
        ``conversation_id``, the chat they already have with the bot, as Teams does. Without
        it every creation answers a new id."""
        self.personal_chats[user_id] = conversation_id

    def reset(self) -> None:
        """Forget calls, problems and pending faults and delays. Ids keep rising; members stay."""
        self.calls.clear()
        self.card_problems.clear()
        self._faults.clear()
        self._delays.clear()
        self._bump()

    # -- reading what happened ---------------------------------------------------------------

    def sent(self, conversation_id: str | None = None) -> list[ConnectorCall]:
        """Accepted new messages and replies (POST .../activities[/{id}]), oldest first.

        ``conversation_id`` matches exactly, or the channel part before ";messageid=" when it
        has none of its own (so a channel id also finds replies in its threads).
        """
        return [
            call
            for call in self.calls
            if call.operation in (Operation.SEND, Operation.REPLY)
            and call.accepted
            and _same_conversation(call.conversation_id, conversation_id)
        ]

    def updates(self, activity_id: str | None = None) -> list[ConnectorCall]:
        """Accepted updates (PUT .../activities/{activityId}), oldest first."""
        return [
            call
            for call in self.calls
            if call.operation == Operation.UPDATE
            and call.accepted
            and (activity_id is None or call.activity_id == activity_id)
        ]

    def deletes(self, activity_id: str | None = None) -> list[ConnectorCall]:
        return [
            call
            for call in self.calls
            if call.operation == Operation.DELETE
            and call.accepted
            and (activity_id is None or call.activity_id == activity_id)
        ]

    def attempts(self, kind: FaultKind = "any") -> list[ConnectorCall]:
        """Every call of ``kind``, failed and pending ones included (retries show up here)."""
        return [call for call in self.calls if kind in ("any", call.kind)]

    @overload
    async def wait_for(
        self, predicate_or_count: int, timeout: float = 5.0
    ) -> list[ConnectorCall]: ...

    @overload
    async def wait_for(self, predicate_or_count: Callable[[], T], timeout: float = 5.0) -> T: ...

    async def wait_for(
        self, predicate_or_count: int | Callable[[], Any], timeout: float = 5.0
    ) -> Any:
        """Wait until ``count`` messages were sent (returns ``sent()``), or until ``predicate()``
        returns something truthy (returns it). Raises TimeoutError naming what was seen.

        Wakes on every recorded call or answer; it never polls.
        """
        if isinstance(predicate_or_count, int):
            count = predicate_or_count

            def check() -> Any:
                found = self.sent()
                return found if len(found) >= count else None

            what = f"{count} sent message(s)"
        else:
            check = predicate_or_count
            what = f"{getattr(check, '__name__', 'predicate')} to hold"
        try:
            async with asyncio.timeout(timeout):
                while not (result := check()):
                    await self._changed.wait()
                return result
        except TimeoutError:
            raise TimeoutError(f"waited {timeout}s for {what}; calls: {self._summary()}") from None

    # -- internals ---------------------------------------------------------------------------

    def _bump(self) -> None:
        # Waiters hold the old event; replacing it makes "set, then clear" race-free.
        self._changed.set()
        self._changed = asyncio.Event()

    def _summary(self) -> list[str]:
        return [f"{c.method} {c.operation} {c.conversation_id!r} -> {c.status}" for c in self.calls]

    def _next_activity_id(self) -> str:
        return str(_FIRST_ACTIVITY_ID + next(self._ids))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw_path = request.raw_path.split("?", 1)[0]
        # Empty segments come from a doubled "/"; ids are never empty, so dropping them is safe.
        segments = [unquote(part) for part in raw_path.split("/") if part]
        if "v3" not in segments:
            return web.json_response(_error(404, f"no route for {raw_path}"), status=404)
        route = segments[segments.index("v3") + 1 :]
        body = await _read_json(request)
        call = _make_call(request.method, raw_path, route, body, request)
        self.calls.append(call)
        self._check_cards(call)
        self._bump()
        status, answer, headers = await self._answer(call)
        call.outcome.update(status=status, body=answer)
        self._bump()
        if answer is None:
            return web.Response(status=status, headers=headers)
        return web.json_response(answer, status=status, headers=headers)

    async def _answer(self, call: ConnectorCall) -> tuple[int, Any, dict[str, str]]:
        kind = call.kind
        seconds = self._take(self._delays, kind)
        if seconds:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), timeout=seconds)
        fault = self._take(self._faults, kind)
        if fault is not None:
            headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
            return fault.status, _error(fault.status, "injected by the test"), headers
        if call.body.get("_raw") is not None:
            return 400, _error(400, "the body is not JSON"), {}
        return (*self._success(call), {})

    def _take(self, queues: defaultdict[str, deque[T]], kind: str | None) -> T | None:
        for key in (kind, "any"):
            if key is not None and queues[key]:
                return queues[key].popleft()
        return None

    def _success(self, call: ConnectorCall) -> tuple[int, Any]:
        match call.operation:
            case Operation.SEND | Operation.REPLY:
                return 201, {"id": self._next_activity_id()}
            case Operation.UPDATE:
                return 200, {"id": call.activity_id}
            case Operation.DELETE:
                return 200, None
            case Operation.CREATE:
                members = call.body.get("members")
                only = members[0] if isinstance(members, list) and len(members) == 1 else None
                known = (
                    self.personal_chats.get(str(only.get("id"))) if isinstance(only, dict) else None
                )
                conversation = known or f"a:standin-conversation-{next(self._conversations)}"
                answer = {"id": conversation, "serviceUrl": self.service_url}
                if isinstance(call.body.get("activity"), dict):
                    answer["activityId"] = self._next_activity_id()
                return 201, answer
            case Operation.MEMBERS:
                return 200, list(self.members.values())
            case Operation.PAGED_MEMBERS:
                return 200, {"members": list(self.members.values()), "continuationToken": None}
            case Operation.MEMBER:
                member = self.members.get(call.member_id or "")
                if member is None:
                    return 404, _error(404, "member not found", code="MemberNotFoundInConversation")
                return 200, member
        return 200, {}

    def _check_cards(self, call: ConnectorCall) -> None:
        if call.operation not in (
            Operation.SEND,
            Operation.REPLY,
            Operation.UPDATE,
            Operation.CREATE,
        ):
            return
        where = f"{call.operation} {call.conversation_id!r}"
        size = len(json.dumps(call.body, ensure_ascii=False).encode())
        if size > CARD_HARD_LIMIT_BYTES:
            self.card_problems.append(
                f"{where}: activity is {size} bytes; Teams refuses messages above ~28 KB"
            )
        for index, attachment in enumerate(call.attachments):
            if attachment.get("contentType") != ADAPTIVE_CARD_CONTENT_TYPE:
                continue
            self.card_problems.extend(
                f"{where} attachment[{index}]: {problem}"
                for problem in _card_problems(_card_content(attachment))
            )


def _card_problems(card: Any) -> Iterator[str]:
    if not isinstance(card, dict):
        yield f"content is {type(card).__name__}, not a card object"
        return
    size = len(json.dumps(card, ensure_ascii=False).encode())
    if size > CARD_BUDGET_BYTES:
        yield (
            f"card is {size} bytes; keep it under {CARD_BUDGET_BYTES} (Teams refuses about"
            f" {CARD_HARD_LIMIT_BYTES})"
        )
    yield from validate_adaptive_card(card)


def _card_content(attachment: dict[str, Any]) -> Any:
    content = attachment.get("content")
    if isinstance(content, str):  # some senders serialise the card; Teams accepts both
        with contextlib.suppress(ValueError):
            return json.loads(content)
    return content


def _make_call(
    method: str, raw_path: str, route: list[str], body: dict[str, Any], request: web.Request
) -> ConnectorCall:
    conversation_id = ""
    activity_id: str | None = None
    member_id: str | None = None
    operation = Operation.OTHER
    if route[:1] == ["conversations"]:
        rest = route[1:]
        if not rest and method == "POST":
            operation = Operation.CREATE
        if rest:
            conversation_id = rest[0]
        tail = rest[1:]
        match method, tail:
            case "POST", ["activities"]:
                operation = Operation.SEND
            case "POST", ["activities", activity]:
                operation, activity_id = Operation.REPLY, activity
            case "PUT", ["activities", activity]:
                operation, activity_id = Operation.UPDATE, activity
            case "DELETE", ["activities", activity]:
                operation, activity_id = Operation.DELETE, activity
            case "GET", ["members"]:
                operation = Operation.MEMBERS
            case "GET", ["members", member]:
                operation, member_id = Operation.MEMBER, member
            case "GET", ["pagedmembers"]:
                operation = Operation.PAGED_MEMBERS
            case _, ["activities", activity, *_]:
                activity_id = activity
    return ConnectorCall(
        method=method,
        path=raw_path,
        conversation_id=conversation_id,
        activity_id=activity_id,
        body=body,
        authorization=request.headers.get("Authorization"),
        operation=operation,
        member_id=member_id,
    )


async def _read_json(request: web.Request) -> dict[str, Any]:
    text = await request.text()
    if not text.strip():
        return {}
    try:
        parsed = json.loads(text)
    except ValueError:
        return {"_raw": text}
    return parsed if isinstance(parsed, dict) else {"_json": parsed}


def _error(status: int, message: str, *, code: str | None = None) -> dict[str, Any]:
    """The Bot Connector's error body (botframework's ErrorResponse)."""
    return {"error": {"code": code or _ERROR_CODES.get(status, "ServiceError"), "message": message}}


def _same_conversation(actual: str, wanted: str | None) -> bool:
    if wanted is None or actual == wanted:
        return True
    return ";messageid=" not in wanted and actual.split(";messageid=", maxsplit=1)[0] == wanted
