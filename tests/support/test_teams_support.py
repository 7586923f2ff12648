"""The Teams test support: connector stand-in, activity builders, schemas and the local issuer,
driven by the real botframework-connector and botbuilder code."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

import aiohttp
import jwt
import pytest
from aiohttp import web

from tests.support.schemas import (
    manifest_validator,
    validate_adaptive_card,
    validate_teams_manifest,
)
from tests.support.teams_activities import (
    BOT_ID,
    card_submit,
    channel_message,
    conversation_update_members_added,
    invoke,
    new_aad_object_id,
    new_channel_id,
    new_personal_conversation_id,
    new_user_id,
    personal_message,
)
from tests.support.teams_auth import BOT_FRAMEWORK_SCOPE, TeamsIssuer
from tests.support.teams_connector import TeamsConnector
from tests.support.teams_sdk import (
    Activity,
    CardFactory,
    ChannelAccount,
    ChannelValidation,
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
    ConnectorClient,
    ConversationAccount,
    ErrorResponseException,
    JwtTokenValidation,
    MessageFactory,
    MicrosoftAppCredentials,
    SimpleCredentialProvider,
    TeamsActivityHandler,
    TurnContext,
    teams_get_channel_data,
)

APP_ID = "00000000-0000-0000-0000-0000000000a1"
CHANNEL_THREAD = "19:abc@thread.tacv2;messageid=1700000000123"
WAIT = 5.0


def card(*body: dict[str, Any], version: str | None = "1.5") -> dict[str, Any]:
    built: dict[str, Any] = {
        "type": "AdaptiveCard",
        "body": list(body),
        "actions": [{"type": "Action.Submit", "title": "Next", "data": {"q": "size"}}],
    }
    if version is not None:
        built["version"] = version
    return built


def card_activity(content: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(CardFactory.adaptive_card(content))


@pytest.fixture
async def connector() -> AsyncIterator[TeamsConnector]:
    async with TeamsConnector() as server:
        yield server


@pytest.fixture(scope="module")
def issuer() -> Iterator[TeamsIssuer]:
    with TeamsIssuer() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as session:
        yield session


def client(connector: TeamsConnector, credentials: Any = None) -> ConnectorClient:
    return ConnectorClient(
        credentials or MicrosoftAppCredentials.empty(), base_url=connector.service_url
    )


# -- the connector stand-in ----------------------------------------------------------------------


async def test_connector_client_reply_and_update_with_teams_ids(connector: TeamsConnector) -> None:
    api = client(connector)
    reply = Activity(type="message", text="hello; thread", reply_to_id="1700000000123")
    sent = await api.conversations.reply_to_activity(CHANNEL_THREAD, "1700000000123", reply)
    updated = await api.conversations.update_activity(
        CHANNEL_THREAD, sent.id, Activity(type="message", id=sent.id, text="edited")
    )
    posted = await api.conversations.send_to_conversation(
        CHANNEL_THREAD, Activity(type="message", text="top level")
    )

    first, second, third = connector.calls
    assert (first.method, first.operation) == ("POST", "reply_to_activity")
    assert first.conversation_id == CHANNEL_THREAD  # unquoted again
    assert first.path == f"/amer/v3/conversations/{quote(CHANNEL_THREAD, safe='')}/activities/" + (
        "1700000000123"
    )
    assert "%3Bmessageid%3D" in first.path  # botbuilder quotes ';' and '='
    assert first.activity_id == "1700000000123"
    assert first.body["text"] == "hello; thread"
    assert first.authorization is None  # anonymous credentials send no token
    assert first.answer == {"id": sent.id}
    assert (second.method, second.activity_id, second.body["text"]) == ("PUT", sent.id, "edited")
    assert updated.id == sent.id
    assert third.operation == "send_to_conversation"
    assert posted.id != sent.id
    assert [c.body["text"] for c in connector.sent(CHANNEL_THREAD)] == [
        "hello; thread",
        "top level",
    ]
    assert connector.sent("19:abc@thread.tacv2") == connector.sent(CHANNEL_THREAD)  # channel part
    assert connector.sent("19:other@thread.tacv2") == []
    assert [c.body["text"] for c in connector.updates(sent.id)] == ["edited"]
    assert connector.updates("nope") == []
    assert connector.service_url.endswith("/")


async def test_plain_http_delete_members_create_and_other(
    connector: TeamsConnector, http: aiohttp.ClientSession
) -> None:
    connector.add_member("29:user-1", name="Ada Lovelace", aad_object_id="aad-1")
    quoted = quote(CHANNEL_THREAD, safe="")
    base = f"{connector.service_url}v3/conversations"

    async with http.delete(f"{base}/{quoted}/activities/1700000000999") as response:
        assert response.status == 200
    async with http.get(f"{base}/{quoted}/members") as response:
        assert [m["id"] for m in await response.json()] == ["29:user-1"]
    async with http.get(f"{base}/{quoted}/members/29%3Auser-1") as response:
        assert (await response.json())["name"] == "Ada Lovelace"
    async with http.get(f"{base}/{quoted}/members/29%3Astranger") as response:
        assert response.status == 404
        assert (await response.json())["error"]["code"] == "MemberNotFoundInConversation"
    create = {"bot": {"id": BOT_ID}, "members": [{"id": "29:user-1"}], "isGroup": False}
    async with http.post(base, json={**create, "activity": {"type": "message", "text": "hi"}}) as r:
        created = await r.json()
        assert r.status == 201 and created["id"].startswith("a:") and created["activityId"]
    async with http.get(f"{connector.service_url}v3/teams/19%3Ateam%40thread.tacv2") as response:
        assert response.status == 200 and await response.json() == {}

    operations = [(c.operation, c.conversation_id, c.activity_id) for c in connector.calls]
    assert operations == [
        ("delete_activity", CHANNEL_THREAD, "1700000000999"),
        ("get_conversation_members", CHANNEL_THREAD, None),
        ("get_conversation_member", CHANNEL_THREAD, None),
        ("get_conversation_member", CHANNEL_THREAD, None),
        ("create_conversation", "", None),
        ("other", "", None),
    ]
    assert connector.calls[2].member_id == "29:user-1"
    assert connector.deletes("1700000000999") and connector.sent() == []


async def test_send_faults_and_retry_after(
    connector: TeamsConnector, http: aiohttp.ClientSession
) -> None:
    connector.fail("send", 429, times=2)
    url = f"{connector.service_url}v3/conversations/a%3A1/activities"
    statuses = []
    for _ in range(3):
        async with http.post(url, json={"type": "message", "text": "x"}) as response:
            statuses.append((response.status, response.headers.get("Retry-After")))
            body = await response.json()
    assert statuses == [(429, "1"), (429, "1"), (201, None)]
    assert "id" in body
    assert len(connector.attempts("send")) == 3
    assert len(connector.sent()) == 1  # only what was accepted


async def test_faults_as_botframework_connector_sees_them(connector: TeamsConnector) -> None:
    """msrest sends through `requests` with urllib3 retries: PUT/GET/DELETE are retried on 5xx
    (and on 429/503 with Retry-After, sleeping it out), POST never is. Pinned here because the
    adapter's own retry logic has to fit around it."""
    api = client(connector)
    update = Activity(type="message", text="x")
    connector.fail("update", 503)
    await api.conversations.update_activity("a:1", "1700000000001", update)
    assert [c.status for c in connector.attempts("update")] == [503, 200]
    assert len(connector.updates("1700000000001")) == 1

    connector.fail("update", 404)  # not retried: a plain error response
    with pytest.raises(ErrorResponseException) as update_failed:
        await api.conversations.update_activity("a:1", "1700000000001", update)
    assert update_failed.value.response.status_code == 404

    connector.fail("send", 502)
    with pytest.raises(ErrorResponseException) as send_failed:
        await api.conversations.send_to_conversation("a:1", Activity(type="message", text="y"))
    assert send_failed.value.response.status_code == 502
    assert [c.status for c in connector.attempts("send")] == [502]


