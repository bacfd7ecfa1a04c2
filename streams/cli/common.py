"""What every command shares: the console, settings, times, progress, service errors."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from datetime import datetime

import click
from pydantic import ValidationError
from pydantic_settings import SettingsError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from streams.settings import Settings

# piped to a file, rich would wrap tables at 80 columns; a file has no width to fit
console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)
COUNT = click.IntRange(min=1)  # customers, days: zero or fewer is a mistake, not an empty run


def load_settings() -> Settings:
    try:
        return Settings()
    except (ValidationError, SettingsError) as exc:
        raise click.ClickException(f"invalid CHURNWATCH_* settings:\n{exc}") from exc


def parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 time") from exc
    if moment.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no zone; add one, e.g. {value}+00:00")
    return moment


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@contextlib.contextmanager
def service_errors() -> Iterator[None]:
    """Turn unreachable or unconfigured services into one clear line instead of a traceback."""
    from kafka.errors import KafkaError

    from streams.clients.kafka_io import ReadStalled

    try:
        yield
    except ReadStalled as exc:
        raise click.ClickException(str(exc)) from exc
    except KafkaError as exc:
        raise click.ClickException(f"the Kafka broker refused or failed: {exc}") from exc
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    except (OSError, TimeoutError) as exc:
        raise click.ClickException(f"could not reach a service: {exc}") from exc
