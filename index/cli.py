"""Search commands on the ``archive`` group: search, reindex, export; and the index hooks.

Importing this module plugs the index into the core commands: every write
(import) is followed by a sync, ``check`` compares the index with SQLite,
``stats`` reports its size.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path

import click

from archive.cli import cli, echo_json, hooks, store_for
from archive.errors import ArchiveError, Busy
from archive.model import KINDS, SECTION_TYPES
from archive.store import Store

from . import indexer
from .query import QueryError
from .search import Searcher

DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def _after_write(store: Store) -> list[str]:
    report = indexer.sync(store)
    return [f"indexed {report.added} passages in {report.seconds:.1f} s"] if report.added else []


def _index_stats(store: Store) -> dict:
    path = indexer.index_dir(store)
    size = sum(p.stat().st_size for p in path.glob("*") if p.is_file()) if path.exists() else 0
    return {"index_bytes": size, "index_pending": indexer.pending(store)}


hooks.after_write.append(_after_write)
hooks.checks.append(indexer.check)
hooks.stats.append(_index_stats)


def open_searcher(ctx: click.Context) -> Searcher:
    """A searcher over an index that is in step with the archive, repairing it if a write was cut short."""
    store = store_for(ctx)
    try:
        with store.writer_lock(wait=0.0):
            behind, report = indexer.repair(store)
            if behind:
                click.echo(f"the index was {behind} passages behind the archive (an import was interrupted); "
                           f"indexed them in {report.seconds:.1f} s", err=True)
            if report and report.workers_failed:
                click.echo(f"note: {report.workers_failed} (indexed in one process instead)", err=True)
    except Busy:  # an import is running; it keeps the index in step itself
        click.echo("note: an import is running; passages it has not indexed yet are not searched", err=True)
    except ArchiveError as exc:
        click.echo(f"warning: the index is behind the archive and could not be repaired ({exc}); "
                   "results may miss passages", err=True)
    return Searcher(store)


def filter_options(f):
    f = click.option("--section", "sections", multiple=True, type=click.Choice(list(SECTION_TYPES)),
                     help="Section type (repeatable).")(f)
    f = click.option("--year", "years", multiple=True, metavar="YEAR", help="Year, or 'unknown' (repeatable).")(f)
    f = click.option("--kind", "kinds", multiple=True, type=click.Choice(list(KINDS)),
                     help="Kind of report (repeatable).")(f)
    return f


@cli.command()
@click.argument("query")
@filter_options
@click.option("--limit", type=click.IntRange(0, 100), default=10, show_default=True)
@click.option("--offset", type=click.IntRange(0, 10_000), default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the search object as JSON.")
@click.option("--base-url", default=DEFAULT_BASE_URL, show_default=True, help="Host for passage permalinks.")
@click.pass_context
def search(ctx, query, sections, years, kinds, limit, offset, as_json, base_url):
    """Search passages: words, "exact phrases", OR, -exclusions, (groups)."""
    searcher = open_searcher(ctx)
    try:
        result = searcher.search(query, sections=sections, years=years, kinds=kinds, offset=offset, limit=limit)
    except QueryError as exc:
        raise click.UsageError(str(exc)) from exc
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        searcher.close()
        searcher.store.close()
    for hit in result.hits:
        hit.url = base_url.rstrip("/") + hit.url
    if as_json:
        echo_json(result.as_json())
        return
    click.echo(f"{result.total} passages ({result.took_ms:.1f} ms)")
    for n, hit in enumerate(result.hits, start=offset + 1):
        label = SECTION_TYPES.get(hit.section_type, hit.section_type)
        click.echo()
        click.secho(f"{n}. {hit.title}", bold=True, nl=False)
        click.echo(f"  {hit.year or '年份不详'} · {hit.kind} · {label} · 第{hit.passage_no}段")
        if hit.section_heading:
            click.echo(f"   {hit.section_heading}")
        click.echo("   " + _terminal_marks(hit.snippet_html))
        click.echo(f"   {hit.url}")
    if result.total:
        click.echo()
        for facet, counts in result.facets.items():
            shown = ", ".join(f"{SECTION_TYPES.get(k, k)} {v}" for k, v in counts.items())
            click.echo(f"{facet}: {shown}")


def _terminal_marks(html: str) -> str:
    """Snippet HTML → terminal text with hits in colour."""
    from html import unescape

    out = []
    for i, part in enumerate(html.split("<mark>")):
        if i == 0:
            out.append(unescape(part))
            continue
        hit, _, rest = part.partition("</mark>")
        out.append(click.style(unescape(hit), fg="red", bold=True) + unescape(rest))
    return "".join(out)


@cli.command()
@click.pass_context
def reindex(ctx):
    """Rebuild the search index from the SQLite archive."""
    store = store_for(ctx)
    try:
        with store.writer_lock(wait=3600):
            report = indexer.rebuild(store)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    click.echo(f"indexed {report.added} passages in {report.seconds:.1f} s")


@cli.command()
@click.argument("dest", type=click.Path(file_okay=False))
@click.pass_context
def backup(ctx, dest):
    """Copy the archive (database, sources, index) to DEST consistently, even while it is served."""
    store = store_for(ctx)
    try:
        with store.writer_lock(wait=3600, on_wait=lambda: click.echo("waiting for an import to finish…", err=True)):
            indexer.sync(store)
            store.backup_to(dest)
            src = indexer.index_dir(store)
            if src.exists():
                shutil.copytree(src, Path(dest) / "index", dirs_exist_ok=True)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    copy = Store(dest)
    try:
        problems = copy.integrity() + indexer.check(copy)
    finally:
        copy.close()
    if problems:
        raise click.ClickException("the copy failed its check: " + "; ".join(problems[:5]))
    click.echo(f"backed up to {dest} (checked: consistent)")


@cli.command()
@click.argument("query")
@filter_options
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="jsonl", show_default=True)
@click.option("--base-url", default=DEFAULT_BASE_URL, show_default=True)
@click.pass_context
def export(ctx, query, sections, years, kinds, fmt, base_url):
    """Every passage matching QUERY, as CSV or JSON lines (use '"*"'-free queries; e.g. 'export 廉洁')."""
    searcher = open_searcher(ctx)
    try:
        ids = searcher.all_ids(query, sections=sections, years=years, kinds=kinds)
        rows = searcher.store.conn.execute(
            "SELECT p.id, p.report_id, r.title, r.year, r.kind, p.section_type, p.heading, p.passage_no, p.text "
            "FROM passages p JOIN reports r ON r.report_id = p.report_id "
            "WHERE p.id IN (SELECT value FROM json_each(?))", (json.dumps(ids),)).fetchall()
    except QueryError as exc:
        raise click.UsageError(str(exc)) from exc
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        searcher.close()
        searcher.store.close()
    by_id = {r[0]: r for r in rows}
    fields = ["report_id", "title", "year", "kind", "section_type", "section_heading", "passage_no", "text", "url"]
    writer = csv.writer(sys.stdout) if fmt == "csv" else None
    if writer:
        writer.writerow(fields)
    for pid in ids:
        _, rid, title, year, kind, stype, heading, no, text = by_id[pid]
        rec = [rid, title, year, kind, stype, heading, no, text, f"{base_url.rstrip('/')}/r/{rid}#p{no}"]
        if writer:
            writer.writerow(rec)
        else:
            click.echo(json.dumps(dict(zip(fields, rec)), ensure_ascii=False))