async def test_any_fault_hits_every_kind_after_specific_ones(
    connector: TeamsConnector, http: aiohttp.ClientSession
) -> None:
    connector.fail("any", 503)
    connector.fail("send", 504, retry_after=7)
    url = f"{connector.service_url}v3/conversations/a%3A1/activities"
    async with http.post(url, json={"type": "message"}) as response:
        assert (response.status, response.headers["Retry-After"]) == (504, "7")
    async with http.get(f"{connector.service_url}v3/conversations/a%3A1/members") as response:
        assert response.status == 503
    async with http.post(url, json={"type": "message"}) as response:
        assert response.status == 201
    with pytest.raises(ValueError):
        connector.fail("send", 200)
    with pytest.raises(ValueError):
        connector.fail("sideways", 500)  # type: ignore[arg-type]


async def test_delay_shows_pending_call_then_answers(
    connector: TeamsConnector, http: aiohttp.ClientSession
) -> None:
    connector.delay("send", 0.3)
    url = f"{connector.service_url}v3/conversations/a%3A1/activities"

    async def post() -> int:
        async with http.post(url, json={"type": "message", "text": "slow"}) as response:
            return response.status

    started = time.monotonic()
    task = asyncio.create_task(post())
    pending = await connector.wait_for(lambda: connector.attempts("send"), timeout=WAIT)
    assert pending[0].status is None and connector.sent() == []
    assert await task == 201
    assert time.monotonic() - started >= 0.3
    assert [c.body["text"] for c in await connector.wait_for(1)] == ["slow"]


