"""The ``archive`` entry point: the core and search commands, plus ``serve``."""

from __future__ import annotations

import os

import click

import index.cli  # noqa: F401  (registers search, reindex, export and the index hooks)
from archive.cli import cli, store_for
from archive.errors import ArchiveError, Busy
from index import indexer


def catch_up(ctx: click.Context) -> None:
    """Bring the index in step before serving (an interrupted import may have left it behind)."""
    if not (ctx.obj / "archive.db").exists():
        raise click.ClickException(f"no archive at {ctx.obj}: run 'archive --data {ctx.obj} import PATH' first")
    store = store_for(ctx)
    try:
        with store.writer_lock(wait=0):
            behind, report = indexer.repair(store)
            if behind:
                click.echo(f"indexed {report.added} passages the index was missing "
                           f"({report.seconds:.1f} s)", err=True)
            if report and report.workers_failed:
                click.echo(f"note: {report.workers_failed} (indexed in one process instead)", err=True)
    except Busy:
        click.echo("an import is running: it keeps the index in step itself", err=True)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=5000, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Requests served at once by each process.")
@click.option("--workers", type=click.IntRange(1, 32), default=None,
              help="Server processes sharing the port  [default: the number of cores, at most 4].")
@click.pass_context
def serve(ctx, host, port, threads, workers):
    """Serve the search pages and the JSON API (waitress; read-only)."""
    from webui import create_app, serving
    from webui.db import warm_up

    catch_up(ctx)
    try:
        sock = serving.bind(host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc

    def make_app():
        app = create_app({"DATA_DIR": str(ctx.obj)})
        warm_up(app)
        return app

    workers = workers or min(os.cpu_count() or 1, 4)
    ctx.exit(serving.run(make_app, sock, threads, workers, click.echo))


def main() -> None:
    cli(prog_name="archive")
