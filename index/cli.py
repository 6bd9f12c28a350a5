"""Search commands (search, export, reindex, backup) and the index's hooks into the core commands.

``register`` adds them to the root group and plugs the index in: every
write (import) is followed by a sync, ``check`` compares the index with the
archive, ``stats`` reports its size. Everything here goes through
``index.api``, so the commands work the same whatever engine answers.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

from archive import copytext, reused
from archive.authorship import LEVELS
from archive.cli import Hooks, echo_json, opened_store
from archive.model import KINDS, SECTION_TYPES
from archive.store import Store
from archive.urls import DEFAULT_BASE, Urls

from .api import (
    ENGINES,
    EXPORT_FORMATS,
    GROUPS,
    MAX_LIMIT,
    MAX_OFFSET,
    SORTS,
    Hit,
    export_rows,
    export_text,
    open_backend,
    open_maintenance,
    result_json,
    trend_json,
)


def _engine_env(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """``--engine`` / ``--opensearch`` stand for their environment variables for the length of the command, so
    every engine opened during it (the import's sync, the server's workers) is the chosen one."""
    if value is None:
        return
    name = {"engine": "ARCHIVE_ENGINE", "opensearch": "ARCHIVE_OPENSEARCH_URL"}[param.name]
    before = os.environ.get(name)
    os.environ[name] = value

    def restore() -> None:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before

    ctx.call_on_close(restore)


def register(cli: click.Group, hooks: Hooks) -> None:
    cli.params.append(click.Option(["--engine"], type=click.Choice(ENGINES), default=None, expose_value=False,
                                   callback=_engine_env, help="Search engine (default: $ARCHIVE_ENGINE or local)."))
    cli.params.append(click.Option(["--opensearch"], metavar="URL", default=None, expose_value=False,
                                   callback=_engine_env,
                                   help="The OpenSearch cluster of --engine opensearch (default: "
                                        "$ARCHIVE_OPENSEARCH_URL or http://127.0.0.1:9200)."))
    hooks.after_write.append(_after_write)
    hooks.checks.append(lambda store: open_maintenance(store).check())
    hooks.stats.append(lambda store: open_maintenance(store).stats())
    for command in (search, reindex, backup, export, trend):
        cli.add_command(command)


def _after_write(store: Store) -> list[str]:
    report = open_maintenance(store).sync()
    notes = [f"indexed {report.added} passages in {report.seconds:.1f} s"] if report.added else []
    if report.refreshed:
        notes.append(f"indexed {report.refreshed} earlier passages again: their reuse counts or their reports' "
                     "values changed")
    return notes


def _caught_up(store: Store) -> None:
    for note in open_maintenance(store).catch_up().notes():
        click.echo(note, err=True)


def filter_options(f):
    f = click.option("--section", "sections", multiple=True, type=click.Choice(list(SECTION_TYPES)),
                     help="Section type (repeatable).")(f)
    f = click.option("--year", "years", multiple=True, metavar="YEAR", help="Year, or 'unknown' (repeatable).")(f)
    f = click.option("--kind", "kinds", multiple=True, type=click.Choice(list(KINDS)),
                     help="Kind of report (repeatable).")(f)
    f = click.option("--role", "roles", multiple=True, metavar="ROLE", help="Author's post, e.g. 县委书记 (repeatable).")(f)
    f = click.option("--level", "levels", multiple=True, type=click.Choice(list(LEVELS)),
                     help="Author's level or sector (repeatable).")(f)
    f = click.option("--region", "regions", multiple=True, metavar="PROVINCE", help="Province, e.g. 浙江 (repeatable).")(f)
    return f


@click.command()
@click.argument("query")
@filter_options
@click.option("--limit", type=click.IntRange(0, MAX_LIMIT), default=10, show_default=True)
@click.option("--offset", type=click.IntRange(0, MAX_OFFSET), default=0, show_default=True)
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True,
              help="Order: relevance, year (oldest first) or -year (newest first).")
@click.option("--after", metavar="CURSOR", default=None, help="Continue past a page: the 'next' of its --json.")
@click.option("--group", type=click.Choice(GROUPS), default="passage", show_default=True,
              help="Hits as passages, or as reports with their best passages (--json).")
@click.option("--json", "as_json", is_flag=True, help="Print the search object as JSON.")
@click.option("--base-url", default=DEFAULT_BASE, show_default=True, help="Host for passage permalinks.")
@click.pass_context
def search(ctx, query, limit, offset, sort, after, group, as_json, base_url, **filters):
    """Search passages: words, "exact phrases", OR, -exclusions, (groups)."""
    with opened_store(ctx) as store:
        _caught_up(store)
        with open_backend(store) as backend:
            result = backend.search(query, offset=offset, limit=limit, sort=sort, after=after, group=group, **filters)
    urls = Urls(base_url)
    if as_json:
        echo_json(result_json(result, urls))
        return
    click.echo(f"{result.total} passages in {result.total_reports} reports ({result.took_ms:.1f} ms)")
    for n, hit in enumerate(result.hits, start=offset + 1):
        label = SECTION_TYPES.get(hit.section_type, hit.section_type)
        click.echo()
        click.secho(f"{n}. {hit.title}", bold=True, nl=False)
        place = f"仅见于副本 {hit.copy_id} · 副本第{hit.passage_no}段" if hit.copy_id else f"第{hit.passage_no}段"
        click.echo(f"  {hit.year or '年份不详'} · {hit.kind} · {label} · {place}")
        if hit.section_heading:
            click.echo(f"   {hit.section_heading}")
        click.echo("   " + terminal_snippet(hit))
        click.echo(f"   {urls.passage(hit.report_id, hit.passage_no, hit.copy_id)}")
    if result.total:
        click.echo()
        for facet, counts in result.facets.items():
            shown = ", ".join(f"{SECTION_TYPES.get(k, k)} {v}" for k, v in counts.items())
            click.echo(f"{facet}: {shown}")
    if result.next:
        click.echo(f"\nmore: --after {result.next}")


def terminal_snippet(hit: Hit) -> str:
    """The hit's window of text with its matches in colour (plain when the output is not a terminal)."""
    start, end = hit.snippet
    out, pos = ["…" if start else ""], start
    for s, e in hit.marks:
        s, e = max(s, start), min(e, end)
        if e <= s:
            continue
        out += [hit.text[pos:s], click.style(hit.text[s:e], fg="red", bold=True)]
        pos = e
    out += [hit.text[pos:end], "…" if end < len(hit.text) else ""]
    return "".join(out)


