"""How fast the retention console answers with a shop's worth of alerts, and how soon a new
alert reaches an open page.

    python -m benchmarks.console [--alerts 100000] [--customers 25000] [--requests 30] [--json]

Builds ``--alerts`` alerts about ``--customers`` customers (each customer's alerts in time
order, a third of the earlier ones answered by a recovery) and ten risk updates per customer,
produces them to the real output topics on embedded Tansu, with Valkey beside it, and starts
`churnwatch console` as its own process. Then it times, over HTTP on loopback: reading the
topics at start-up, the queue page and its fragment (first page, deep page, each filter), the
customer page, KPIs and model health; and the delay from a new alert's publish being
acknowledged by the broker to its change arriving on the page's event stream (what makes an
open page fetch its rows again).
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from benchmarks.cli import parser_of
from benchmarks.throughput import print_report
from streams.clients.kafka_io import InputLine, ensure_topics, produce_lines
from streams.dev.demo import demo_settings
from streams.dev.sockets import free_port
from streams.settings import Settings
from streams.topics import TopicNames

START = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
DAY = 86400.0
TIERS = ("medium", "high", "critical")
ACTIONS = ("personal_call", "price_offer", "service_recovery", "onboarding_nudge")
REASONS = [
    {
        "code": "overdue",
        "weight": 2.1,
        "text": "no purchase for 74 days; usually buys every 21 days",
    },
    {
        "code": "complaints",
        "weight": 1.2,
        "text": "1 complaint(s) still open (delivery, severity 3)",
    },
    {"code": "spend_trend", "weight": 0.4, "text": "spend in the last 90 days down 40%"},
]


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, tz=UTC).isoformat()


Messages = list[tuple[bytes, bytes]]


def outputs(alerts: int, customers: int, seed: int = 3) -> tuple[Messages, Messages]:
    """The (key, value) messages of the alerts topic and of the risk topic, keyed by customer
    as the engine keys them."""
    rng = random.Random(seed)
    on_alerts: Messages = []
    per_customer = [alerts // customers + (c < alerts % customers) for c in range(customers)]
    for c, count in enumerate(per_customer):
        customer = f"C{c:07d}"
        for k in range(count):
            at = START + (k + 1) * 60 * DAY + rng.uniform(0, 30 * DAY)
            value = rng.lognormvariate(6, 1.2)
            alert_id = f"a-{c}-{k}"
            alert = orjson.dumps(
                {
                    "type": "churn_alert",
                    "schema_version": 1,
                    "alert_id": alert_id,
                    "customer_id": customer,
                    "timestamp": _iso(at),
                    "risk": 0.6,
                    "previous_risk": 0.4,
                    "tier": rng.choice(TIERS),
                    "escalation": False,
                    "reasons": REASONS,
                    "recommended_action": rng.choice(ACTIONS),
                    "clv": value / 0.6,
                    "value_at_risk": value,
                    "priority": 1 + int(value < 2000) + int(value < 500),
                    "holdout": rng.random() < 0.1,
                    "lifecycle_stage": "at_risk",
                    "model_version": "m",
                    "trigger": {"kind": "inactivity", "event_id": None},
                }
            )
            on_alerts.append((customer.encode(), alert))
            if k < count - 1 and rng.random() < 0.33:
                recovery = orjson.dumps(
                    {
                        "type": "customer_recovered",
                        "schema_version": 1,
                        "recovery_id": f"r-{alert_id}",
                        "alert_id": alert_id,
                        "customer_id": customer,
                        "timestamp": _iso(at + 5 * DAY),
                        "days_to_recovery": 5.0,
                        "amount": 40.0,
                    }
                )
                on_alerts.append((customer.encode(), recovery))
    on_risk = []
    last = START + 60 * DAY * (max(per_customer) + 1)
    for c in range(customers):
        customer = f"C{c:07d}"
        for k in range(10):
            at = START + k * (last - START) / 10 + rng.uniform(0, DAY)
            on_risk.append(
                (
                    customer.encode(),
                    orjson.dumps(
                        {
                            "type": "risk_update",
                            "schema_version": 1,
                            "update_id": f"u-{c}-{k}",
                            "customer_id": customer,
                            "timestamp": _iso(at),
                            "risk": rng.random(),
                            "previous_risk": None,
                            "tier": rng.choice(("none", *TIERS)),
                            "lifecycle_stage": "active",
                            "previous_lifecycle_stage": None,
                            "lifecycle_changed": False,
                            "model_version": "m",
                            "trigger": {
                                "kind": "purchase" if k % 3 == 0 else "inactivity",
                                "event_id": None,
                            },
                        }
                    ),
                )
            )
    return on_alerts, on_risk


def _timed(client: httpx.Client, path: str, requests: int) -> dict[str, float]:
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
    }


def _live_delays(settings: Settings, url: str, samples: int) -> list[float]:
    """Seconds from a new alert's acknowledged publish to its change on the event stream."""
    arrived: dict[str, float] = {}
    ready = threading.Event()

    def listen() -> None:
        with httpx.stream("GET", f"{url}/events", timeout=None) as stream:
            ready.set()
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    arrived[orjson.loads(line[5:])["alert_id"]] = time.monotonic()
                if len(arrived) >= samples:
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    ready.wait(10)
    time.sleep(0.5)
    delays = []
    for n in range(samples):
        _live_alert(settings, f"live-{n}")
        acknowledged = time.monotonic()
        deadline = acknowledged + 10
        while f"live-{n}" not in arrived and time.monotonic() < deadline:
            time.sleep(0.005)
        delays.append(arrived.get(f"live-{n}", float("inf")) - acknowledged)
        time.sleep(0.2)
    return delays


