"""User-facing errors. Anything raised as :class:`SalesimError` is a problem with
the user's input, reported as a message (never a traceback) with exit code 2."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
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


_UNSET: Any = object()
_PYTHON_SPELLING = {"resume": "resume=True"}  # a switch, as a caller would write it


class ArgumentError(UsageError):
    """A bad argument of a Python call, named the way the API names it.

    ``param`` is the argument (``reps``, ``kpis``, ``out``...), ``value`` what
    was passed, if worth showing. Other arguments the message mentions are
    written ``{name}``. ``str()`` speaks Python (``reps=0: expected ...``); the
    command line shows the same error in its own flags through :meth:`render`
    (``--reps 0: expected ...``).
    """

    def __init__(self, param: str, message: str, value: Any = _UNSET):
        self.param, self.message, self.value = param, message, value
        super().__init__(self.render())

    def render(self, flags: Callable[[str], str] | None = None) -> str:
        """The message with argument names given by ``flags`` (default: Python names)."""
        name = flags or (lambda p: _PYTHON_SPELLING.get(p, p))
        text = re.sub(r"\{([a-z_]+)\}", lambda m: name(m.group(1)), self.message)
        if self.value is _UNSET:
            head = name(self.param)
        elif flags is None:
            value = os.fspath(self.value) if isinstance(self.value, os.PathLike) else self.value
            head = f"{self.param}={value!r}"
        else:
            head = f"{name(self.param)} {self.value}"
        return f"{head}: {text}"

    def __str__(self) -> str:
        return self.render()


class NonFiniteResult(SalesimError):
    """A run whose numbers overflowed (a KPI came out infinite or NaN): the
    scenario's sizes compound past what a float64 holds. Refused rather than
    reported, so no ``inf`` ever reaches a table or a JSON file."""

    def __init__(self, keys: list[str]):
        self.keys = keys
        shown = ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
        super().__init__(f"the run's numbers overflowed ({shown} came out infinite or NaN): the scenario's "
                         "sizes compound past what can be computed; lower deal sizes (acv_usd), price changes, "
                         "expansion.acv_increase_fraction or renewal.price_uplift_fraction")


class RunTooLarge(SalesimError):
    """A run would create (or has created) more leads or events than allowed
    (``max_leads``/``max_events``; ``--max-leads``/``--max-events`` on the command line)."""
