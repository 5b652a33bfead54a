"""Which random numbers each replication gets.

Why a module of its own: reproducibility is the contract of every study.
Replication ``i`` of a study with root seed ``S`` always runs under
``SeedSequence(S, spawn_key=(i,))`` -- exactly the ``i``-th child that
``SeedSequence(S).spawn(n)`` returns, for any ``n > i``. The child depends only
on ``(S, i)``, never on the executor, the worker count, the chunking or the
order in which chunks finish, so a batch computed on one laptop core, on a
process pool or on a Dask cluster gives the same numbers, and a resumed batch
recomputes exactly what was missing.

Because every scenario of a comparison (and every point of a sweep) uses the
same children, replication ``i`` sees the same arrivals, draws and durations
wherever the scenarios agree: common random numbers. The model's named streams
(``sim.model.rng``) keep that true even when one scenario adds a segment or
changes one step.

Design samplers (Latin hypercube, Sobol) draw from a child keyed by a purpose
name: a spawn key of two words, so it can never equal a replication's
one-word key.
"""

from __future__ import annotations

import hashlib

import numpy as np

BIT_GENERATOR = "PCG64"
SCHEME = ("replication i runs under SeedSequence(root_seed, spawn_key=(i,)) "
          "(= SeedSequence(root_seed).spawn(n)[i]); the model's named PCG64 streams derive from it")


def replication_seed(root_seed: int, rep: int) -> np.random.SeedSequence:
    """The root ``SeedSequence`` of replication ``rep`` (0-based)."""
    if rep < 0:
        raise ValueError(f"replication index must be >= 0, got {rep}")
    return np.random.SeedSequence(int(root_seed), spawn_key=(int(rep),))


def purpose_seed(root_seed: int, purpose: str) -> np.random.SeedSequence:
    """A child for a non-replication purpose (e.g. ``"design/lhs"``)."""
    digest = hashlib.blake2b(purpose.encode("utf-8"), digest_size=8).digest()
    return np.random.SeedSequence(int(root_seed), spawn_key=(1 << 32, int.from_bytes(digest, "little")))
