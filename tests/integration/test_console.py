"""The retention console in real headless Chromium, on the real pipeline: a worker, a broker
and Redis, with the console as its own process reading what the engine published."""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx
import orjson
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from models.progressive import METRICS_WINDOW
from streams.clients.kafka_io import ensure_topics, produce_lines, read_topic, route_lines
from streams.dev.runner import WorkerProcess, wait_until_processed
from streams.dev.sockets import free_port
from streams.dev.synthetic import generate_events
from streams.topics import TopicNames
from tests.integration.browser import ConsoleProcess, chromium, require_chromium, wait_for

pytestmark = pytest.mark.integration
SCREENSHOTS = os.environ.get("CHURNWATCH_SCREENSHOT_DIR")
BASELINES = {"heuristic", "bgnbd"}


# read in one script, so that a refresh of the rows cannot happen between two reads
ROWS = """return Array.from(document.querySelectorAll('tr.alert')).map(function (row) {
    var cells = row.querySelectorAll('td');
    return [row.dataset.alertId, cells[0].innerText, cells[7].innerText];
});"""


H1 = "var h = document.querySelector('h1'); return h ? h.innerText : '';"


def shown_alert_ids(driver) -> set[str]:
    return {alert_id for alert_id, _, _ in driver.execute_script(ROWS)}


def shown_in_order(driver) -> list[tuple[int, float]]:
    return [
        (int(priority.lstrip("P")), float(value.replace(",", "")))
        for _, priority, value in driver.execute_script(ROWS)
    ]


def settled(driver, quiet_s: float = 1.5) -> bool:
    """The rows have not changed for ``quiet_s``: the stream has nothing more to tell."""
    before = shown_alert_ids(driver)
    time.sleep(quiet_s)
    return shown_alert_ids(driver) == before


def alerts_on_topic(settings) -> tuple[list[dict], list[dict]]:
    published = [
        orjson.loads(v) for v in read_topic(settings, TopicNames.from_settings(settings).alerts)
    ]
    return (
        [a for a in published if a["type"] == "churn_alert"],
        [r for r in published if r["type"] == "customer_recovered"],
    )


def split_at_day(events: list[dict], day: int) -> tuple[list[bytes], list[bytes]]:
    start = datetime.fromisoformat(events[0]["timestamp"]).timestamp()
    cut = start + day * 86400
    before = [
        orjson.dumps(e) for e in events if datetime.fromisoformat(e["timestamp"]).timestamp() < cut
    ]
    return before, [orjson.dumps(e) for e in events[len(before) :]]


