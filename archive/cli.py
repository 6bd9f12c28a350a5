"""The core commands of ``archive`` (import, show, stats, check), the root group they hang on, and
the pieces every layer's commands share.

Each layer registers its commands with ``register(cli, hooks)``; one root
(``webui.cli``) calls them in order, so no module adds to the CLI by being
imported. Upper layers plug into the core commands through ``Hooks`` (keep
the index in step after an import, add to ``check`` and ``stats``), which is
how this module stays ignorant of them. Exit codes: 0 success, 1 some input
failed, 2 usage error.
"""

from __future__ import annotations

import json
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import click

from . import copytext, reused
from .authorship import LEVELS, REGIONS, ROLES
from .errors import ArchiveError, UsageProblem
from .importer import Importer, walk
from .model import KINDS, SECTION_TYPES
from .proc import default_workers
from .reclassify import reclassify
from .store import Store, data_dir, open_store


@dataclass
class Hooks:
    """What upper layers plug in: keep the index in step, check it, describe it."""

    after_write: list[Callable[[Store], list[str]]] = field(default_factory=list)
    checks: list[Callable[[Store], list[str]]] = field(default_factory=list)
    stats: list[Callable[[Store], dict]] = field(default_factory=list)


@dataclass(frozen=True)
class Env:
    """What the root group hands every command: the data directory and the hooks."""

    data: Path
    hooks: Hooks


def root(hooks: Hooks) -> click.Group:
    """The ``archive`` group, empty: each layer's ``register`` adds its commands."""

    @click.group(context_settings={"help_option_names": ["-h", "--help"]})
    @click.option("--data", "data", metavar="DIR", default=None,
                  help="Data directory (default: $ARCHIVE_DATA or ./data).")
    @click.version_option(package_name="shuzhi-archive", prog_name="archive")
    @click.pass_context
    def cli(ctx: click.Context, data: str | None) -> None:
        """述职报告档案: import, search and cite Chinese official work reports."""
        ctx.obj = Env(data_dir(data), hooks)

    return cli


def register(cli: click.Group, hooks: Hooks) -> None:
    for command in (import_cmd, show, stats, check, set_cmd, reuse, reclassify_cmd):
        cli.add_command(command)


def echo_json(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2))


@contextmanager
def opened_store(ctx: click.Context, *, readonly: bool = False) -> Iterator[Store]:
    """The archive of ``--data``, closed after the block; archive errors become the CLI's exit codes:
    a usage problem (a bad query or filter) exits 2, anything else 1, each with its message."""
    try:
        store = open_store(ctx.obj.data, readonly=readonly)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        with store:
            yield store
    except UsageProblem as exc:
        raise click.UsageError(str(exc)) from exc
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("import")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Processes for decoding and parsing (default: the number of cores, at most 4).")
@click.option("--wait", type=click.FloatRange(0), default=3600.0, show_default=True,
              help="Seconds to wait for another import on the same data directory.")
@click.option("--verbose", "-v", is_flag=True, help="List every report added (path, id, title).")
@click.pass_context
def import_cmd(ctx, paths, as_json, workers, wait, verbose):
    """Import text files and folders (recursive; .txt and .md)."""
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        raise click.UsageError("no such file or folder: " + ", ".join(missing))
    workers = workers or default_workers()
    started = time.monotonic()
    notes: list[str] = []
    with opened_store(ctx) as store:
        waiting = lambda: click.echo(f"another import is writing to {store.root}; waiting…", err=True)  # noqa: E731
        with store.writer_lock(wait=wait, on_wait=waiting):
            progress = None if as_json else ("bar" if sys.stderr.isatty() else "lines")
            summary = _run_import(store, paths, workers, progress=progress)
            if progress == "lines" and summary.added:
                click.echo(f"importing: read {_read(summary)} files; finding reused passages and indexing…", err=True)
            copies = copytext.sync(store)
            only_here = copies.passages + sum(d.get("paragraphs_only_here", 0) for d in summary.duplicates)
            if only_here:
                notes.append(f"found {only_here} paragraphs only in near copies (searchable, marked as such)")
            notes += [f"could not read a near copy again to index what only it holds (archive reindex tries again): {u}"
                      for u in copies.unreadable]
            found = reused.sync(store)
            if found.matches:
                notes.append(f"found {found.matches} passages shared between reports in {found.seconds:.1f} s")
            for hook in ctx.obj.hooks.after_write:
                notes += hook(store)
    elapsed = time.monotonic() - started
    if as_json:
        echo_json(summary.as_json())
    else:
        if verbose:
            for a in summary.added:
                click.echo(f"added {a['report_id']}: {a['title']} — {a['path']}")
        _print_summary(summary, elapsed, notes)
    if summary.failed:
        ctx.exit(1)