def _live_alert(settings: Settings, name: str) -> None:
    """Publish one alert that sorts first (priority 1, the most value at risk)."""
    alert = orjson.loads(outputs(1, 1)[0][0][1])
    alert.update(alert_id=name, customer_id=name, priority=1, value_at_risk=1e12)
    alert.update(timestamp=_iso(START + 900 * DAY))
    produce_lines(
        settings,
        [
            InputLine(
                TopicNames.from_settings(settings).alerts, name.encode(), orjson.dumps(alert), ""
            )
        ],
    )


def _page_delays(settings: Settings, url: str, samples: int) -> list[float] | None:
    """Seconds from a new alert's acknowledged publish to its row in an open Chromium page."""
    if not (Path("/usr/bin/chromium").exists() and Path("/usr/bin/chromedriver").exists()):
        return None
    os.environ.setdefault("SE_OFFLINE", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(url)
        time.sleep(1.0)
        delays = []
        for n in range(samples):
            name = f"page-{n}"
            _live_alert(settings, name)
            acknowledged = time.monotonic()
            found = f"return !!document.querySelector(\"tr[data-alert-id='{name}']\")"
            while not driver.execute_script(found) and time.monotonic() < acknowledged + 10:
                time.sleep(0.01)
            delays.append(time.monotonic() - acknowledged)
            time.sleep(0.5)
        return delays
    finally:
        driver.quit()


def run(alerts: int, customers: int, requests: int) -> dict[str, Any]:
    on_alerts, on_risk = outputs(alerts, customers)
    with demo_settings(Settings()) as settings:
        names = TopicNames.from_settings(settings)
        ensure_topics(settings)
        started = time.monotonic()
        lines = [InputLine(names.alerts, k, v, "") for k, v in on_alerts]
        lines += [InputLine(names.risk, k, v, "") for k, v in on_risk]
        produce_lines(settings, lines)
        produced_s = time.monotonic() - started
        port = free_port()
        environment = {
            **os.environ,
            **settings.as_environment(),
            "CHURNWATCH_CONSOLE_PORT": str(port),
        }
        log = Path(tempfile.mkdtemp(prefix="churnwatch-console-")) / "console.log"
        console = subprocess.Popen(
            [sys.executable, "-m", "streams.cli.main", "console"],
            env=environment,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            started = time.monotonic()
            with httpx.Client(base_url=url, timeout=60) as client:
                while True:
                    assert console.poll() is None, f"the console exited; see {log}"
                    try:
                        health = client.get("/health").json()
                        if health["caught_up"]:
                            break
                    except httpx.HTTPError:
                        pass
                    time.sleep(0.2)
                caught_up_s = time.monotonic() - started
                deep = max(1, health["open_alerts"] // 50)
                pages = {
                    "queue": "/",
                    "queue_fragment": "/queue/rows",
                    "queue_deep_page": f"/?page={deep}",
                    "queue_tier_critical": "/?tier=critical",
                    "queue_action_price_offer": "/?action=price_offer",
                    "queue_priority_1_unmarked": "/?priority=1&mark=unmarked",
                    "customer": "/customers/C0000001",
                    "kpis": "/kpis",
                    "model": "/model",
                }
                timings = {
                    name: _timed(client, path, requests if name.startswith("queue") else 5)
                    for name, path in pages.items()
                }
            delays = _live_delays(settings, url, samples=20)
            on_page = _page_delays(settings, url, samples=10)
        finally:
            console.terminate()
            console.wait(timeout=20)
    return {
        "alerts": alerts,
        "customers": customers,
        "risk_updates": len(on_risk),
        "open_alerts": health["open_alerts"],
        "produce_s": round(produced_s, 1),
        "console_caught_up_s": round(caught_up_s, 1),
        "pages": timings,
        "live_delay_ms": {
            "median": round(1000 * statistics.median(delays), 1),
            "max": round(1000 * max(delays), 1),
        },
        "live_to_page_ms": None
        if on_page is None
        else {
            "median": round(1000 * statistics.median(on_page), 1),
            "max": round(1000 * max(on_page), 1),
        },
        "requests_per_page": requests,
    }


def main() -> None:
    parser = parser_of(__doc__)
    parser.add_argument("--alerts", type=int, default=100_000, help="alerts published")
    parser.add_argument("--customers", type=int, default=25_000, help="customers they are about")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per queue page")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    report = run(args.alerts, args.customers, args.requests)
    print_report(report, "churnwatch console at scale", args.json)


if __name__ == "__main__":
    main()