def test_the_queue_lives_marks_last_and_customer_pages_show_history(settings_factory):
    require_chromium()
    settings = settings_factory(holdout_share=0.25)
    names = TopicNames.from_settings(settings)
    before, after = split_at_day(list(generate_events(400, 400, seed=7)), 330)
    ensure_topics(settings)
    worker = WorkerProcess(settings).start()
    console = None
    try:
        sent = produce_lines(settings, route_lines(before, names))
        wait_until_processed(settings, sent, worker)
        console = ConsoleProcess(settings).start()
        with chromium() as browser, chromium() as colleague:
            colleague.get(f"{console.url}/?per_page=500")
            browser.get(f"{console.url}/?per_page=500")
            browser.execute_script("window.loadedOnce = 'yes'")  # a reload would clear it
            wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "tr.alert"), what="rows")
            open_at_load = shown_alert_ids(browser)
            order = shown_in_order(browser)
            assert order == sorted(order, key=lambda o: (o[0], -o[1])), "work order"
            raised_before, _ = alerts_on_topic(settings)
            assert open_at_load <= {a["alert_id"] for a in raised_before}

            # events after the page loaded: new alerts appear and recoveries take theirs off
            sent = produce_lines(settings, route_lines(after, names))
            wait_until_processed(settings, sent, worker)
            raised, recovered = alerts_on_topic(settings)
            new_ids = {a["alert_id"] for a in raised} - {a["alert_id"] for a in raised_before}
            back_ids = {r["alert_id"] for r in recovered} & open_at_load
            assert new_ids and back_ids, "the later events must raise and recover alerts"
            wait_for(
                lambda: (
                    shown_alert_ids(browser) & new_ids and not shown_alert_ids(browser) & back_ids
                ),
                timeout_s=10,
                what=f"new alerts {sorted(new_ids)[:3]} in, recovered {sorted(back_ids)[:3]} out",
            )
            assert browser.execute_script("return window.loadedOnce") == "yes", "no reload"

            wait_for(lambda: settled(browser), what="the queue to settle")

            # a holdout alert cannot be marked contacted; another one can, with a note
            holdout_row = browser.find_element(By.CSS_SELECTOR, "tr.alert.holdout")
            holdout_id = holdout_row.get_attribute("data-alert-id")
            options = holdout_row.find_elements(By.CSS_SELECTOR, "select[name=status] option")
            assert [o.get_attribute("value") for o in options] == ["dismissed"]
            row = browser.find_element(By.CSS_SELECTOR, "tr.alert:not(.holdout)")
            marked_id, customer = (
                row.get_attribute("data-alert-id"),
                row.get_attribute("data-customer-id"),
            )
            row.find_element(By.NAME, "note").send_keys("left a voicemail")  # holds refreshes
            Select(row.find_element(By.NAME, "status")).select_by_value("contacted")
            row.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            selector = f"tr[data-alert-id='{marked_id}'] .mark-contacted"
            wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, selector), what="the mark")
            # a colleague's open page shows the mark without a reload
            wait_for(lambda: colleague.find_elements(By.CSS_SELECTOR, selector), what="shared")

            # a note over the limit (past the field's own maxlength) is refused, with the reason
            other = browser.find_element(
                By.CSS_SELECTOR, f"tr.alert:not([data-alert-id='{marked_id}'])"
            )
            note = other.find_element(By.NAME, "note")
            browser.execute_script(
                "arguments[0].removeAttribute('maxlength'); arguments[0].value = 'x'.repeat(1001)",
                note,
            )
            other.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            error = wait_for(lambda: other.find_elements(By.CSS_SELECTOR, ".error"), what="refusal")
            assert "at most 1000 characters" in error[0].text

        kpis = httpx.get(
            f"{console.url}/kpis", params={"since": "2025-06-01", "until": "2027-01-01"}
        )
        assert kpis.status_code == 200 and "Retention KPIs" in kpis.text
        # each figure says what it counts: recapture beside a holdout, the spend of those who
        # came back (not the value at risk of their alerts), and which alerts were judged
        for label in (
            "Came back (alerts not held out)",
            "the holdout below says how much acting added",
            "Spent by recovered customers",
            "by the prior",
            "waiting",
        ):
            assert label in kpis.text, label
        assert "Value recovered" not in kpis.text
        assert httpx.get(f"{console.url}/kpis", params={"since": "June"}).status_code == 400
        refused = _bad_marks(console.url, holdout_row_id=holdout_id, good_id=marked_id)
        assert refused == {
            "unknown": 404,
            "holdout": 400,
            "oversized": 400,
            "get": 405,
            "other_site": 403,
        }
        console.stop()
        console = ConsoleProcess(settings).start()  # the mark survives a restart
        with chromium() as second_session:
            second_session.get(f"{console.url}/?mark=contacted&per_page=500")
            row = second_session.find_element(By.CSS_SELECTOR, f"tr[data-alert-id='{marked_id}']")
            assert "contacted" in row.text and "left a voicemail" in row.text

            second_session.get(f"{console.url}/customers/{customer}")
            timeline = second_session.find_elements(By.CSS_SELECTOR, "ol.timeline li.event")
            kinds = {item.get_attribute("class").split()[-1] for item in timeline}
            assert {"purchase", "alert"} <= kinds
            wait_for(
                lambda: second_session.find_elements(By.CSS_SELECTOR, ".chart canvas"),
                what="a chart",
            )
            assert "left a voicemail" in second_session.find_element(By.TAG_NAME, "main").text
    finally:
        worker.stop()
        if console:
            console.stop()


def _bad_marks(url: str, holdout_row_id: str, good_id: str) -> dict[str, int]:
    answers = {
        "unknown": httpx.post(f"{url}/alerts/no-such-alert/mark", data={"status": "contacted"}),
        "holdout": httpx.post(f"{url}/alerts/{holdout_row_id}/mark", data={"status": "contacted"}),
        "oversized": httpx.post(
            f"{url}/alerts/{good_id}/mark", data={"status": "dismissed", "note": "x" * 5000}
        ),
        "get": httpx.get(f"{url}/alerts/{good_id}/mark"),
        "other_site": httpx.post(
            f"{url}/alerts/{good_id}/mark",
            data={"status": "dismissed"},
            headers={"Origin": "http://elsewhere.example"},
        ),
    }
    return {name: answer.status_code for name, answer in answers.items()}