#: Seconds between progress lines when the output is not a terminal (a log, a CI job, a pipe).
PROGRESS_EVERY = 10.0


def _read(summary) -> int:
    return len(summary.added) + len(summary.duplicates) + len(summary.failed) + len(summary.skipped) + \
        len(summary.unchanged)


def _run_import(store: Store, paths, workers: int, *, progress: str | None):
    """``progress``: "bar" on a terminal, "lines" (one now and then, on stderr) elsewhere, None for --json."""
    importer = Importer(store)
    if progress is None:
        return importer.run(paths, workers=workers)
    if progress == "lines":  # no terminal to redraw: a plain line now and then, so a long import is not silent
        started = last = time.monotonic()
        done = 0

        def tick(_path: str) -> None:
            nonlocal done, last
            done += 1
            now = time.monotonic()
            if now - last >= PROGRESS_EVERY:
                last = now
                click.echo(f"importing: {done} files read in {now - started:.0f} s", err=True)

        return importer.run(paths, workers=workers, progress=tick)
    total = sum(1 for _ in walk(paths))
    with click.progressbar(length=total, label="importing", file=sys.stderr) as bar:
        return importer.run(paths, workers=workers, progress=lambda _p: bar.update(1))


def _print_summary(summary, elapsed: float, notes: list[str]) -> None:
    exact = sum(d["kind"] == "exact" for d in summary.duplicates)
    for d in summary.duplicates:
        click.echo(f"duplicate ({d['kind']}, {d['similarity']:.2f}) of {d['of']}: {d['path']}")
    for s in summary.skipped:
        click.echo(f"skipped: {s['path']} — {s['reason']}")
    for f in summary.failed:
        click.echo(click.style("failed: ", fg="red") + f"{f['path']} — {f['error']}", err=True)
    for note in notes:
        click.echo(note)
    click.echo(
        f"added {len(summary.added)} reports, {len(summary.duplicates)} duplicates "
        f"({exact} exact, {len(summary.duplicates) - exact} near), {len(summary.failed)} failed, "
        f"{len(summary.skipped)} skipped, {len(summary.unchanged)} unchanged in {elapsed:.1f} s"
    )


@click.command()
@click.argument("report_id")
@click.option("--json", "as_json", is_flag=True, help="Print the report object as JSON.")
@click.pass_context
def show(ctx, report_id, as_json):
    """Show one report: metadata, copies, outline and passages."""
    with opened_store(ctx, readonly=True) as store:
        obj = store.report(report_id)
    if as_json:
        echo_json(obj)
        return
    click.secho(obj["title"], bold=True)
    click.echo(f"{obj['report_id']} · {obj['year'] or '年份不详'} · {obj['kind']} · {obj['chars']} 字")
    for c in obj["copies"]:
        click.echo(f"  copy {c['copy_id']} ({c['relation']}, {c['encoding']}): {c['path']}")
    for p in obj["passages"]:
        label = SECTION_TYPES.get(p["section_type"], p["section_type"])
        text = click.style(p["text"], bold=True) if p["is_heading"] else p["text"]
        click.echo(f"[{p['passage_no']}] ({label}) {text}")


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def stats(ctx, as_json):
    """Counts: reports, copies (exact/near), sections, passages, sizes."""
    with opened_store(ctx, readonly=True) as store:
        out = store.stats()
        for hook in ctx.obj.hooks.stats:
            out.update(hook(store))
    if as_json:
        echo_json(out)
    else:
        for k, v in out.items():
            click.echo(f"{k:>14}: {v}")


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def check(ctx, as_json):
    """Verify the archive (SQLite integrity, source bytes) and the index; exit 1 on any problem."""
    with opened_store(ctx, readonly=True) as store:
        problems = store.integrity()
        for hook in ctx.obj.hooks.checks:
            problems += hook(store)
    if as_json:
        echo_json({"ok": not problems, "problems": problems})
    else:
        for p in problems:
            click.echo(f"problem: {p}")
        click.echo("archive and index are consistent" if not problems else f"{len(problems)} problem(s) found")
    if problems:
        ctx.exit(1)


def _year(value: str | None) -> int | None | str:
    if value is None:
        return "unchanged"
    if value.lower() in ("none", "unknown", ""):
        return None
    if not (value.isdigit() and 1900 <= int(value) <= 2100):
        raise click.BadParameter("a year such as 2023, or none", param_hint="--year")
    return int(value)


