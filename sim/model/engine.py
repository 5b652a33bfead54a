"""The engine's own scheduling on top of SimPy, in one place.

The model runs on SimPy's documented event API (``Environment.timeout``,
``Environment.event``, ``Environment.schedule``, ``Event.callbacks``,
``Event.processed``, ``Event.ok``/``value``/``defused``, ``Event.succeed``).
Four pieces of scheduling are the engine's own, because a run creates tens of
thousands of leads and each SimPy event per lead or per task is a measurable
share of a run; they are here, each with its own tests (``tests/test_engine.py``):

* :class:`Flow` drives a lead's life (a generator yielding events) without a
  ``simpy.Process``: a process costs two events of its own (``Initialize`` and
  its termination), nothing ever waits for a lead, and a process's bound
  method makes a reference cycle per lead.
* :class:`TaskDone` is a task's place in a seat's line *and* the event of its
  end: a SimPy event that the seat's grant schedules at the end of the work
  (the way SimPy's own ``Timeout`` schedules itself), so a task in line is one
  event, not one for the grant and one for the end.
* :class:`Park` is a flow's wait for a direct call instead of an event: the
  generator yields a ``Park``, and whoever holds it calls :meth:`Park.wake`
  with the value, at an instant of its own choosing; the flow goes on inside
  that call. A chain of callbacks (a lead's further connect attempts, one gap
  and one task each) thus runs without resuming the lead's generator per event,
  and the flow resumes once, at the instant it would have after the chain's
  last event.
* :class:`Alarm` is one pending wake-up at the earliest time asked for: a
  caller that may ask for many wake-ups (the outbound cadence, one per account
  lost while PODs wait) gets one timer; a later, earlier request supersedes the
  pending one, whose firing is then ignored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any, cast

import simpy
from simpy.events import NORMAL


class Flow:
    """Run ``generator`` (which yields SimPy events) from now on, without a process.

    It starts the generator at once, and each time the generator yields an
    event, it goes on with the event's value when the event is processed (at
    once if it already is: ``Event.processed``); a failed event is thrown into
    the generator, as SimPy does. What differs from a process: the life starts
    inside the call that creates it (before the creator's next line, instead
    of after what is due now), it ends without an event, and
    ``env.active_process`` is ``None`` while it runs. Nothing in the model
    reads either."""

    __slots__ = ("_send", "_throw")

    def __init__(self, generator: Generator):
        self._send = generator.send
        self._throw = generator.throw
        # (no reference to its own bound method: that cycle would leave every
        # finished lead to the cyclic garbage collector)
        self.resume(None)

    def resume(self, event: simpy.Event | None) -> None:
        """Go on with the value of ``event`` (None: start) until the generator
        waits for an event not processed yet, or ends."""
        send = self._send
        try:
            if event is None:
                event = send(None)
            elif event.ok:
                event = send(event.value)
            else:
                event.defused = True
                event = self._throw(cast(BaseException, event.value))
            while event.processed:  # already processed: no need to wait (a Park never is)
                if event.ok:
                    event = send(event.value)
                else:
                    event.defused = True
                    event = self._throw(cast(BaseException, event.value))
        except StopIteration:
            return
        if event.__class__ is Park:
            event._flow = self  # (cleared by wake: the cycle flow -> generator -> park lasts the wait only)
        else:
            event.callbacks.append(self.resume)


class Park:
    """A flow's wait for a direct call: a generator driven by :class:`Flow` yields a
    ``Park`` (not an event: nothing is scheduled), and the flow goes on with
    ``value`` inside the call :meth:`wake` that its holder makes, at the instant
    of that call. Whoever made the park keeps it and wakes it once; a park is
    never yielded twice. (A SimPy process cannot wait for one: only a Flow.)"""

    __slots__ = ("_flow", "value")
    ok = True
    processed = False  # (what Flow.resume reads of what a generator yields: a park always waits)

    def __init__(self) -> None:
        self._flow: Flow | None = None
        self.value: Any = None

    def wake(self, value: Any) -> None:
        """The waiting flow goes on now, inside this call, with ``value``."""
        flow = self._flow
        if flow is None:
            raise RuntimeError("no flow waits on this park (woken twice, or before it was yielded)")
        self._flow = None
        self.value = value
        flow.resume(self)  # type: ignore[arg-type]


class TaskDone(simpy.Event):
    """A task waiting in a seat's line, and the event of its end.

    ``on_grant(task_done)`` is called the instant a seat is granted (by
    :class:`~sim.model.seats.Seats`); it starts the work and calls
    :meth:`end_at` with the time the work ends and the value whoever waits on
    this event receives then. Until then the event is pending, like any SimPy
    event nobody has triggered; ``task`` carries what ``on_grant`` needs. A
    place in line of this kind is never withdrawn."""

    __slots__ = ("on_grant", "task")
    withdrawn = False

    def __init__(self, env: simpy.Environment, on_grant: Callable[[TaskDone], None], task: Any):
        super().__init__(env)
        self.on_grant = on_grant
        self.task = task

    def end_at(self, t: float, value: Any) -> None:
        """Trigger this event at time ``t`` (not before now) with ``value``: it is
        scheduled as SimPy schedules a ``Timeout`` of ``t - now``."""
        # (what simpy.Timeout.__init__ does for its own event: a successful event with
        # its value, put on the environment's queue with a delay)
        env = self.env
        delay = t - env.now
        if delay < 0:
            raise ValueError(f"a task cannot end before now ({t} < {env.now})")
        self._ok = True
        self._value = value
        env.schedule(self, NORMAL, delay)


def after_now(env: simpy.Environment, call: Callable[[simpy.Event], None]) -> None:
    """Call ``call(event)`` once what is already due now has run: an event that succeeds
    now, with ``call`` its callback (SimPy's own way of deferring to the end of an instant,
    as its ``Release`` does)."""
    ev = simpy.Event(env)
    ev.callbacks.append(call)
    ev.succeed()


class Alarm:
    """One pending wake-up, at the earliest time asked for.

    ``set(t)`` asks for ``on_alarm()`` to be called at time ``t``; if a wake-up
    at or before ``t`` is already pending, nothing changes; if the pending one
    is later, the new one supersedes it (its timer still fires and is ignored).
    The wake-up comes exactly at ``t``, never after: the timer's delay is
    rounded down until ``now + delay`` is not past ``t`` in floating point.
    ``pending`` is the time of the pending wake-up (infinity: none)."""

    __slots__ = ("env", "on_alarm", "pending", "_serial")

    def __init__(self, env: simpy.Environment, on_alarm: Callable[[], None]):
        self.env = env
        self.on_alarm = on_alarm
        self.pending = math.inf
        self._serial = 0  # which timer is the pending one

    def set(self, t: float) -> None:
        if t >= self.pending:
            return
        env = self.env
        self.pending = t
        self._serial += 1
        delay = t - env.now
        while env.now + delay > t:  # the clock adds the delay to now: never land after t
            delay = math.nextafter(delay, 0.0)
        serial = self._serial
        env.timeout(delay).callbacks.append(lambda _ev: self._fire(serial))

    def _fire(self, serial: int) -> None:
        if serial != self._serial:  # superseded by an earlier wake-up, which did the work
            return
        self.pending = math.inf
        self.on_alarm()