def test_without_its_token_a_console_beyond_loopback_answers_401(settings_factory):
    require_chromium()
    settings = settings_factory()
    refused = ConsoleProcess(settings, host="0.0.0.0")
    environment = {**os.environ, **refused.settings.as_environment()}
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli.main", "console"],
        env=environment,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode != 0 and b"CHURNWATCH_CONSOLE_TOKEN" in done.stderr

    console = ConsoleProcess(settings, host="0.0.0.0", token="t0ken")
    basic = {"Authorization": "Basic " + base64.b64encode(b"ann:t0ken").decode()}
    console.start(headers=basic)
    try:
        for path in ("/", "/events", "/customers/C000001", "/kpis", "/model", "/winback.csv"):
            assert httpx.get(f"{console.url}{path}").status_code == 401, path
        assert httpx.get(f"{console.url}/", headers=basic).status_code == 200
        with chromium() as browser:
            browser.get(f"{console.url}/kpis?since=2025-01-01")  # sent to sign in first
            wait_for(lambda: "/login?next=" in browser.current_url, what="sent to sign in")
            browser.find_element(By.NAME, "token").send_keys("t0ken")
            browser.find_element(By.CSS_SELECTOR, "form.login button").click()
            wait_for(
                # read in one script: the sign-in page's heading goes stale as the page loads
                lambda: "Retention KPIs" in browser.execute_script(H1),
                what="signed in, on the page asked for",
            )
            assert browser.current_url.endswith("/kpis?since=2025-01-01")
            session = browser.get_cookie("churnwatch_console")
            assert session is not None and "t0ken" not in session["value"]
    finally:
        console.stop()


def test_demo_console_ends_with_a_url_that_shows_the_demo_queue(services):
    """`churnwatch demo --console`, as a new user runs it (the README's screenshots)."""
    require_chromium()
    port = free_port()
    environment = {
        **os.environ,
        "CHURNWATCH_KAFKA_URL": services.kafka_url,
        "CHURNWATCH_REDIS_URL": services.redis_url,
        "CHURNWATCH_HOLDOUT_SHARE": "0.1",
    }
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streams.cli.main",
            "demo",
            "--console",
            "--port",
            str(port),
            "--customers",
            "400",
            "--days",
            "400",
        ],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert demo.stdout is not None
        printed = []
        for line in demo.stdout:
            printed.append(line.decode(errors="replace"))
            if "retention console: http://" in printed[-1]:
                break
        url = printed[-1].split("retention console: ", 1)[1].split()[0]
        assert url == f"http://127.0.0.1:{port}/", "".join(printed[-20:])
        wait_for(lambda: httpx.get(f"{url}health").json()["caught_up"], what="caught up")
        health = httpx.get(f"{url}health").json()
        assert health["open_alerts"] > 0
        with chromium() as browser:
            browser.get(url)
            rows = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "tr.alert"), what="rows")
            assert len(rows) == min(health["open_alerts"], 50)
            count = browser.find_element(By.ID, "queue-count").get_attribute("data-total")
            assert int(count) == health["open_alerts"]
            first = rows[0].get_attribute("data-customer-id")
            # the demo's terminal table is the top of this same queue, in the same order
            listed = [
                found.group(0)
                for line in printed
                if "│" in line and (found := re.search(r"\bC\d{6}\b", line))
            ]
            queue = [r.get_attribute("data-customer-id") for r in rows[: len(listed)]]
            assert listed and listed == queue, (listed, queue)
            # and it printed what the other commands need to find its run
            for name in ("KAFKA_URL", "REDIS_URL", "TOPIC_PREFIX", "REDIS_NAMESPACE"):
                assert any(f"export CHURNWATCH_{name}=" in line for line in printed), name
            if SCREENSHOTS:
                browser.save_screenshot(str(Path(SCREENSHOTS) / "queue.png"))
            browser.get(f"{url}customers/{first}")
            wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, ".chart canvas"), what="chart")
            if SCREENSHOTS:
                browser.save_screenshot(str(Path(SCREENSHOTS) / "customer.png"))
            browser.get(f"{url}model")
            models = wait_for(
                lambda: browser.find_elements(By.CSS_SELECTOR, "table.models tr.model"),
                what="learned models",
            )
            names = {row.get_attribute("data-model") for row in models}
            # every scorer on the same labels: the baselines, and the learned models
            assert names == BASELINES | {"logreg", "river-logreg", "river-tree"}
            # the heuristic's row holds its own ROC AUC, not a gain of 0, and each learned
            # model's gain over it is the difference between their ROC AUCs
            heuristic_auc = float(models[0].find_elements(By.CSS_SELECTOR, "td.num")[0].text)
            assert 0.0 < heuristic_auc < 1.0
            learned = [m for m in models if m.get_attribute("data-model") not in BASELINES]
            for row in learned:
                auc, _, gain, _ = (c.text for c in row.find_elements(By.CSS_SELECTOR, "td.num"))
                assert abs(float(auc) - heuristic_auc - float(gain)) < 0.0002, row.text
            # the refit's headline figures say which labels they are over
            cards = browser.find_element(By.CSS_SELECTOR, "section.cards").text
            assert f"last {METRICS_WINDOW:,} labels" in cards.lower()
            assert "over all its labels so far" in cards
            if SCREENSHOTS:
                browser.save_screenshot(str(Path(SCREENSHOTS) / "model.png"))
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=60) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()


