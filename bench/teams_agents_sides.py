"""The Teams benchmark's two bots on the Microsoft 365 Agents SDK (`--sdk agents`): the advisor's
adapter from bot/teams_agents/, and a bare AgentApplication served as the SDK's samples serve one
(its JWT middleware in anonymous mode, `start_agent_process`), whose message route updates the
replied-to card and sends one card, and does nothing else (as bench.teams_sides.BareBot does on
botbuilder)."""

from __future__ import annotations

from aiohttp import web

from bench.teams_sides import BareCards
from bot.settings import Settings
from bot.teams.server import MESSAGES_PATH
from bot.teams_agents.server import add_agents_routes, create_agents_bot
from dialogs.advisor import Advisor
from tests.support.teams_agents_sdk import (
    AgentApplication,
    AgentAuthConfiguration,
    CardFactory,
    CloudAdapter,
    MemoryStorage,
    MessageFactory,
    MsalConnectionManager,
    TurnContext,
    TurnState,
    jwt_authorization_middleware,
    start_agent_process,
)


def bare_agents_application(cards: BareCards) -> web.Application:
    """The least an Agents SDK bot can do per click with the advisor's connector calls."""
    configuration = AgentAuthConfiguration(anonymous_allowed=True)
    connections = MsalConnectionManager(
        connections_configurations={"SERVICE_CONNECTION": configuration}
    )
    adapter = CloudAdapter(connection_manager=connections)
    app: AgentApplication[TurnState] = AgentApplication(
        storage=MemoryStorage(), connection_manager=connections, start_typing_timer=False
    )

    async def on_message(context: TurnContext, state: TurnState) -> None:
        update = MessageFactory.attachment(CardFactory.adaptive_card(cards.answered))
        update.id = context.activity.reply_to_id
        await context.update_activity(update)
        await context.send_activity(
            MessageFactory.attachment(CardFactory.adaptive_card(cards.question))
        )

    app.message()(on_message)

    async def messages(request: web.Request) -> web.StreamResponse:
        response = await start_agent_process(request, app, adapter)
        return response if response is not None else web.Response(status=202)

    web_app = web.Application(middlewares=[jwt_authorization_middleware])
    web_app["agent_configuration"] = configuration
    web_app.router.add_post(MESSAGES_PATH, messages)
    return web_app


def advisor_agents_application(settings: Settings, advisor: Advisor) -> web.Application:
    """The real Agents SDK adapter and bot, routed as `llm-advisor serve` routes them."""
    web_app = web.Application()
    add_agents_routes(web_app, create_agents_bot(settings, advisor))
    return web_app
