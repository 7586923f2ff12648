"""`help <term>` as each platform shows it, and the notice for a term we do not explain."""

from __future__ import annotations

from bot.render import Renderer, create_environment
from bot.slack.render import SlackRenderer
from bot.teams.render import TeamsRenderer
from dialogs.flow import Flow
from dialogs.presenter import help_view
from dialogs.replies import Help, Notice
from tests.support.block_kit import MAX_MESSAGE_BLOCKS, check_blocks
from tests.support.payloads import walk
from tests.support.schemas import validate_adaptive_card


def term_help(flow: Flow, term: str) -> Help:
    reply = help_view(flow, term)
    assert isinstance(reply, Help) and reply.term is not None
    return reply


def test_a_term_in_slack(flow: Flow) -> None:
    renderer = SlackRenderer(env=create_environment(), flow=flow)
    payload = renderer.reply(term_help(flow, "eval harness"), owner="U1", in_thread=False)
    assert check_blocks(payload["blocks"], where="help", max_blocks=MAX_MESSAGE_BLOCKS) == []
    text = payload["blocks"][0]["text"]["text"]
    assert text.startswith("*eval harness*\n") and "automated" in text
    assert "eval harness" in payload["text"]


def test_a_term_in_teams(flow: Flow) -> None:
    renderer = TeamsRenderer(env=create_environment(), flow=flow)
    card = renderer.card(term_help(flow, "MLOps"), owner="a", owner_name="A", in_thread=False)
    assert validate_adaptive_card(card) == []
    assert card["body"][0]["text"] == "MLOps"
    assert "production" in card["body"][1]["text"]


def test_a_term_in_the_terminal(flow: Flow) -> None:
    renderer = Renderer(env=create_environment(), flow=flow, folder="console")
    text = renderer.render("help.txt.j2", r=term_help(flow, "private endpoint"))
    assert text.startswith("private endpoint: A model the vendor runs for you alone")


def test_help_alone_mentions_help_term_on_every_platform(flow: Flow) -> None:
    reply = help_view(flow)
    env = create_environment()
    slack = SlackRenderer(env=env, flow=flow).reply(reply, owner="U1", in_thread=False)
    teams = TeamsRenderer(env=env, flow=flow).card(
        reply, owner="a", owner_name="A", in_thread=False
    )
    console = Renderer(env=env, flow=flow, folder="console").render("help.txt.j2", r=reply)
    slack_text = " ".join(str(n.get("text", "")) for n in walk(slack))
    teams_text = " ".join(str(n.get("text", "")) + str(n.get("title", "")) for n in walk(teams))
    assert "`help &lt;term&gt;`" in slack_text  # mrkdwn: shown as `help <term>`
    for shown in (teams_text, console):
        assert "help <term>" in shown
    for shown in (slack_text, teams_text, console):
        assert "help tokens" in shown


def test_an_unknown_term_is_echoed_as_plain_text_in_slack(flow: Flow) -> None:
    notice = help_view(flow, "<!channel> weights?")
    assert isinstance(notice, Notice)  # "weights?" with the channel ping is not a term
    notice = help_view(flow, "<!channel>")
    assert isinstance(notice, Notice) and notice.code == "unknown_term"
    payload = SlackRenderer(env=create_environment(), flow=flow).reply(
        notice, owner="U1", in_thread=False
    )
    mrkdwn = [n["text"] for n in walk(payload) if n.get("type") == "mrkdwn"]
    assert all("<!channel>" not in t for t in mrkdwn)
    assert "tokens" in mrkdwn[0] and "LoRA" in mrkdwn[0]
