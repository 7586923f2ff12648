"""`llm-advisor check`: load everything a run needs and report every problem with its place."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urlparse

import jinja2

from bot.app import create_store
from bot.intake_model import ModelSettings
from bot.render import Renderer, create_environment
from bot.settings import Settings
from bot.teams_agents.credentials import missing_modules, sdk_missing
from dialogs.cost import CostAssumptions, load_assumptions
from dialogs.engine import EngineConfig, step
from dialogs.errors import ConfigError, FlowError, Problem, RenderError, StoreUnavailable
from dialogs.flow import Flow
from dialogs.flow_loader import load_flow
from dialogs.glossary import GLOSSARY_FILE, load_glossary
from dialogs.replies import Reply
from dialogs.session import Session
from dialogs.turn import SessionKey, Turn

SAMPLE_KEY = SessionKey(platform="check", workspace="w", conversation="c", user="u")


def sample_replies(flow: Flow, costs: CostAssumptions) -> list[Reply]:
    """Walk the pure engine through a scripted conversation to get one reply of every kind."""
    config = EngineConfig(session_ttl_seconds=86400, costs=costs)
    session: Session | None = None
    replies: list[Reply] = []
    script = ["", "help", "why", "status", "no such option", "skip", "back"]
    # The free-text intake (issue 16): its prompt, review, a hint, a correction, the confirmation.
    script += ["describe", "MVP, personal data, 300M tokens a month", "what?", "change stage live"]
    script += ["yes"]
    script += ["1"] * (len(flow.questions) + 2)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    for i, text in enumerate([None, *script]):
        turn = Turn(key=SAMPLE_KEY, event_id=f"check-{i}", at=at, text=text)
        session, out = step(flow, session, turn, config)
        replies.extend(out)
    return replies


def _template_problems(env: jinja2.Environment) -> list[Problem]:
    problems: list[Problem] = []
    for name in env.list_templates(filter_func=lambda n: n.endswith(".j2")):
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(
                Problem(
                    file=f"templates/{name}",
                    where=f"line {exc.lineno}",
                    message=exc.message or str(exc),
                )
            )
    return problems


def _render_problems(env: jinja2.Environment, flow: Flow, costs: CostAssumptions) -> list[Problem]:
    problems: list[Problem] = []
    console = Renderer(env=env, flow=flow, folder="console")
    markdown = Renderer(env=env, flow=flow, folder="markdown")
    for reply in sample_replies(flow, costs):
        try:
            console.render(f"{reply.kind}.txt.j2", r=reply)
            if reply.kind == "summary":
                markdown.render("assessment.md.j2", a=reply.assessment)
        except RenderError as exc:
            problems.append(Problem(file="templates", where=reply.kind, message=str(exc)))
    return problems


def months_before(day: date, months: int) -> date:
    """The same day of the month `months` earlier (the month's last day where it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    for last in (31, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - every month has at least 28 days


def stale_assumptions(costs: CostAssumptions, *, today: date) -> list[str]:
    """A warning line (not a problem) naming the cost assumptions older than six months."""
    cutoff = months_before(today, 6)
    old = [name for name, a in costs.items.items() if a.as_of < cutoff]
    if not old:
        return []
    count = f"{len(old)} cost assumption{'s' if len(old) != 1 else ''}"
    return [
        f"warning: {costs.source}: {count} dated before {cutoff}, more than six months ago; "
        f"check them against their sources: {', '.join(old)}"
    ]


def teams_sdk_note(settings: Settings) -> str:
    """Which SDK serves Teams (TEAMS_SDK) and whether its packages are installed."""
    name, dist = (
        ("Microsoft 365 Agents SDK", "microsoft-agents-hosting-aiohttp")
        if settings.teams_sdk == "agents"
        else ("botbuilder", "botbuilder-core")
    )
    try:
        installed = f"installed ({dist} {version(dist)})"
    except PackageNotFoundError:
        installed = "NOT installed"
    if settings.teams_sdk == "agents" and missing_modules():
        installed = "NOT installed"
    return f"teams sdk: {name} (TEAMS_SDK={settings.teams_sdk}), {installed}"


def _redacted(url: str) -> str:
    """The URL without credentials: user info and the query (which may hold sentinel_password)."""
    parts = urlparse(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2], query="").geturl()


async def run_checks(
    env: Mapping[str, str] | None = None, *, today: date | None = None
) -> tuple[list[Problem], list[str]]:
    """Every problem, and notes on what is in force (warnings among them); `today` dates the
    stale-price warning (default: the UTC date now)."""
    problems: list[Problem] = []
    notes: list[str] = []
    settings, setting_problems = Settings.read(env)
    problems.extend(setting_problems)
    flow: Flow | None = None
    try:
        flow = load_flow(settings.flow_file)
        notes.append(
            f"flow: {flow.id} version {flow.version}, "
            f"{len(flow.questions)} questions ({flow.source})"
        )
    except FlowError as exc:
        problems.extend(exc.problems)
    costs: CostAssumptions | None = None
    try:
        costs = load_assumptions(settings.cost_assumptions_file)
        notes.append(f"cost assumptions: {costs.source}, prices as of {costs.oldest}")
        notes.extend(stale_assumptions(costs, today=today or datetime.now(UTC).date()))
    except ConfigError as exc:
        problems.extend(exc.problems)
    try:
        notes.append(f"glossary: {len(load_glossary().entries)} terms ({GLOSSARY_FILE})")
    except ConfigError as exc:
        problems.extend(exc.problems)
    jinja_env = create_environment()
    template_problems = _template_problems(jinja_env)
    problems.extend(template_problems)
    if flow is not None and costs is not None and not template_problems:
        problems.extend(_render_problems(jinja_env, flow, costs))
    # Notes say only what is in force: a malformed variable is a problem, not its default.
    malformed = {p.where for p in setting_problems}
    if "ADVISOR_SESSION_TTL_DAYS" not in malformed:
        notes.append(f"session retention: {settings.session_ttl_days} days without activity")
    # Issue 16: where a description's text goes (typed in the chat, or assess --describe),
    # said where operators look.
    if settings.llm_url and settings.llm_model:
        host = ModelSettings(url=settings.llm_url, model=settings.llm_model).host
        window = round(settings.llm_window_seconds / 60)
        notes.append(
            f"free-text intake: descriptions are sent to the model {settings.llm_model} at "
            f"{host} (typed in the chat or given to assess --describe; people are told before "
            f"they type; at most {settings.llm_calls_per_person} per person every {window} "
            "minutes, then the rules read them)"
        )
    else:
        notes.append("free-text intake: rules only (descriptions stay on this service)")
    if "TEAMS_SDK" not in malformed:
        notes.append(teams_sdk_note(settings))
        problems.extend(sdk_missing(settings))
    if settings.redis_url:
        notes.append(f"session store: redis at {_redacted(settings.redis_url)}")
        store = create_store(settings)
        try:
            await store.ping()
        except StoreUnavailable as exc:  # its message says what happened ("redis did not answer")
            problems.append(Problem(file="environment", where="REDIS_URL", message=str(exc)))
        finally:
            await store.close()
    elif "REDIS_URL" not in malformed:
        notes.append("session store: in memory (set REDIS_URL to keep sessions)")
    return problems, notes
