"""Named, independent random streams derived from one ``SeedSequence`` per run.

Why named streams: every purpose (arrivals of one source, conversions of one
segment's step, one role's work times...) gets its own generator, keyed by a
stable hash of its name. Adding a segment or changing one step's numbers then
leaves every other stream's numbers exactly as they were, which is what makes
common-random-number comparisons between scenarios sharp. There is no global
RNG anywhere in salesim.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _name_key(name: str) -> tuple[int, int]:
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=16).digest()
    return int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little")


def root_sequence(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    """The run's single root: an int seed, or a child spawned by a batch driver."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    return np.random.SeedSequence(int(seed))


class Streams:
    """Factory of named generators under one root ``SeedSequence``."""

    def __init__(self, seed: int | np.random.SeedSequence):
        self.root = root_sequence(seed)
        self._issued: set[str] = set()

    def generator(self, name: str) -> np.random.Generator:
        """A PCG64 generator for ``name``; each name may be issued once per run."""
        if name in self._issued:
            raise ValueError(f"random stream {name!r} issued twice; streams must not be shared")
        self._issued.add(name)
        seq = np.random.SeedSequence(
            entropy=self.root.entropy,
            spawn_key=(*self.root.spawn_key, *_name_key(name)),
        )
        return np.random.Generator(np.random.PCG64(seq))
