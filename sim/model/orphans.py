"""Accounts whose caretaker left, as a mechanism (``work_model.orphans``).

Without the section an account kept by a vacant seat renews at the role's
constant ``people.orphan_renewal_multiplier`` (:meth:`AccountBook._orphan`).
With it the constant goes (the scenario checks ask for it at 1) and the
account is *orphaned* while its caretaker's seat is vacant: a generalist's
account (the keeper's seat) or one on a CSM's book. Nobody gives it
attention, so it falls along the attention mechanisms that already exist:

* a generalist's monthly check-ins wait for the vacant seat and are missed
  (the missed-care curve, or the health model's attention, reads them);
* a CSM book's account counts as having no CSM for the share ``f`` of its
  term it was orphaned: its renewal multiplier is ``(1 - f) x`` the book's
  as before ``+ f x post_sale.no_csm_renewal_multiplier``, or with a health
  model its attention is ``(1 - f) x`` the book's ``+ f x no_csm_attention``.

It ends when the seat is filled again (the backfill, after the role's
``hiring_lag_days``) or, with ``reassign_after_days``, when the account goes
to the present colleague with the lightest load (a generalist: the fewest
open leads, as new accounts are placed; a CSM: the lightest book), whichever
comes first. :class:`~sim.model.staffing.Staffing` tells :meth:`vacant` and
:meth:`filled`; the account's life asks :meth:`share` at each renewal.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model.accounts import AccountBook

INF = math.inf


class Orphans:
    """The orphan spells of the account book's accounts."""

    def __init__(self, book: AccountBook, reassign_after_days: float | None):
        self.book = book
        self.env = book.env
        self.delay = reassign_after_days
        self.since: list[float] = []  # per account, when its current orphan spell began (INF: none)
        self.days: list[float] = []  # orphaned days in its current term, spells that ended

    def opened(self) -> None:
        self.since.append(INF)
        self.days.append(0.0)

    def _held(self, role, seat: int) -> list[int]:
        """The accounts ``seat`` of ``role`` looks after now (a keeper's or a CSM book's)."""
        b = self.book
        if role is b.keeper:
            return [a for a, s in enumerate(b.keeper_seat) if s == seat and not b.closed[a].triggered]
        if role is b.csm_rt and not b.care_by_task:
            return [a for a, s in enumerate(b.csm_of) if s == seat and b.active[a]]
        return []

    def vacant(self, role, seat: int) -> None:
        """The caretaker in ``seat`` left: their accounts are orphaned from now."""
        held = self._held(role, seat)
        now = self.env.now
        for a in held:
            if self.since[a] == INF:
                self.since[a] = now
        if held and self.delay is not None:
            self.env.process(self._reassign_later(role, seat, held))

    def filled(self, role, seat: int) -> None:
        """``seat`` has a rep again: the accounts still orphaned there have a caretaker."""
        for a in self._held(role, seat):
            self._end_spell(a)

    def _end_spell(self, a: int) -> None:
        if self.since[a] != INF:
            self.days[a] += self.env.now - self.since[a]
            self.since[a] = INF

    def _reassign_later(self, role, seat: int, held: list[int]):
        yield self.env.timeout(self.delay or 0.0)
        if role.occupant[seat] >= 0:  # the backfill came first
            return
        b = self.book
        for a in held:
            if self.since[a] == INF or b.closed[a].triggered:
                continue
            keeper = b.keeper
            if keeper is not None and role is keeper:
                present = [i for i in range(keeper.headcount) if keeper.occupant[i] >= 0
                           and (not keeper.podded or keeper.seat_pod[i] == b.pod[a])]
                if not present:
                    continue
                b.keeper_seat[a] = min(present, key=keeper.open.__getitem__)
            else:
                if b.csm_of[a] != seat:
                    continue
                new = b.books.reassign(seat, b.tiers[b.segment[a]].csm_hours_per_week)
                if new < 0:
                    continue
                b.csm_of[a] = new
                b.term_from[a] = (b.books.touch(new), self.env.now)  # its book's load counts from now
            self._end_spell(a)

    def share(self, a: int, term_start: float) -> float:
        """At a renewal: the share of the term since ``term_start`` that account ``a``
        was orphaned; the count starts again for the next term."""
        now = self.env.now
        days = self.days[a]
        if self.since[a] != INF:
            days += now - self.since[a]
            self.since[a] = now
        self.days[a] = 0.0
        span = now - term_start
        return min(days / span, 1.0) if span > 0 else 0.0
