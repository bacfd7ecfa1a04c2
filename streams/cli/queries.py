"""Commands that ask the store and topics: scores, report, model, inspect, erase, schema."""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from streams.cli.common import console, load_settings, parse_time, service_errors


@click.command()
@click.option("--as-of", "as_of", help="ISO time to score at (default: the last event time).")
@click.option("--out", type=click.Path(dir_okay=False), help="CSV file (default: stdout).")
@click.option(
    "--stage",
    type=click.Choice(["new", "active", "at_risk", "lapsed", "reactivated"]),
    help="Only customers in this lifecycle stage; 'lapsed' is the win-back list: customers "
    "silent longer than the horizon, whom real-time alerts no longer cover.",
)
@click.option(
    "--deferred",
    is_flag=True,
    help="List the alert candidates a daily capacity (CHURNWATCH_ALERT_DAILY_CAPACITY) has "
    "deferred, in the order they would be chosen, instead of scores.",
)
def scores(as_of: str | None, out: str | None, stage: str | None, deferred: bool) -> None:
    """Score every customer as of a moment, as CSV (riskiest value first with --stage)."""
    from streams.pipeline.scoring import scores_csv
    from streams.storage.reader import StoreReader
    from streams.storage.scores import deferred_csv, in_stage

    with service_errors(), StoreReader(load_settings()) as store:
        if deferred:
            _write_or_echo(deferred_csv(store.held_back()), out)
            return
        _, rows = store.scores(parse_time(as_of))
    if stage:
        rows = in_stage(rows, stage)
    _write_or_echo(scores_csv(rows), out)


def _write_or_echo(text: str, out: str | None) -> None:
    if out:
        Path(out).write_text(text)
        console.print(f"wrote {text.count(chr(10)) - 1} rows to {out}")
    else:
        click.echo(text, nl=False)


@click.command()
@click.option("--since", help="Only alerts raised at or after this ISO time (event time).")
@click.option(
    "--from",
    "alerts_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Alerts JSONL (as `demo --alerts-out` writes) instead of the alerts topic.",
)
@click.option(
    "--risk-from",
    "risk_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Risk updates JSONL (`demo --risk-out`), for churn of alerted vs not.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def report(
    since: str | None, alerts_file: str | None, risk_file: str | None, as_json: bool
) -> None:
    """Retention KPIs: alerts by tier, recapture rate, days to recovery, value recovered."""
    from streams.cli.presentation import report_table
    from streams.cli.reporting import build_report

    start = parse_time(since)
    with service_errors():
        kpis = build_report(
            load_settings, alerts_file, risk_file, start.timestamp() if start else None
        )
    if as_json:
        click.echo(orjson.dumps(kpis, option=orjson.OPT_INDENT_2).decode())
    else:
        console.print(report_table(kpis))


@click.command()
@click.option(
    "--out",
    default="schemas",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder to write <type>.schema.json files into.",
)
def schema(out: str) -> None:
    """Export the JSON Schemas of every event churnwatch publishes."""
    from alerts.schemas import json_schemas, write_schemas
    from streams.pipeline.dead_letters import DeadLetter

    for path in write_schemas(Path(out), json_schemas({"dead_letter": DeadLetter})):
        console.print(f"wrote {path}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def model(as_json: bool) -> None:
    """Show the online model: version, labels seen per class, progressive metrics."""
    from streams.storage.reader import StoreReader

    settings = load_settings()
    with service_errors(), StoreReader(settings) as store:
        snapshot = store.latest_snapshot()
    if snapshot is None:
        raise click.ClickException("no model snapshot yet: run a worker on some events first")
    summary = snapshot.summary()
    if as_json:
        click.echo(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
        return
    from streams.cli.presentation import model_table
    from streams.pipeline.periods import ModelPeriods

    console.print(model_table(summary, ModelPeriods(settings.model_update_days)))


@click.command()
@click.argument("customer_id")
def inspect(customer_id: str) -> None:
    """Show what the engine knows about one customer."""
    from streams.cli.inspection import describe_customer

    with service_errors():
        description = describe_customer(load_settings(), customer_id)
    if description is None:
        raise click.ClickException(f"no customer {customer_id!r} in the store")
    click.echo(orjson.dumps(description, option=orjson.OPT_INDENT_2).decode())


@click.command()
@click.argument("customer_id")
def erase(customer_id: str) -> None:
    """Forget a customer: state, schedule, unlearned examples; tombstone on customer-risk."""
    from streams.cli.erasure import erase_customer

    with service_errors():
        erasure = erase_customer(load_settings(), customer_id)
    if not erasure.state_deleted:
        console.print(f"no state was stored for {customer_id!r}; a tombstone was published anyway")
    console.print(
        f"erased {customer_id}: state {'deleted' if erasure.state_deleted else 'absent'}"
        f", {erasure.schedule_entries} schedule entries, "
        f"{erasure.labels_removed} unlearned examples; tombstone published"
    )


QUERIES = [scores, report, schema, model, inspect, erase]
