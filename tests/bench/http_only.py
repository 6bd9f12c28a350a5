"""Query latency over HTTP against an archive that already exists: the bench's query classes and clients,
without generating and importing a corpus first (for comparing two versions of the query path).

    python -m tests.bench.http_only DATA_DIR [RUNS]
"""

from __future__ import annotations

import sys
from pathlib import Path

from archive.store import Store
from index.api import open_backend

from . import queries, serve


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    data = Path(argv[0])
    runs = int(argv[1]) if len(argv) > 1 else 200
    with open_backend(Store(data, readonly=True)) as backend:
        classes = queries.build(backend.store.conn, 1)
        classes += queries.analyst_classes(backend.store.conn, backend, 1)
    with serve.Server(data, data.parent / "http-only-serve.log") as server:
        for clients in (1, 8):
            for qclass in classes:
                t = serve.run_clients(server.port, qclass, clients, runs, 30).as_json()
                figures = " / ".join(f"{t[k]:.1f}" for k in ("p50", "p95", "p99") if k in t)
                print(f"{clients} client(s)  {qclass.name:14} p50/p95/p99 {figures} ms  n={t.get('n', 0)}"
                      + (f"  errors={t['errors']}" if t.get("errors") else ""), flush=True)
        for word in ("工作", "发展"):
            e = serve.measure_export(server, word)
            print(f"export {word}: {e['rows']:,} rows in {e['seconds']:.2f} s = {e['rows_per_s']:,.0f} rows/s; "
                  f"server RSS {e['server_rss_before'] / 2**20:.0f} → peak {e['server_rss_peak'] / 2**20:.0f} MB",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
