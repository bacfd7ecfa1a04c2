"""Are the alerts worth a person's time, and does the risk they state mean what it says?

    python -m benchmarks.alerts [--populations cdnow,demo,frequent] [--replicate K] [--json]

Each population is replayed whole, from its first day, through the engine in this process
(the in-process driver, byte-identical to a broker run); ``--replicate K`` gives each K times
its customers (CDNOW: fresh ids for copies of its customers; generated shops: K times as many
customers of the same kind):

- ``cdnow``: the CDNOW sample (sparse buyers who all arrive in the first quarter), H = 90;
- ``demo``: the demo's generated shop (400 customers over 400 days, planted churners), H = 90;
- ``frequent``: a generated shop of frequent shoppers (a purchase every few days, few leave:
  ``streams.dev.synthetic.FREQUENT``; 1,000 customers over 400 days), H = 30.

In the same run, a naive silence rule alerts once per episode when silence passes twice the
customer's own mean gap between purchase days (60 days after a single purchase). Both are
judged on the purchases that followed: an alert is right when the customer bought nothing
within H after it (alerts less than H before the data ends are not judged). Figures:

- alerts per customer; precision; of the right alerts, the share raised early (silent less
  than H) and the median lead (H minus the silence at the alert); the share about customers
  already silent longer than H; the spend so far of churners alerted early;
- ``first_alert_day``: days from the first event to the first alert;
- ``early`` and ``later``: alerts per 100 customers per 30 days, and precision, in the first
  2H days and after them;
- ``quiet_windows``: 30-day windows (one starting each day, after the first H days) in which
  the engine raised no alert while the silence rule raised 20 or more;
- for the engine only, ``calibration``: the risk alerts state against the share that churned,
  by tier and by deciles of stated risk, and ``ece``, the calibration error over the deciles.
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
from models.reliability import expected_calibration_error, reliability
from streams.dev.inprocess import replay_events
from streams.dev.synthetic import FREQUENT, Shop, generate_events
from streams.settings import Settings

NAIVE_GAPS = 2.0
NAIVE_ONE_PURCHASE_DAYS = 60.0
WINDOW_DAYS = 30
QUIET_NAIVE = 20  # naive alerts in a window that make an engine without one "quiet"
POPULATIONS = ("cdnow", "demo", "frequent")


@dataclass(frozen=True)
class Alert:
    customer: str
    at: float
    risk: float | None = None
    tier: str | None = None


@dataclass(frozen=True)
class Purchases:
    """Every customer's purchase times and amounts, sorted, and when the data starts and ends."""

    times: dict[str, list[float]]
    amounts: dict[str, list[float]]
    start: float
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
        moments = [event_seconds(e) for e in events]
        return cls(
            {c: [t for t, _ in r] for c, r in ordered.items()},
            {c: [a for _, a in r] for c, r in ordered.items()},
            min(moments),
            max(moments),
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


def naive_alerts(purchases: Purchases) -> list[Alert]:
    """Once per episode: when silence passes twice the mean gap between purchase days."""
    alerts = []
    for customer, times in purchases.times.items():
        days = sorted({t // DAY for t in times})
        for index, day in enumerate(days):
            gap = (day - days[0]) / index if index else NAIVE_ONE_PURCHASE_DAYS / NAIVE_GAPS
            at = (day + NAIVE_GAPS * max(gap, 1.0)) * DAY
            ends = days[index + 1] * DAY if index + 1 < len(days) else purchases.end
            if at < ends:
                alerts.append(Alert(customer, at))
    return sorted(alerts, key=lambda a: (a.at, a.customer))


def judge(alerts: list[Alert], purchases: Purchases, horizon: float) -> dict[str, Any]:
    judged = _judged(alerts, purchases, horizon)
    correct = [a for a in judged if not purchases.bought_within(a.customer, a.at, horizon)]
    silence = {a: (a.at - (purchases.last_before(a.customer, a.at) or a.at)) / DAY for a in alerts}
    early = [a for a in correct if silence[a] < horizon]
    saved = {a.customer: purchases.spend_before(a.customer, a.at) for a in early}
    customers = len(purchases.times)
    return {
        "alerts": len(alerts),
        "alerts_per_customer": round(len(alerts) / customers, 3),
        "customers_alerted": len({a.customer for a in alerts}),
        "precision": _share(len(correct), len(judged)),
        "correct_raised_early": _share(len(early), len(correct)),
        "median_lead_days": (
            round(statistics.median(horizon - silence[a] for a in early), 1) if early else None
        ),
        "about_silent_beyond_h": _share(sum(silence[a] >= horizon for a in alerts), len(alerts)),
        "value_of_churned_alerted_early": round(sum(saved.values()), 2),
        "first_alert_day": (round((alerts[0].at - purchases.start) / DAY, 1) if alerts else None),
        "early": _phase(alerts, purchases, horizon, purchases.start, 2 * horizon),
        "later": _phase(alerts, purchases, horizon, purchases.start + 2 * horizon * DAY, None),
    }


def _judged(alerts: Sequence[Alert], purchases: Purchases, horizon: float) -> list[Alert]:
    return [a for a in alerts if a.at + horizon * DAY <= purchases.end]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _phase(
    alerts: Sequence[Alert],
    purchases: Purchases,
    horizon: float,
    since: float,
    days: float | None,
) -> dict[str, Any]:
    """Alerts per 100 customers per 30 days, and precision, of alerts raised in a phase."""
    until = purchases.end if days is None else min(since + days * DAY, purchases.end)
    chosen = [a for a in alerts if since <= a.at < until]
    judged = _judged(chosen, purchases, horizon)
    right = sum(not purchases.bought_within(a.customer, a.at, horizon) for a in judged)
    months = max(until - since, DAY) / (WINDOW_DAYS * DAY)
    return {
        "alerts": len(chosen),
        "per_100_customers_per_30_days": round(
            100 * len(chosen) / len(purchases.times) / months, 2
        ),
        "precision": _share(right, len(judged)),
    }


def quiet_windows(
    engine: Sequence[Alert], naive: Sequence[Alert], purchases: Purchases, horizon: float
) -> dict[str, Any]:
    """30-day windows after the first H days with no engine alert and 20+ naive ones."""
    first_day = int((purchases.start + horizon * DAY) // DAY)
    last_day = int(purchases.end // DAY) - WINDOW_DAYS
    engine_days = sorted(a.at // DAY for a in engine)
    naive_days = sorted(a.at // DAY for a in naive)
    quiet = []
    for day in range(first_day, last_day + 1):
        if _count(engine_days, day) == 0 and _count(naive_days, day) >= QUIET_NAIVE:
            quiet.append(day)
    return {
        "windows": len(quiet),
        "first": _date(quiet[0] * DAY) if quiet else None,
        "last": _date(quiet[-1] * DAY) if quiet else None,
    }


def _count(days: list[float], start: int) -> int:
    return bisect.bisect_left(days, start + WINDOW_DAYS) - bisect.bisect_left(days, start)


def _date(at: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(at, UTC).date().isoformat()


def calibration(alerts: Sequence[Alert], purchases: Purchases, horizon: float) -> dict[str, Any]:
    """The engine's stated risk against the share of its judged alerts whose customer churned."""
    judged = _judged(alerts, purchases, horizon)
    churned = [not purchases.bought_within(a.customer, a.at, horizon) for a in judged]
    risks = [float(a.risk or 0.0) for a in judged]
    by_tier: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for alert, outcome in zip(judged, churned, strict=True):
        by_tier[str(alert.tier)].append((float(alert.risk or 0.0), outcome))
    deciles = reliability(risks, churned) if judged else []
    return {
        "judged": len(judged),
        "ece": round(expected_calibration_error(deciles), 4) if deciles else None,
        "by_tier": {
            tier: {
                "alerts": len(rows),
                "stated": round(statistics.fmean(r for r, _ in rows), 3),
                "churned": round(statistics.fmean(c for _, c in rows), 3),
            }
            for tier, rows in sorted(by_tier.items())
        },
        "deciles": [
            {"stated": round(d["predicted"], 3), "churned": round(d["observed"], 3)}
            for d in deciles
        ],
    }


def engine_alerts(settings: Settings, events: Sequence[dict[str, Any]]) -> list[Alert]:
    replay = replay_events(events, settings)
    return [
        Alert(str(a["customer_id"]), event_seconds(a), float(a["risk"]), str(a["tier"]))
        for a in replay.alerts
        if a["type"] == "churn_alert"
    ]


def compare(name: str, settings: Settings, events: list[dict[str, Any]]) -> dict[str, Any]:
    purchases = Purchases.of(events)
    horizon = settings.horizon_days
    engine, naive = engine_alerts(settings, events), naive_alerts(purchases)
    judged = _judged(list(naive), purchases, horizon)
    return {
        "population": name,
        "customers": len(purchases.times),
        "events": len(events),
        "horizon_days": horizon,
        "naive_churn_after_alert": _share(
            sum(not purchases.bought_within(a.customer, a.at, horizon) for a in judged), len(judged)
        ),
        "engine": judge(engine, purchases, horizon),
        "naive": judge(naive, purchases, horizon),
        "quiet_windows": quiet_windows(engine, naive, purchases, horizon),
        "calibration": calibration(engine, purchases, horizon),
    }


def population(name: str, copies: int) -> tuple[str, Settings, list[dict[str, Any]]]:
    """One population's label, settings and events (``copies`` times its customers)."""
    if name == "cdnow":
        events = as_events(replicate(cdnow_transactions(), copies))
        return f"CDNOW sample x{copies}, whole history", Settings(), events
    shop, customers, horizon = (Shop(), 400, 90) if name == "demo" else (FREQUENT, 1000, 30)
    kind = "the demo's shop" if name == "demo" else "frequent shoppers"
    events = list(generate_events(customers * copies, 400, seed=7, shop=shop))
    label = f"{kind}, {customers * copies:,} customers over 400 days"
    return label, Settings(horizon_days=horizon), events


def main(argv: list[str] | None = None) -> int:
    parser = parser_of(__doc__)
    parser.add_argument(
        "--populations",
        default=",".join(POPULATIONS),
        help="comma-separated, of " + ", ".join(POPULATIONS),
    )
    parser.add_argument("--replicate", type=int, default=1, help="copies of every population")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    names = args.populations.split(",")
    if args.replicate < 1 or not set(names) <= set(POPULATIONS):
        parser.error(f"--replicate must be at least 1, --populations among {POPULATIONS}")
    rows = [compare(*population(name, args.replicate)) for name in names]
    if args.json:
        print(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return 0
    _print(rows)
    return 0


def _print(rows: list[dict[str, Any]]) -> None:
    console = Console(width=160)
    for row in rows:
        table = Table(
            title=f"{row['population']}: {row['customers']:,} customers, H = "
            f"{row['horizon_days']} days"
        )
        table.add_column("figure")
        table.add_column("engine")
        table.add_column("naive rule")
        for figure in row["engine"]:
            table.add_row(figure, _cell(row["engine"][figure]), _cell(row["naive"][figure]))
        console.print(table)
        quiet, calibrated = row["quiet_windows"], row["calibration"]
        console.print(
            f"quiet 30-day windows (no engine alert, {QUIET_NAIVE}+ naive): {quiet['windows']}"
            f" ({quiet['first']} .. {quiet['last']}); alert calibration error {calibrated['ece']}"
            f" over {calibrated['judged']:,} judged alerts"
        )
        tiers = Table(title="stated risk against churn, by tier and by deciles of stated risk")
        for column in ("group", "alerts", "stated", "churned"):
            tiers.add_column(column)
        for tier, figures in calibrated["by_tier"].items():
            tiers.add_row(
                tier, f"{figures['alerts']:,}", str(figures["stated"]), str(figures["churned"])
            )
        for index, decile in enumerate(calibrated["deciles"], 1):
            tiers.add_row(f"decile {index}", "", str(decile["stated"]), str(decile["churned"]))
        console.print(tiers)


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
