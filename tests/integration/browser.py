"""Real headless Chromium (Debian's build and its chromedriver) and `churnwatch console` as a
child process, for the console's integration tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from streams.dev.ports import free_port
from streams.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def require_chromium() -> None:
    """Chromium and its driver, or a failure under CI (which installs them) and a skip elsewhere."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        why = f"{', '.join(missing)} missing: apt-get install chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)


@contextmanager
def chromium() -> Iterator[object]:
    """A fresh browser session (its own profile: no cookies or cache shared with another)."""
    require_chromium()
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not download a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="churnwatch-chromium-")
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1500,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(condition: Callable[[], object], timeout_s: float = 20.0, what: str = "") -> object:
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        time.sleep(0.1)


class ConsoleProcess:
    """`churnwatch console` on the given settings, on a loopback port of its own."""

    def __init__(self, settings: Settings, host: str = "127.0.0.1", token: str | None = None):
        self.port = free_port()
        self.settings = settings.model_copy(
            update={
                "console_host": host,
                "console_port": self.port,
                "console_token": SecretStr(token) if token else None,
            }
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.mkdtemp(prefix="churnwatch-console-")) / "console.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, headers: dict[str, str] | None = None) -> ConsoleProcess:
        environment = {**os.environ, **self.settings.as_environment()}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "streams.cli.main", "console"],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(
            lambda: self._caught_up(headers), 60, f"the console to read the topics: {self.log}"
        )
        return self

    def _caught_up(self, headers: dict[str, str] | None) -> bool:
        assert self.process is not None
        assert self.process.poll() is None, self.log.read_text()
        try:
            return bool(httpx.get(f"{self.url}/health", headers=headers).json()["caught_up"])
        except (httpx.HTTPError, ValueError, KeyError):
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
