"""The ``archive`` entry point: the one root that assembles every layer's commands, plus ``serve``."""

from __future__ import annotations

import re

import click

import index.cli  # the composition root names each layer's register(); nothing else of index.cli is used here
from archive import cli as archive_cli
from archive.cli import Hooks, opened_store
from archive.proc import default_workers
from index.api import open_maintenance


def register(cli: click.Group, hooks: Hooks) -> None:
    cli.add_command(serve)


def build() -> click.Group:
    """The whole command set, layer by layer (core, search, web)."""
    hooks = Hooks()
    cli = archive_cli.root(hooks)
    archive_cli.register(cli, hooks)
    index.cli.register(cli, hooks)
    register(cli, hooks)
    return cli


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=5000, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Requests served at once by each process.")
@click.option("--workers", type=click.IntRange(1, 32), default=None,
              help="Server processes sharing the port  [default: the number of cores, at most 4].")
@click.option("--public-url", metavar="URL", default=None,
              help="The address readers reach the server at (behind a proxy): permalinks and citations use it.")
@click.pass_context
def serve(ctx, host, port, threads, workers, public_url):
    """Serve the search pages and the JSON API (waitress; read-only)."""
    from webui import create_app, serving
    from webui.db import warm_up

    data = ctx.obj.data
    if public_url and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", public_url):
        raise click.BadParameter("give an http(s) address such as https://archive.example.org", param_hint="--public-url")
    if not (data / "archive.db").exists():
        raise click.ClickException(f"no archive at {data}: run 'archive --data {data} import PATH' first")
    with opened_store(ctx) as store:  # an interrupted import may have left the index behind
        done = open_maintenance(store).catch_up()
    if done.error:
        raise click.ClickException(done.error)
    for note in done.notes():
        click.echo(note, err=True)
    try:
        sock = serving.bind(host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc

    def make_app():
        app = create_app({"DATA_DIR": str(data), "PUBLIC_URL": public_url})
        warm_up(app)
        return app

    ctx.exit(serving.run(make_app, sock, threads, workers or default_workers(), click.echo))


cli = build()


def main() -> None:
    cli(prog_name="archive")
