"""The citizen in headless Chromium (Playwright), for integrations whose pages need JavaScript.

It uses an installed Chromium (``DSOP_CHROMIUM``, default Debian's ``/usr/bin/chromium``) and
acts on the pages as a person would: types the fødselsnummer on ID-porten's login page, picks
BankID, and presses the answer button on Altinn's consent page.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, urlsplit

from .base import ACCEPT, BrowserOutcome, DriverError

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
STEP_TIMEOUT_MS = 15000


class PlaywrightBrowser:
    def __init__(
        self,
        services: dict[str, str],
        *,
        executable: str | None = None,
        ignore_https_errors: bool = False,
        browser=None,
    ):
        """``browser``: a Playwright Browser to use (and leave open); otherwise one is launched."""
        self.idporten = services["idporten"].rstrip("/")
        self.altinn = services["altinn"].rstrip("/")
        self._playwright = None
        if browser is None:
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            browser = self._playwright.chromium.launch(
                executable_path=executable or os.environ.get("DSOP_CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS
            )
        self._browser = browser
        self.ignore_https_errors = ignore_https_errors

    def consent(self, start_url: str, person: dict, answer: str) -> BrowserOutcome:
        from playwright.sync_api import Error as PlaywrightError

        context = self._browser.new_context(ignore_https_errors=self.ignore_https_errors)
        page = context.new_page()
        outcome = BrowserOutcome(False, False, start_url, 0)
        callbacks: list[str] = []
        page.on("request", lambda req: callbacks.append(req.url) if self._is_callback(req.url) else None)
        try:
            response = page.goto(start_url, timeout=STEP_TIMEOUT_MS)
            page.wait_for_url(lambda url: url.startswith(self.idporten + "/login"), timeout=STEP_TIMEOUT_MS)
            outcome.visited.append(page.url)
            page.fill("#other_pid", person["pid"])
            page.check("input[name=method][value=bankid]")
            page.click("button[name=action][value=login]")
            page.wait_for_url(
                lambda url: url.startswith(self.altinn + "/ui/AccessConsent/request"), timeout=STEP_TIMEOUT_MS
            )
            outcome.visited.append(page.url)
            outcome.reached_consent_page = True
            with page.expect_navigation(timeout=STEP_TIMEOUT_MS) as navigation:
                page.click("#accept" if answer == ACCEPT else "#reject")
            outcome.answered = True
            response = navigation.value
            page.wait_for_load_state(timeout=STEP_TIMEOUT_MS)
            outcome.visited.append(page.url)
            outcome.final_url = page.url
            outcome.final_status = response.status if response is not None else 0
            if callbacks:
                outcome.callback_params = {k: v[0] for k, v in parse_qs(urlsplit(callbacks[0]).query).items()}
            return outcome
        except PlaywrightError as exc:
            raise DriverError(f"Chromium could not get through the flow at {page.url}: {exc}") from exc
        finally:
            context.close()

    def _is_callback(self, url: str) -> bool:
        return not url.startswith((self.idporten, self.altinn)) and ("Status=" in url or "AuthorizationCode=" in url)

    def close(self) -> None:
        if self._playwright is not None:
            self._browser.close()
            self._playwright.stop()
