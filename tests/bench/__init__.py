"""The benchmark: a synthetic corpus generator and ``make bench``.

Not a test suite: pytest ignores this package (``--ignore=tests/bench``).
``python -m tests.bench.generate`` writes a corpus; ``python -m tests.bench``
imports it through the real CLI, times every stage, queries it in-process
and over HTTP, checks the exact-phrase guarantee and prints one table per
corpus size (the same figures go to ``bench-results/`` as JSON).
"""
