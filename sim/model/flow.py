"""A lead's life driven without a ``simpy.Process`` of its own.

A SimPy process costs two events besides the ones it waits on: its
``Initialize`` (it starts once what is due now has run) and its own
termination (scheduled even when nobody waits for it). A run creates tens of
thousands of leads and nothing ever waits for a lead's process, so
:class:`Flow` drives the generator itself, on SimPy's public event API: it
starts the generator at once, and each time the generator yields an event it
adds itself to that event's ``callbacks`` and resumes with the event's
``value`` when the event is processed. An event already processed is not
waited for. A failed event is thrown into the generator, as SimPy does.

What differs from a process: the life starts inside the call that creates it
(before the creator's next line, instead of after what is due now), it ends
without an event, and ``env.active_process`` is ``None`` while it runs.
Nothing in the model reads either.
"""

from __future__ import annotations

from collections.abc import Generator


class Flow:
    """Run ``generator`` (which yields SimPy events) from now on, without a process."""

    __slots__ = ("_send", "_throw")

    def __init__(self, generator: Generator):
        self._send = generator.send
        self._throw = generator.throw
        # (no reference to its own bound method: that cycle would leave every
        # finished lead to the cyclic garbage collector)
        self.resume(None)

    def resume(self, event) -> None:
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
                event = self._throw(event.value)
            while event.callbacks is None:  # already processed: no need to wait
                if event.ok:
                    event = send(event.value)
                else:
                    event.defused = True
                    event = self._throw(event.value)
        except StopIteration:
            return
        event.callbacks.append(self.resume)
