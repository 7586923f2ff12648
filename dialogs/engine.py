"""The dialog engine: `step(flow, session, turn) -> (session, replies)`, a pure function.

No I/O here: the runner loads the session, calls `step`, commits the result atomically and
only then hands the replies to the adapter.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from dialogs import buttons, intake_dialog, presenter
from dialogs.changes import edit_snapshot
from dialogs.commands import MAX_ANSWER_LENGTH, YES, CommandCall, normalise, parse_command
from dialogs.cost import CostAssumptions
from dialogs.flow import Answers, Flow, Question
from dialogs.intake_reader import PreRead
from dialogs.progress import migrated, new_session, next_question
from dialogs.question_names import find_question
from dialogs.reading import Level, looks_like_answer, notice, read_answer, stale_figures
from dialogs.replies import Answered, Export, Forget, Notice, Reply, Why
from dialogs.session import Session, State
from dialogs.turn import Turn

Replies = list[Reply]


@dataclass(frozen=True, kw_only=True)
class EngineConfig:
    """What a step needs beyond the flow: how long a quiet session lives, and cost inputs."""

    session_ttl_seconds: int
    costs: CostAssumptions
    # Who reads descriptions when an operator configured a model (the intake's notice).
    intake_reader: str = ""


class _Step:
    """One turn's work; methods return the new session and the replies."""

    def __init__(
        self, flow: Flow, config: EngineConfig, turn: Turn, reading: PreRead | None = None
    ) -> None:
        self.flow = flow
        self.config = config
        self.turn = turn
        self.reader_name = config.intake_reader
        self.reading = reading

    # ------------------------------------------------------------------ helpers

    def notice(
        self, code: str, level: Level = "info", echo: str | None = None, **params: object
    ) -> Notice:
        return notice(self.flow, code, level=level, echo=echo, **params)

    def show(
        self, session: Session, *, updated: bool = False, before: Answers | None = None
    ) -> Replies:
        """What the person should see now: the current question, or their summary (after an
        edit, with what changed since the answers `before`)."""
        if session.state == State.DONE:
            costs = self.config.costs
            return [presenter.summary(self.flow, session, costs, updated=updated, before=before)]
        if session.state == State.CANCELLED:
            return [self.notice("cancelled")]
        if session.pending == intake_dialog.REVIEW:  # the review is what is on screen
            return [intake_dialog.review(self.flow, session)]
        if session.pending == intake_dialog.WAITING:  # a description is what is asked for
            return [intake_dialog.prompt(self)]
        return [presenter.ask(self.flow, session)]

    def after(self, session: Session) -> Replies:
        """What follows a notice or a view that left the session where it was: the question
        again, but never the whole summary (it is in the scroll-back; `results` shows it)."""
        return [] if session.state == State.DONE else self.show(session)

    def go_to(
        self, session: Session, question: str | None, *, updated: bool = False
    ) -> tuple[Session, Replies]:
        if question is None:
            done = replace(session, state=State.DONE, current=None, editing=False, pending=None)
            done = replace(done, before_edit=None)
            return done, self.show(
                done, updated=updated or session.editing, before=session.before_edit
            )
        moved = replace(session, state=State.ASKING, current=question, asked=session.asked + 1)
        return moved, self.show(moved)

    def start(self, session: Session, notes: Replies) -> tuple[Session, Replies]:
        first = next_question(self.flow, session, None)
        session, shown = self.go_to(replace(session, state=State.ASKING), first)
        # Its two ways in (describe, or step by step) are buttons bound to this showing.
        intro = replace(presenter.intro(self.flow), stamp=presenter.stamp(session))
        return session, [*notes, intro, *shown]

    # ------------------------------------------------------------------ entry

    def run(self, session: Session | None) -> tuple[Session, Replies]:
        notes: Replies = []
        if session is not None:
            session, notes = self.refresh(session)
        if session is None or session.state == State.NEW:
            return self.start(session or new_session(self.flow, self.turn), notes)
        if notes:
            return session, [*notes, *self.show(session)]
        if self.turn.click is not None:
            return self.click(session)
        if self.turn.text is None:
            return self.reopen(session)
        return self.text(session, self.turn.text)

    def refresh(self, session: Session) -> tuple[Session | None, Replies]:
        """Expire a quiet session and migrate one started on another flow version."""
        try:
            last = datetime.fromisoformat(session.updated_at)
            quiet = (self.turn.at - last).total_seconds()
        except (ValueError, TypeError):
            quiet = 0.0
        if quiet > self.config.session_ttl_seconds:
            days = max(1, round(self.config.session_ttl_seconds / 86400))
            return None, [self.notice("expired", days=days)]
        if session.flow != self.flow.id:
            return None, [self.notice("flow_restarted")]
        if session.flow_version != self.flow.version:
            return self.migrate(session)
        return session, []

    def migrate(self, session: Session) -> tuple[Session | None, Replies]:
        moved, kept = migrated(self.flow, session)
        if moved is None:
            return None, [self.notice("flow_restarted")]
        if moved.state == State.NEW:
            return moved, []
        return moved, [self.notice("flow_migrated", kept=kept)]

    def reopen(self, session: Session) -> tuple[Session, Replies]:
        if session.state == State.CANCELLED:
            return self.resume(session, [self.notice("resume_hint")])
        if session.state == State.DONE:
            return session, [self.notice("done_hint"), *self.show(session)]
        return session, [self.notice("welcome_back"), *self.show(session)]

    def resume(self, session: Session, notes: Replies) -> tuple[Session, Replies]:
        target = session.current or next_question(self.flow, session, None)
        if target is None:
            done = replace(session, state=State.DONE, current=None)
            return done, [*notes, *self.show(done)]
        resumed = replace(session, state=State.ASKING, current=target, asked=session.asked + 1)
        return resumed, [*notes, *self.show(resumed)]

    # ------------------------------------------------------------------ clicks

    def click(self, session: Session) -> tuple[Session, Replies]:
        click = self.turn.click
        assert click is not None
        if click.command:
            return self.command_click(session, click.command, click.stamp)
        if session.pending == intake_dialog.REVIEW and click.stamp == presenter.stamp(session):
            return intake_dialog.clicked(self, session, click.question, click.option)
        live = (
            session.state == State.ASKING
            and click.question == session.current
            and click.stamp == presenter.stamp(session)
        )
        question = self.flow.question(click.question)
        if live and question is not None and question.option(click.option) is not None:
            return self.answer(replace(session, pending=None), question, click.option)
        if session.state == State.CANCELLED:
            return self.resume(session, [self.notice("resume_hint")])
        code = "already_answered" if click.question in session.answers else "stale_click"
        return self.stale(session, code)

    def stale(self, session: Session, code: str = "stale_click") -> tuple[Session, Replies]:
        """A button from an earlier showing: it acts on nothing. Its notice goes to the clicker
        only, and the current question is named, not posted again (see dialogs.screen); the
        summary card is never re-posted (it is in the scroll-back), nor is the request for a
        description (the person is typing one)."""
        if session.state == State.CANCELLED:
            return self.resume(session, [self.notice("resume_hint")])
        if session.pending == intake_dialog.WAITING:
            return session, [self.notice(code)]
        return session, [self.notice(code), *self.after(session)]

    def command_click(self, session: Session, command: str, stamp: str) -> tuple[Session, Replies]:
        """A command button (back, skip, yes, no, restart, edit): it acts once, and only on the
        state it was shown for: its stamp is the current one and the session is still where
        that button makes sense (question buttons while asking, summary buttons when done,
        confirmations while one is pending)."""
        call = parse_command(command)
        name = call.name if call is not None else normalise(command)
        if stamp != presenter.stamp(session) or not buttons.fits(session, name):
            return self.stale(session)
        return self.text(session, buttons.typed(command))

    # ------------------------------------------------------------------ typed text

    def text(self, session: Session, raw: str) -> tuple[Session, Replies]:
        text = raw.strip()
        notes: Replies = []
        if intake_dialog.wants(session, text):  # "describe", a description and its review
            session, handled = intake_dialog.handle(self, session, text)
            if handled is not None:
                return session, handled
        if session.pending in ("restart", "forget"):
            pending = session.pending
            session = replace(session, pending=None)
            if normalise(text) in YES:
                if pending == "forget":
                    return session, [Forget()]
                return self.restart(session)
            notes.append(self.notice("restart_kept" if pending == "restart" else "forget_kept"))
            if parse_command(text) is None and session.state == State.ASKING:
                question = self.current_question(session)
                if question is None or not looks_like_answer(question, text):
                    return session, [*notes, *self.show(session)]
        if session.state == State.CANCELLED:
            command = parse_command(text)
            if command is not None and command.name in (
                "forget",
                "export",
                "restart",
                "status",
                "help",
                "results",
                "edit",
            ):
                return self.command(
                    replace(session, state=State.ASKING if session.current else State.DONE),
                    command,
                    notes,
                )
            return self.resume(session, [*notes, self.notice("resume_hint")])
        if not text:
            return session, [*notes, self.notice("empty_input"), *self.after(session)]
        command = parse_command(text)
        if command is not None:
            return self.command(session, command, notes)
        if session.state == State.DONE:
            return session, [*notes, self.notice("done_hint")]
        question = self.current_question(session)
        if question is None:
            return self.resume(session, notes)
        if len(text) > MAX_ANSWER_LENGTH:
            return session, [*notes, self.notice("too_long", level="warning"), *self.show(session)]
        reading = read_answer(self.flow, session.answers, question, text)
        if reading.value is None:
            return session, [*notes, *reading.notes, *self.show(session)]
        session, replies = self.answer(session, question, reading.value, also=reading.also)
        return session, [*notes, *reading.notes, *replies]

    def current_question(self, session: Session) -> Question | None:
        return self.flow.question(session.current) if session.current else None

    def answer(
        self, session: Session, question: Question, value: str, *, also: Answers | None = None
    ) -> tuple[Session, Replies]:
        """Record `value` (and the other answers it settles, `also`) and move on."""
        before = presenter.stamp(session)
        settled = {**(also or {}), question.id: value}
        answers = {**session.answers, **settled}
        # A figure given earlier that the range picked now does not hold is asked again.
        cleared, notes = stale_figures(self.flow, answers, question, value)
        answers = {k: v for k, v in answers.items() if k not in cleared}
        label = f"{int(value):,}" if question.input == "number" else question.label(value)
        answered = Answered(
            question=question.id, prompt=question.prompt, option=value, label=label, stamp=before
        )
        updated = replace(
            session,
            answers=answers,
            skipped=tuple(q for q in session.skipped if q not in settled),
            history=(*session.history, question.id),
        )
        target = next_question(self.flow, updated, question.id)
        updated, shown = self.go_to(updated, target)
        return updated, [answered, *notes, *shown]

    # ------------------------------------------------------------------ commands

    def command(
        self, session: Session, command: CommandCall, notes: Replies
    ) -> tuple[Session, Replies]:
        name = command.name
        asking = session.state == State.ASKING
        if name == "help":
            helped = presenter.help_view(self.flow, command.arg)
            return session, [*notes, helped, *self.after(session)]
        if name == "status":
            return session, [*notes, presenter.status(self.flow, session), *self.after(session)]
        if name == "start":
            return session, [*notes, *self.show(session)]
        if name == "cancel":
            cancelled = replace(session, state=State.CANCELLED, pending=None)
            return cancelled, [*notes, self.notice("cancelled")]
        if name == "restart":
            if not session.answers:
                return self.restart(session)
            confirm = self.notice("confirm_restart", count=len(session.answers))
            confirm = replace(confirm, stamp=presenter.stamp(session))
            return replace(session, pending="restart"), [*notes, confirm]
        if name == "forget":
            confirm = replace(self.notice("confirm_forget"), stamp=presenter.stamp(session))
            return replace(session, pending="forget"), [*notes, confirm]
        if name == "export":
            return session, [*notes, Export(), *self.after(session)]
        if name == "results":
            if session.state == State.DONE:
                return session, [*notes, *self.show(session)]
            return session, [*notes, self.notice("no_results"), *self.show(session)]
        if name == "edit":
            return self.edit(session, command.arg, notes)
        question = self.current_question(session)
        if name == "why":
            if question is None:
                return session, [*notes, self.notice("done_hint")]
            why = Why(question=question.id, prompt=question.prompt, text=question.why)
            return session, [*notes, why, *self.show(session)]
        if name == "back":
            return self.back(session, notes)
        if name == "skip" and asking and question is not None:
            if not question.skippable:
                warning = self.notice("not_skippable", level="warning")
                return session, [*notes, warning, *self.show(session)]
            answers = {k: v for k, v in session.answers.items() if k != question.id}
            skipped = (*[q for q in session.skipped if q != question.id], question.id)
            updated = replace(
                session, answers=answers, skipped=skipped, history=(*session.history, question.id)
            )
            updated, shown = self.go_to(updated, next_question(self.flow, updated, question.id))
            return updated, [*notes, self.notice("skipped"), *shown]
        return session, [*notes, self.notice("done_hint")]

    def back(self, session: Session, notes: Replies) -> tuple[Session, Replies]:
        history = list(session.history)
        while history and (
            history[-1] == session.current or self.flow.question(history[-1]) is None
        ):
            history.pop()
        if not history:
            return session, [*notes, self.notice("first_question"), *self.show(session)]
        previous = history.pop()
        moved = replace(
            session,
            state=State.ASKING,
            current=previous,
            asked=session.asked + 1,
            history=tuple(history),
            editing=session.editing or session.state == State.DONE,
            before_edit=edit_snapshot(session),
        )
        return moved, [*notes, self.notice("went_back"), *self.show(moved)]

    def edit(self, session: Session, arg: str, notes: Replies) -> tuple[Session, Replies]:
        applicable = [q for q in self.flow.applicable(session.answers)]
        names = ", ".join(q.id for q in applicable)
        if not arg:
            return session, [*notes, self.notice("edit_usage", names=names), *self.after(session)]
        target = find_question(applicable, arg)
        if target is None:
            return session, [
                *notes,
                self.notice("edit_unknown", level="warning", names=names, echo=arg[:200]),
                *self.after(session),
            ]
        moved = replace(
            session,
            state=State.ASKING,
            current=target.id,
            asked=session.asked + 1,
            editing=session.editing or session.state == State.DONE,
            before_edit=edit_snapshot(session),
        )
        return moved, [*notes, self.notice("edit_prompt"), *self.show(moved)]

    def restart(self, session: Session) -> tuple[Session, Replies]:
        fresh = new_session(self.flow, self.turn)
        fresh = replace(fresh, asked=session.asked)
        first = next_question(self.flow, fresh, None)
        fresh, shown = self.go_to(replace(fresh, state=State.ASKING), first)
        return fresh, [self.notice("restarted"), *shown]


def step(
    flow: Flow,
    session: Session | None,
    turn: Turn,
    config: EngineConfig,
    reading: PreRead | None = None,
) -> tuple[Session, list[Reply]]:
    """Apply one turn. Pure: the same session, turn (and reading of a description made before
    the step, dialogs.intake_reader) always give the same result."""
    new, replies = _Step(flow, config, turn, reading).run(session)
    return new.with_event(turn.event_id, turn.at), replies