def _weird_customer(customer_id: str, days: tuple[int, ...]) -> list[dict]:
    """A customer who bought on ``days`` of 2025 and then went silent."""
    return [
        {
            "type": "purchase",
            "event_id": f"w-{customer_id}-{day}",
            "customer_id": customer_id,
            "timestamp": f"2025-{1 + day // 28:02d}-{1 + day % 28:02d}T10:00:00Z",
            "amount": 60.0,
        }
        for day in days
    ]


def test_ids_from_the_stream_are_escaped_and_pages_say_what_is_wrong(settings_factory):
    """Ids that are formulas or break paths, the currency, search, a page past the last, a bad
    address and the favicon, as a browser and a script meet them."""
    require_chromium()
    settings = settings_factory(currency="€")
    formula, pathy = "=HYPERLINK(1)", "Ab/c?d#e"
    events = list(generate_events(150, 300, seed=3))
    events += _weird_customer(formula, (0, 10, 20)) + _weird_customer(pathy, (1, 12, 24))
    events.sort(key=lambda e: e["timestamp"])
    lines = route_lines([orjson.dumps(e) for e in events], TopicNames.from_settings(settings))
    ensure_topics(settings)
    worker = WorkerProcess(settings).start()
    console = None
    try:
        wait_until_processed(settings, produce_lines(settings, lines), worker)
        console = ConsoleProcess(settings).start()
        url = console.url
        html = {"Accept": "text/html"}
        csv = httpx.get(f"{url}/winback.csv").text
        assert f"'{formula}," in csv and f"\n{formula}," not in csv  # no formula for a sheet
        icon = httpx.get(f"{url}/favicon.ico")
        assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg")
        beyond = httpx.get(f"{url}/?page=99", headers=html)
        assert beyond.status_code == 200 and "There is no page 99" in beyond.text
        bad = httpx.get(f"{url}/?page=zero", headers=html)
        assert bad.status_code == 400 and "That page cannot be shown" in bad.text
        assert httpx.get(f"{url}/?page=zero").text.startswith("400: ")  # a script: one line
        found = httpx.get(f"{url}/customers", params={"q": "ab/C"}, follow_redirects=False)
        assert found.status_code == 303 and found.headers["location"] == "/customers/Ab%2Fc%3Fd%23e"
        with chromium() as browser:
            browser.get(f"{url}/winback")
            link = wait_for(
                lambda: browser.find_elements(By.LINK_TEXT, pathy), what="the odd id's link"
            )
            link[0].click()
            wait_for(lambda: pathy in browser.execute_script(H1), what="its customer page")
            browser.get(f"{url}/customers?q=c0000")  # part of many ids, any case
            wait_for(
                lambda: len(browser.find_elements(By.CSS_SELECTOR, "ul.found li")) > 1,
                what="every id holding it",
            )
            browser.get(f"{url}/winback")
            amounts = wait_for(
                lambda: [td.text for td in browser.find_elements(By.CSS_SELECTOR, "td.num")],
                what="amounts",
            )
            assert any(text.startswith("€") for text in amounts)
    finally:
        if console is not None:
            console.stop()
        worker.stop()
