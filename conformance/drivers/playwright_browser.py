"""The citizen in headless Chromium (Playwright), for integrations whose pages need JavaScript.

It uses an installed Chromium (``DSOP_CHROMIUM``, default Debian's ``/usr/bin/chromium``) and
acts on the pages as a person would: types the fødselsnummer on ID-porten's login page, picks
BankID, and presses the answer button on Altinn's consent page (Altinn 2's or Altinn 3's: both
have the buttons ``#accept`` and ``#reject``).
"""

from __future__ import annotations

import os

from .base import ACCEPT, LEAVE, BrowserOutcome, DriverError, consent_request_id, is_callback, on_consent_page, query_of

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
        services = (self.idporten, self.altinn)
        page.on("request", lambda req: callbacks.append(req.url) if is_callback(req.url, services) else None)
        try:
            response = page.goto(start_url, timeout=STEP_TIMEOUT_MS)
            page.wait_for_url(lambda url: url.startswith(self.idporten + "/login"), timeout=STEP_TIMEOUT_MS)
            outcome.visited.append(page.url)
            page.fill("#other_pid", person["pid"])
            page.check("input[name=method][value=bankid]")
            page.click("button[name=action][value=login]")
            page.wait_for_url(lambda url: on_consent_page(url, self.altinn), timeout=STEP_TIMEOUT_MS)
            outcome.visited.append(page.url)
            outcome.reached_consent_page = True
            outcome.consent_request_id = consent_request_id(page.url, self.altinn)
            if answer == LEAVE:
                outcome.final_url, outcome.final_status = page.url, 200  # the consent page is showing
                return outcome
            with page.expect_navigation(timeout=STEP_TIMEOUT_MS) as navigation:
                page.click("#accept" if answer == ACCEPT else "#reject")
            outcome.answered = True
            response = navigation.value
            page.wait_for_load_state(timeout=STEP_TIMEOUT_MS)
            outcome.visited.append(page.url)
            outcome.final_url = page.url
            outcome.final_status = response.status if response is not None else 0
            if callbacks:
                outcome.callback_params = query_of(callbacks[0])
            return outcome
        except PlaywrightError as exc:
            raise DriverError(f"Chromium could not get through the flow at {page.url}: {exc}") from exc
        finally:
            context.close()

    def close(self) -> None:
        if self._playwright is not None:
            self._browser.close()
            self._playwright.stop()