def _after_write(ctx: click.Context, store: Store) -> None:
    """After a change in place: the upper layers' hooks (an index that copies report values catches up)."""
    for hook in ctx.obj.hooks.after_write:
        for note in hook(store):
            click.echo(note, err=True)


@click.command("set")
@click.argument("report_id")
@click.option("--title", default=None, help="The report's title.")
@click.option("--year", default=None, metavar="YEAR|none", help="The report's year, or none when it is not known.")
@click.option("--kind", type=click.Choice(list(KINDS)), default=None, help="The kind of report.")
@click.option("--role", default=None, metavar="ROLE|none", help="The author's post (职务), e.g. 县委书记.")
@click.option("--level", default=None, metavar="LEVEL|none", help=f"The author's level: {', '.join(LEVELS)}.")
@click.option("--region", default=None, metavar="PROVINCE|none", help="The author's province, e.g. 浙江.")
@click.option("--json", "as_json", is_flag=True, help="Print the corrected report's fields as JSON.")
@click.pass_context
def set_cmd(ctx, report_id, title, year, kind, role, level, region, as_json):
    """Correct a report's title, year, kind, or who wrote it (kept across re-import, reindex and reclassify)."""
    values: dict = {}
    if title is not None:
        if not title.strip() or len(title) > 200:
            raise click.BadParameter("a title of 1 to 200 characters", param_hint="--title")
        values["title"] = " ".join(title.split())
    if (parsed := _year(year)) != "unchanged":
        values["year"] = parsed
    if kind is not None:
        values["kind"] = kind
    for name, value, vocabulary in (("role", role, ROLES), ("level", level, LEVELS), ("region", region, REGIONS)):
        if value is not None:
            if value.lower() in ("none", ""):
                values[name] = None
            elif value not in vocabulary:
                raise click.BadParameter(f"one of {'、'.join(vocabulary)}, or none", param_hint=f"--{name}")
            else:
                values[name] = value
    if not values:
        raise click.UsageError("give at least one of --title, --year, --kind, --role, --level, --region")
    with opened_store(ctx) as store:
        with store.writer_lock(wait=60):
            row = store.correct(report_id, values)
            provenance = store.provenance(report_id)
            _after_write(ctx, store)
    if as_json:
        echo_json({"report_id": report_id, "title": row["title"], "year": row["year"], "kind": row["kind"],
                   "provenance": provenance})
        return
    for name in values:
        click.echo(f"{name}: {row[name] if row[name] is not None else 'none'} "
                   f"(was {provenance[name]['derived'] or 'none'} from the text)")


@click.command()
@click.argument("report_id")
@click.option("--json", "as_json", is_flag=True, help="Print the 查重 report as JSON.")
@click.pass_context
def reuse(ctx, report_id, as_json):
    """Which passages of a report other reports hold too (查重): the share of its text, each passage's sources."""
    with opened_store(ctx, readonly=True) as store:
        out = reused.detail(store, report_id)
    if as_json:
        echo_json(out)
        return
    click.secho(out["title"], bold=True)
    click.echo(f"{out['reuse_ratio']:.1%} of the text is found in other reports "
               f"({len(out['shared'])} passages)")
    for s in out["shared"]:
        click.echo()
        click.echo(f"[{s['passage_no']}] {s['text'][:80]}{'…' if len(s['text']) > 80 else ''}")
        for a in s["also_in"]:
            click.echo(f"    {a['year'] or '年份不详'} {a['title']} [{a['passage_no']}] ({a['similarity']:.0%})")


@click.command("reclassify")
@click.option("--dry-run", is_flag=True, help="Say what would change without changing it.")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
@click.pass_context
def reclassify_cmd(ctx, dry_run, as_json):
    """Re-read stored reports with today's rules: section types, headings, title, year and kind
    (corrections and manifest values are kept; passage numbers do not change)."""
    with opened_store(ctx) as store:
        with store.writer_lock(wait=3600):
            changes = reclassify(store, dry_run=dry_run)
            if changes and not dry_run:
                _after_write(ctx, store)
    if as_json:
        echo_json({"dry_run": dry_run, "changes": [c.as_json() for c in changes]})
        return
    for c in changes:
        what = [f"{k}: {a} → {b}" for k, (a, b) in c.fields.items()]
        if c.passages:
            what.append(f"{c.passages} passages retyped")
        if c.skipped:
            what.append(f"left as it is: {c.skipped}")
        click.echo(f"{c.report_id} {c.title[:40]}: " + "; ".join(what))
    done = sum(1 for c in changes if not c.skipped)
    click.echo(f"{'would change' if dry_run else 'changed'} {done} reports"
               + (f", left {len(changes) - done} as they are" if len(changes) > done else ""))
