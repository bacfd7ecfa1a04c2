"""Are the alerts worth a person's time? The engine's alerts against a naive rule, same data.

    python -m benchmarks.alerts [--customers N] [--days D] [--seed S] [--replicate K] [--json]

Two populations, each replayed whole through the real pipeline: a generated one (planted
churners: complaints and a slowing rhythm make customers leave) and the CDNOW sample
(``--replicate K`` for K times its customers). In the same run, a naive rule alerts once
per episode when silence passes twice the customer's own mean gap between purchase days
(60 days after a single purchase). Both are judged on the purchases that followed:

- alerts per customer;
- precision: no purchase within H after the alert (alerts less than H before the data ends
  cannot be judged and are left out);
- of the correct alerts, the share raised early (silent less than H days), and the median
  lead time (H minus the silence at the alert);
- the share of alerts about customers already silent longer than H;
- the value (spend so far) of churned customers alerted early.
"""

from __future__ import annotations

import bisect
import statistics
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from benchmarks.cdnow import as_events, cdnow_transactions, replicate
from benchmarks.cli import parser_of
from benchmarks.replay import event_seconds
from models.features import DAY
from streams.clients.kafka_io import route_lines
from streams.dev.demo import demo_settings
from streams.dev.runner import run_pipeline
from streams.dev.synthetic import generate_events
from streams.settings import Settings

NAIVE_GAPS = 2.0
NAIVE_ONE_PURCHASE_DAYS = 60.0


@dataclass(frozen=True)
class Purchases:
    """Every customer's purchase times and amounts, sorted, and when the data ends."""

    times: dict[str, list[float]]
    amounts: dict[str, list[float]]
    end: float

    @classmethod
    def of(cls, events: Sequence[dict[str, Any]]) -> Purchases:
        rows: dict[str, list[tuple[float, float]]] = defaultdict(list)
        customers = set()
        for event in events:
            customers.add(str(event["customer_id"]))
            if event["type"] == "purchase":
                rows[str(event["customer_id"])].append(
                    (event_seconds(event), float(event["amount"]))
                )
        ordered = {c: sorted(rows.get(c, [])) for c in customers}
        return cls(
            {c: [t for t, _ in r] for c, r in ordered.items()},
            {c: [a for _, a in r] for c, r in ordered.items()},
            max(event_seconds(e) for e in events),
        )

    def last_before(self, customer: str, at: float) -> float | None:
        times = self.times[customer]
        index = bisect.bisect_right(times, at)
        return times[index - 1] if index else None

    def bought_within(self, customer: str, at: float, days: float) -> bool:
        times = self.times[customer]
        index = bisect.bisect_right(times, at)
        return index < len(times) and times[index] <= at + days * DAY

    def spend_before(self, customer: str, at: float) -> float:
        index = bisect.bisect_right(self.times[customer], at)
        return sum(self.amounts[customer][:index])


def naive_alerts(purchases: Purchases) -> list[tuple[str, float]]:
    """Once per episode: when silence passes twice the mean gap between purchase days."""
    alerts = []
    for customer, times in purchases.times.items():
        days = sorted({t // DAY for t in times})
        for index, day in enumerate(days):
            gap = (day - days[0]) / index if index else NAIVE_ONE_PURCHASE_DAYS / NAIVE_GAPS
            at = (day + NAIVE_GAPS * max(gap, 1.0)) * DAY
            ends = days[index + 1] * DAY if index + 1 < len(days) else purchases.end
            if at < ends:
                alerts.append((customer, at))
    return alerts


def judge(alerts: list[tuple[str, float]], purchases: Purchases, horizon: float) -> dict[str, Any]:
    judged = [(c, t) for c, t in alerts if t + horizon * DAY <= purchases.end]
    correct = [(c, t) for c, t in judged if not purchases.bought_within(c, t, horizon)]
    silence = {(c, t): (t - (purchases.last_before(c, t) or t)) / DAY for c, t in alerts}
    early = [(c, t) for c, t in correct if silence[c, t] < horizon]
    saved = {c: purchases.spend_before(c, t) for c, t in early}
    return {
        "alerts": len(alerts),
        "alerts_per_customer": round(len(alerts) / len(purchases.times), 3),
        "customers_alerted": len({c for c, _ in alerts}),
        "precision": round(len(correct) / len(judged), 4) if judged else None,
        "correct_raised_early": round(len(early) / len(correct), 4) if correct else None,
        "median_lead_days": (
            round(statistics.median(horizon - silence[a] for a in early), 1) if early else None
        ),
        "about_silent_beyond_h": (
            round(sum(silence[a] >= horizon for a in alerts) / len(alerts), 4) if alerts else None
        ),
        "value_of_churned_alerted_early": round(sum(saved.values()), 2),
    }


def engine_alerts(settings: Settings, events: Sequence[dict[str, Any]]) -> list[tuple[str, float]]:
    with demo_settings(settings) as run_settings:
        from streams.topics import TopicNames

        lines = route_lines(
            (orjson.dumps(e) for e in events), TopicNames.from_settings(run_settings)
        )
        run = run_pipeline(run_settings, lines)
    return [
        (str(a["customer_id"]), event_seconds(a)) for a in run.alerts if a["type"] == "churn_alert"
    ]


def compare(name: str, settings: Settings, events: list[dict[str, Any]]) -> dict[str, Any]:
    purchases = Purchases.of(events)
    horizon = settings.horizon_days
    return {
        "population": name,
        "customers": len(purchases.times),
        "events": len(events),
        "engine": judge(engine_alerts(settings, events), purchases, horizon),
        "naive": judge(naive_alerts(purchases), purchases, horizon),
    }


def main(argv: list[str] | None = None) -> int:
    parser = parser_of(__doc__)
    parser.add_argument("--customers", type=int, default=2000, help="generated customers")
    parser.add_argument("--days", type=int, default=540, help="generated days")
    parser.add_argument("--seed", type=int, default=7, help="generator seed")
    parser.add_argument("--replicate", type=int, default=1, help="copies of CDNOW's customers")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    settings = Settings()
    rows = [
        compare(
            f"generated ({args.customers} customers, {args.days} days)",
            settings,
            list(generate_events(args.customers, args.days, args.seed)),
        ),
        compare(
            f"CDNOW sample x{args.replicate}, whole history",
            settings,
            as_events(replicate(cdnow_transactions(), args.replicate)),
        ),
    ]
    if args.json:
        print(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return 0
    console = Console(width=160)
    for row in rows:
        table = Table(
            title=f"{row['population']}: {row['customers']} customers, H = "
            f"{settings.horizon_days} days"
        )
        table.add_column("figure")
        table.add_column("engine")
        table.add_column("naive rule")
        for figure in row["engine"]:
            table.add_row(figure, str(row["engine"][figure]), str(row["naive"][figure]))
        console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