async def test_wait_for_times_out_naming_what_it_saw(connector: TeamsConnector) -> None:
    with pytest.raises(TimeoutError, match="2 sent message"):
        await connector.wait_for(2, timeout=0.1)


async def test_reset_forgets_calls_and_faults(
    connector: TeamsConnector, http: aiohttp.ClientSession
) -> None:
    connector.fail("send", 500)
    connector.reset()
    async with http.post(
        f"{connector.service_url}v3/conversations/a%3A1/activities", json={"type": "message"}
    ) as response:
        assert response.status == 201
    assert len(connector.calls) == 1


# -- cards ------------------------------------------------------------------------------------


async def test_valid_card_has_no_problems(connector: TeamsConnector) -> None:
    content = card(
        {"type": "TextBlock", "text": "Size?", "wrap": True},
        {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": "user's <text>"}]},
    )
    await client(connector).conversations.send_to_conversation("a:1", card_activity(content))
    assert connector.card_problems == []
    assert connector.sent()[0].cards == [content]


async def test_card_breaking_the_schema_is_reported(connector: TeamsConnector) -> None:
    bad = card(
        {"type": "TextBlock"},  # no text
        {"type": "Marquee", "text": "?"},
        {"type": "TextBlock", "text": "x", "colour": "red"},
        version="1.6",
    )
    await client(connector).conversations.reply_to_activity(
        CHANNEL_THREAD, "1700000000123", card_activity(bad)
    )
    problems = "\n".join(connector.card_problems)
    assert "'text' is a required property" in problems
    assert "Marquee" in problems
    assert "'colour' was unexpected" in problems
    assert "'1.6' is above 1.5" in problems
    assert "attachment[0]" in problems and CHANNEL_THREAD in problems


async def test_card_without_version_or_too_big_is_reported(connector: TeamsConnector) -> None:
    api = client(connector)
    await api.conversations.send_to_conversation(
        "a:1", card_activity(card({"type": "TextBlock", "text": "hi"}, version=None))
    )
    assert any("version: missing" in p for p in connector.card_problems)
    connector.reset()
    huge = card(*({"type": "TextBlock", "text": "x" * 1000} for _ in range(30)))
    await api.conversations.update_activity("a:1", "1700000000001", card_activity(huge))
    assert any("keep it under" in p for p in connector.card_problems)
    assert any("Teams refuses messages" in p for p in connector.card_problems)


def test_schema_validators_directly() -> None:
    assert validate_adaptive_card(card({"type": "TextBlock", "text": "ok"})) == []
    assert validate_adaptive_card({"type": "AdaptiveCard", "version": "1.5", "body": "x"}) == [
        "body: 'x' is not of type 'array'"
    ]
    # The official schema's Container spells its rtl property "rtl?": plain "rtl" is refused.
    assert validate_adaptive_card(card({"type": "Container", "rtl": True, "items": []}))


MANIFEST: dict[str, Any] = {
    "$schema": "https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json",
    "manifestVersion": "1.17",
    "version": "1.0.0",
    "id": APP_ID,
    "developer": {
        "name": "Example",
        "websiteUrl": "https://example.com",
        "privacyUrl": "https://example.com/privacy",
        "termsOfUseUrl": "https://example.com/terms",
    },
    "name": {"short": "LLM Advisor", "full": "LLM Advisor: build or buy"},
    "description": {"short": "Build or buy an LLM?", "full": "Walks you through the decision."},
    "icons": {"color": "color.png", "outline": "outline.png"},
    "accentColor": "#FFFFFF",
    "bots": [{"botId": APP_ID, "scopes": ["personal", "team"]}],
}


def test_manifest_validator() -> None:
    assert validate_teams_manifest(MANIFEST) == []
    missing = {k: v for k, v in MANIFEST.items() if k != "developer"}
    assert validate_teams_manifest(missing) == ["(root): 'developer' is a required property"]
    bad_id = {**MANIFEST, "id": "not-a-guid"}
    assert validate_teams_manifest(bad_id)[0].startswith("id: 'not-a-guid' does not match")
    unknown = validate_teams_manifest({**MANIFEST, "manifestVersion": "0.9"})
    assert unknown and "no schema fixture" in unknown[0]
    # The file declares draft-04 but relies on `const`, which a plain Draft4Validator skips.
    errors = manifest_validator("1.17").iter_errors({**MANIFEST, "manifestVersion": "1.16"})
    assert [e.message for e in errors] == ["'1.17' was expected"]


# -- activity builders ------------------------------------------------------------------------


def test_builders_make_teams_shaped_activities() -> None:
    user, aad = new_user_id(), new_aad_object_id()
    dm = new_personal_conversation_id()
    team, channel = new_channel_id(), new_channel_id()
    url = "http://127.0.0.1:1/amer/"

    message = personal_message(
        "hi", user_id=user, aad_object_id=aad, conversation_id=dm, service_url=url
    )
    again = personal_message(
        "hi", user_id=user, aad_object_id=aad, conversation_id=dm, service_url=url
    )
    assert message["id"] != again["id"]
    assert message["from"] == {"id": user, "name": "Test User", "aadObjectId": aad}
    assert message["conversation"]["conversationType"] == "personal"
    assert message["serviceUrl"] == url and message["channelId"] == "msteams"
    assert message["recipient"]["id"] == BOT_ID

    root = channel_message("start", user_id=user, team_id=team, channel_id=channel, service_url=url)
    assert root["conversation"]["id"] == f"{channel};messageid={root['id']}"
    assert "replyToId" not in root
    reply = channel_message(
        "next",
        user_id=user,
        team_id=team,
        channel_id=channel,
        thread_root_id=root["id"],
        service_url=url,
        activity_id="42",
    )
    assert reply["id"] == "42" and reply["replyToId"] == root["id"]
    assert reply["text"] == "<at>LLM Advisor</at> next"
    mention = reply["entities"][0]
    assert mention == {
        "type": "mention",
        "mentioned": {"id": BOT_ID, "name": "LLM Advisor"},
        "text": "<at>LLM Advisor</at>",
    }
    assert 'itemtype="http://schema.skype.com/Mention"' in reply["attachments"][0]["content"]
    quiet = channel_message(
        "x", user_id=user, team_id=team, channel_id=channel, service_url=url, mention_bot=False
    )
    assert quiet["text"] == "x" and all(e["type"] != "mention" for e in quiet["entities"])

    # botbuilder reads them as Teams activities.
    parsed = Activity().deserialize(reply)
    assert parsed.conversation.conversation_type == "channel"
    channel_data = teams_get_channel_data(parsed)
    assert (channel_data.team.id, channel_data.channel.id) == (team, channel)
    assert TurnContext.remove_recipient_mention(parsed).strip() == "next"

    submit = card_submit(
        {"q": "size", "answer": "small"},
        reply_to_id="1700000000005",
        user_id=user,
        conversation_id=reply["conversation"]["id"],
        scope="channel",
        team_id=team,
        channel_id=channel,
        service_url=url,
    )
    assert "text" not in submit and submit["value"]["answer"] == "small"
    assert submit["replyToId"] == "1700000000005"
    assert submit["conversation"]["conversationType"] == "channel"
    with pytest.raises(ValueError):
        card_submit({}, reply_to_id="1", user_id=user, conversation_id="x", scope="channel")

    added = conversation_update_members_added(user_id=user, conversation_id=dm, service_url=url)
    assert added["type"] == "conversationUpdate" and added["membersAdded"] == [{"id": BOT_ID}]
    action = invoke(
        "adaptiveCard/action",
        {"action": {"verb": "go"}},
        user_id=user,
        conversation_id=dm,
        service_url=url,
    )
    assert (action["type"], action["name"]) == ("invoke", "adaptiveCard/action")
    assert len({message["id"], again["id"], submit["id"], added["id"], action["id"]}) == 5


# -- the local issuer and botframework's validators ----------------------------------------------


def activity_for(service_url: str) -> Activity:
    return Activity(
        type="message",
        channel_id="msteams",
        service_url=service_url,
        recipient=ChannelAccount(id=BOT_ID),
        conversation=ConversationAccount(id="a:1"),
    )


def bot_auth(issuer: TeamsIssuer) -> ConfigurationBotFrameworkAuthentication:
    return ConfigurationBotFrameworkAuthentication(
        issuer.bot_configuration(APP_ID), credentials_factory=issuer.credentials_factory(APP_ID)
    )


async def test_valid_token_passes_configuration_auth(issuer: TeamsIssuer) -> None:
    url = "http://127.0.0.1:1/amer/"
    header = issuer.authorization(APP_ID, service_url=url)
    result = await bot_auth(issuer).authenticate_request(activity_for(url), header)
    claims = result.claims_identity.claims
    assert claims["aud"] == APP_ID and claims["serviceurl"] == url
    assert result.audience == BOT_FRAMEWORK_SCOPE
    assert issuer.metadata_requests >= 1 and issuer.jwks_requests >= 1
    jwk = issuer.jwks()["keys"][0]
    assert jwk["endorsements"] == ["msteams"] and jwk["kid"] == issuer.kid


@pytest.mark.parametrize(
    ("options", "error"),
    [
        # Signature and expiry failures surface as PyJWT errors, not PermissionError: the
        # adapter must turn them into 401 itself (CloudAdapter maps only PermissionError).
        ({"expired": True}, jwt.ExpiredSignatureError),
        ({"wrong_key": True}, jwt.InvalidSignatureError),
        ({"audience": "someone-else"}, PermissionError),
        ({"service_url": "http://127.0.0.1:2/elsewhere/"}, PermissionError),
        ({"issuer": "https://evil.example"}, PermissionError),
        # An unknown kid crashes the SDK's key lookup instead of being refused.
        ({"kid": "unknown-kid"}, IndexError),
    ],
)
async def test_bad_tokens_are_rejected(
    issuer: TeamsIssuer, options: dict[str, Any], error: type[BaseException]
) -> None:
    url = "http://127.0.0.1:1/amer/"
    token_options: dict[str, Any] = {"service_url": url, **options}
    header = issuer.authorization(APP_ID, **token_options)
    with pytest.raises(error):
        await bot_auth(issuer).authenticate_request(activity_for(url), header)


async def test_missing_header_and_missing_endorsement_are_rejected(issuer: TeamsIssuer) -> None:
    url = "http://127.0.0.1:1/amer/"
    with pytest.raises(PermissionError):
        await bot_auth(issuer).authenticate_request(activity_for(url), None)
    with TeamsIssuer(endorsements=("webchat",)) as webchat_only:
        header = webchat_only.authorization(APP_ID, service_url=url)
        with pytest.raises(Exception, match="endorsement"):
            await bot_auth(webchat_only).authenticate_request(activity_for(url), header)


async def test_builtin_channel_validation_with_local_metadata(
    issuer: TeamsIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The non-parameterized path: JwtTokenValidation -> ChannelValidation, whose metadata URL
    is a class attribute."""
    monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", issuer.metadata_url)
    url = "http://127.0.0.1:1/amer/"
    credentials = SimpleCredentialProvider(APP_ID, "secret")
    identity = await JwtTokenValidation.authenticate_request(
        activity_for(url), issuer.authorization(APP_ID, service_url=url), credentials
    )
    assert identity.claims["aud"] == APP_ID
    with pytest.raises(PermissionError):
        await JwtTokenValidation.authenticate_request(
            activity_for(url),
            issuer.authorization(APP_ID, service_url=url, audience="other-app"),
            credentials,
        )


# -- end to end: CloudAdapter over HTTP, replies landing on the stand-in ---------------------------


class EchoBot(TeamsActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        text = TurnContext.remove_recipient_mention(turn_context.activity) or ""
        await turn_context.send_activity(f"echo: {text.strip()}")
        await turn_context.send_activity(
            card_activity(card({"type": "TextBlock", "text": "a card", "wrap": True}))
        )


@pytest.fixture
async def bot_url(issuer: TeamsIssuer) -> AsyncIterator[str]:
    adapter = CloudAdapter(bot_auth(issuer))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        response = await adapter.process(request, bot)
        return response if response is not None else web.Response(status=201)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/api/messages"
    finally:
        await runner.cleanup()


async def test_cloud_adapter_end_to_end(
    issuer: TeamsIssuer,
    connector: TeamsConnector,
    http: aiohttp.ClientSession,
    bot_url: str,
) -> None:
    team, channel = new_channel_id(), new_channel_id()
    activity = channel_message(
        "hello",
        user_id=new_user_id(),
        team_id=team,
        channel_id=channel,
        service_url=connector.service_url,
    )
    headers = {"Authorization": issuer.authorization(APP_ID, service_url=connector.service_url)}
    async with http.post(bot_url, json=activity, headers=headers) as response:
        assert response.status in (200, 201)

    echo, card_reply = await connector.wait_for(2)
    thread = activity["conversation"]["id"]
    assert echo.conversation_id == thread and ";messageid=" in thread
    assert echo.activity_id == activity["id"]  # a reply to the incoming message
    assert echo.body["text"] == "echo: hello"
    assert card_reply.cards and connector.card_problems == []
    token = (echo.authorization or "").removeprefix("Bearer ")
    outgoing = jwt.decode(token, options={"verify_signature": False})
    assert (outgoing["aud"], outgoing["appid"]) == (BOT_FRAMEWORK_SCOPE, APP_ID)

    # A forged token is refused by the adapter. (An expired one would give 500: see above.)
    forged = {
        "Authorization": issuer.authorization(
            APP_ID, audience="someone-else", service_url=connector.service_url
        )
    }
    async with http.post(bot_url, json=activity, headers=forged) as response:
        assert response.status == 401
    # No Authorization header: CloudAdapter passes "" and the parameterized auth only treats
    # None as "missing", then trips over its own None identity. The adapter must check first.
    async with http.post(bot_url, json=activity) as response:
        assert response.status == 500
    assert len(connector.sent()) == 2
    assert json.loads(json.dumps(echo.body))["type"] == "message"
