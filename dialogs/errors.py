"""The advisor's small exception tree; each adapter has one boundary that catches AdvisorError."""

from __future__ import annotations

from dataclasses import dataclass


class AdvisorError(Exception):
    """Base of every error the advisor raises on purpose."""


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One thing wrong with a file: where it is and what is wrong."""

    file: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.message}"


class ConfigError(AdvisorError):
    """Settings or configuration files are missing or malformed."""

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(file="environment", where="settings", message=problems)]
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class FlowError(AdvisorError):
    """The flow file does not validate; `problems` names file, question and field."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class RenderError(AdvisorError):
    """A template failed to render or rendered something that does not parse."""


class StoreUnavailable(AdvisorError):
    """The session store did not answer in time; the user's progress is still safe."""


class StoreConflict(AdvisorError):
    """Another turn committed first too many times in a row."""
