"""Helpers the pytest suite, the benchmark and the soak runs share."""
