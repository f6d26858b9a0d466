"""The story runtime's pure core: the expression language of conditions and effects, and the seeded RNG.

:mod:`~comfyvn_vault.domain.runtime.expr` reads, checks and evaluates the
conditions and effects writers attach to choices and nodes;
:mod:`~comfyvn_vault.domain.runtime.rng` is the random stream a playthrough
draws from, the same on every machine. Neither does IO. ``docs/expressions.md``
describes both for writers.
"""
