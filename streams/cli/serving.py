"""`churnwatch console`: the retention team's web console."""

from __future__ import annotations

import contextlib
import shlex

import click

from streams.cli.common import console, load_settings, service_errors
from streams.settings import Settings

HOST = click.option(
    "--host", help="Address to listen on [default: CHURNWATCH_CONSOLE_HOST, else 127.0.0.1]."
)
PORT = click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="Port to listen on, 0 for any free one [default: CHURNWATCH_CONSOLE_PORT, else 8050].",
)


def with_bind(settings: Settings, host: str | None, port: int | None) -> Settings:
    chosen = {"console_host": host, "console_port": port}
    return settings.model_copy(update={k: v for k, v in chosen.items() if v is not None})


# what locates a run's data: with these exported, every other command reads the demo's run
LOCATING = ("kafka_url", "redis_url", "redis_cluster", "topic_prefix", "redis_namespace")


def exports(settings: Settings) -> list[str]:
    """``export`` lines that point the CLI at the data of ``settings``.

    >>> for line in exports(Settings(kafka_url="kafka://h:1", redis_url="redis://h:2/0",
    ...         topic_prefix="demo-1.", redis_namespace="churnwatch:demo-1")):
    ...     print(line)
    export CHURNWATCH_KAFKA_URL=kafka://h:1
    export CHURNWATCH_REDIS_URL=redis://h:2/0
    export CHURNWATCH_TOPIC_PREFIX=demo-1.
    export CHURNWATCH_REDIS_NAMESPACE=churnwatch:demo-1
    """
    environment = settings.as_environment()
    chosen = [f"CHURNWATCH_{name.upper()}" for name in LOCATING]
    return [
        f"export {name}={shlex.quote(environment[name])}"
        for name in chosen
        if name in environment and (name != "CHURNWATCH_REDIS_CLUSTER" or settings.redis_cluster)
    ]


def serve_demo(settings: Settings) -> None:
    """Serve the console on a demo's run, first printing what points the CLI at it."""
    console.print(
        "to read this run with the other commands while the console is up, in another shell:"
    )
    for line in exports(settings):
        click.echo(line)
    serve(settings)


def serve(settings: Settings) -> None:
    """Serve the console on ``settings`` until Ctrl-C, with one line saying where."""
    from streams.console.server import OpenBindRefused, serve_console

    def announce(url: str) -> None:
        guarded = " (token required)" if settings.console_token else ""
        console.print(f"retention console: [bold]{url}[/bold]{guarded}  (Ctrl-C stops it)")

    # uvicorn stops on SIGINT or SIGTERM, then raises the signal again: `main` makes both an
    # interrupt, which ends here, so `demo --console` goes on to stop the services it started
    try:
        with contextlib.suppress(KeyboardInterrupt):
            serve_console(settings, on_ready=announce)
    except OpenBindRefused as exc:
        raise click.ClickException(str(exc)) from exc
    console.print("retention console stopped")


@click.command(name="console")
@HOST
@PORT
def console_command(host: str | None, port: int | None) -> None:
    """Serve the retention console: the live alert queue, customer pages, KPIs, model health
    and the win-back list, read from the topics, Redis and the model snapshots.

    It listens on loopback by default; anywhere else it needs CHURNWATCH_CONSOLE_TOKEN. The
    team's marks on alerts (contacted, dismissed) are the only thing it writes, to Redis.
    """
    settings = with_bind(load_settings(), host, port)
    for needed, name in ((settings.kafka_url, "KAFKA"), (settings.redis_url, "REDIS")):
        if not needed:
            raise click.ClickException(
                f"CHURNWATCH_{name}_URL is not set: point it at the engine's services, or run "
                "`churnwatch demo --console` to see the console on a demo"
            )
    with service_errors():
        serve(settings)