@click.command()
@click.pass_context
def reindex(ctx):
    """Rebuild the derived data from the SQLite archive: the passages' reuse, then the search index."""
    with opened_store(ctx) as store:
        with store.writer_lock(wait=3600):
            copies = copytext.sync(store, again=True)  # copies unread before, and archives from before copy text
            found = reused.rebuild(store)
            report = open_maintenance(store).rebuild()
    if copies.passages:
        click.echo(f"found {copies.passages} paragraphs only in near copies")
    click.echo(f"found {found.matches} passages shared between reports in {found.seconds:.1f} s")
    click.echo(f"indexed {report.added} passages in {report.seconds:.1f} s")


@click.command()
@click.argument("dest", type=click.Path(file_okay=False))
@click.pass_context
def backup(ctx, dest):
    """Copy the archive (database, sources, index) to DEST consistently, even while it is served."""
    with opened_store(ctx) as store:
        with store.writer_lock(wait=3600, on_wait=lambda: click.echo("waiting for an import to finish…", err=True)):
            index = open_maintenance(store)
            index.sync()
            store.backup_to(dest)
            if index.files().exists():
                shutil.copytree(index.files(), Path(dest) / index.files().name, dirs_exist_ok=True)
    with Store(dest) as copy:
        problems = copy.integrity() + open_maintenance(copy).check()
    if problems:
        raise click.ClickException("the copy failed its check: " + "; ".join(problems[:5]))
    click.echo(f"backed up to {dest} (checked: consistent)")


@click.command()
@click.argument("query")
@filter_options
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="jsonl", show_default=True)
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--base-url", default=DEFAULT_BASE, show_default=True, help="Host for passage permalinks.")
@click.pass_context
def export(ctx, query, fmt, sort, base_url, **filters):
    """Every passage matching QUERY, best first, as CSV (UTF-8 with BOM, for Excel) or JSON lines:
    the same bytes as the web's /api/export."""
    with opened_store(ctx) as store:
        _caught_up(store)
        with open_backend(store) as backend:
            ids = backend.ids(query, sort=sort, **filters)
            out = sys.stdout.buffer  # bytes: the CSV's BOM and line ends exactly as the web serves them
            for piece in export_text(export_rows(store, ids, Urls(base_url)), fmt):
                out.write(piece.encode("utf-8"))
            out.flush()


@click.command()
@click.argument("queries", nargs=-1, required=True, metavar="QUERY...")
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the trend object as JSON.")
@click.pass_context
def trend(ctx, queries, as_json, **filters):
    """Up to five queries counted per year: passages, reports and passages per 10,000 characters of that
    year's text."""
    with opened_store(ctx) as store:
        _caught_up(store)
        with open_backend(store) as backend:
            result = backend.trend(list(queries), **filters)
    if as_json:
        echo_json(trend_json(result))
        return
    width = max([len(s.query) for s in result.series] + [4])
    click.echo("year  " + "  ".join(f"{s.query:>{width}}" for s in result.series) + "   chars")
    for i, year in enumerate(result.years):
        cells = "  ".join(f"{s.passages[i]:>{width // 2}} ({s.per_10k_chars[i]:5.2f})" for s in result.series)
        click.echo(f"{year}  {cells}   {result.corpus_chars[i]:,}")
    click.echo("(passages, and in brackets passages per 10,000 characters of the year's text)")
