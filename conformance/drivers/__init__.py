"""Drivers play the citizen's browser: start a claim at the insurer, log in at ID-porten, answer
Altinn's consent page, and come back to the insurer.

* :class:`~dsop_sandbox.conformance.drivers.http_browser.HttpBrowser` (default): ``requests`` with a cookie jar,
  following redirects and posting the ID-porten and Altinn forms. Enough for any integration
  whose pages are plain HTTP.
* :class:`~dsop_sandbox.conformance.drivers.playwright_browser.PlaywrightBrowser`: the same in headless
  Chromium, for integrations whose pages need JavaScript.
* Your own: any object with the :class:`~dsop_sandbox.conformance.drivers.base.Driver` method ``consent``.
"""

from .base import BrowserOutcome, Driver, DriverError

__all__ = ["BrowserOutcome", "Driver", "DriverError"]
