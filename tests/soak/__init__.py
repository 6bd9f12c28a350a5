"""Reliability runs (``make soak``): hostile files, kill -9 during import, reading while importing, load,
hostile requests and backups. The fast parts run in ``make test`` (tests/test_reliability.py,
tests/test_hostile_requests.py, tests/test_properties.py); ``python -m tests.soak`` runs the long ones and
prints one table."""
