"""User-facing errors. Anything raised as :class:`SalesimError` is a problem with
the user's input, reported as a message (never a traceback) with exit code 2."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class SalesimError(Exception):
    """Base class of errors caused by user input (files, flags, values)."""


@dataclass(frozen=True)
class Located:
    file: str
    line: int | None
    path: tuple[Any, ...]
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        key = ".".join(str(p) for p in self.path)
        return f"{where}: {key}: {self.message}" if key else f"{where}: {self.message}"


class ScenarioError(SalesimError):
    """One or more problems in a scenario, each with file, line and key path."""

    def __init__(self, problems: list[Located] | None = None):
        self.problems: list[Located] = list(problems or [])
        super().__init__()

    @classmethod
    def at(cls, file: str, line: int | None, path: tuple[Any, ...], message: str) -> ScenarioError:
        return cls([Located(file, line, tuple(path), message)])

    def add(self, file: str, line: int | None, path: tuple[Any, ...], message: str) -> None:
        self.problems.append(Located(file, line, tuple(path), message))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class UsageError(SalesimError):
    """A bad command-line flag or argument value."""
