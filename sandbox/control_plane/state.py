"""What the control plane keeps, and how its routes reach it.

:class:`ControlPlane` sits in ``app.extensions["control"]`` beside the service runtime that
``create_service_app`` gives every service (``app.extensions["sandbox"]``: the clock, the store, the
control plane's own event log). :func:`control` is the current app's; :func:`forward` and :func:`fan`
call the services' admin APIs over HTTP and turn their failures into the admin error shape.
"""

from __future__ import annotations

from flask import current_app

from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common.admin import admin_error
from dsop_sandbox.mocks.common.errors import ServiceError
from dsop_sandbox.mocks.common.records import Records
from dsop_sandbox.mocks.common.service import ServiceRuntime

from .fanout import FAKES, Fanout, ServiceRefused, ServiceUnreachable

SERVICE = "control"
#: ``app.extensions`` key of the :class:`ControlPlane`.
EXTENSION = SERVICE
INSURERS_TABLE = "insurers"


class ControlPlane:
    def __init__(self, runtime: ServiceRuntime, authority: KeyAuthority, admin_token: str | None = None):
        self.runtime = runtime
        self.settings = runtime.settings
        self.clock = runtime.clock
        self.store = runtime.store
        self.authority = authority
        self.insurers = Records(self.store, INSURERS_TABLE, self.clock)
        self.fanout = Fanout(self.settings, token=admin_token)
        #: The reference insurers' base URLs by consent generation, when whoever started them beside
        #: the sandbox says so (else the walkthrough finds them among the registrations).
        self.reference_insurers: dict[str, str] = {}
        #: How to reset the reference insurers started beside the sandbox: (header, key) by base URL.
        self.insurer_resets: dict[str, tuple[str, str]] = {}


def control() -> ControlPlane:
    """The control plane of the app handling the current request."""
    return current_app.extensions[EXTENSION]


def forward(service: str, method: str, path: str, **kwargs) -> dict:
    """One service's answer, with its own error status and body passed through."""
    try:
        return control().fanout.call(service, method, path, **kwargs)
    except ServiceUnreachable as exc:
        raise admin_error(502, "service_unreachable", str(exc)) from exc
    except ServiceRefused as exc:
        said = exc.body.get("error") if isinstance(exc.body, dict) else None
        raise ServiceError(exc.status, exc.body, said if isinstance(said, str) else "forwarded") from exc


def fan(method: str, path: str, services=FAKES, **kwargs) -> dict:
    """Call every service; 502 naming the services that failed, else the answers by service."""
    results = control().fanout.all(method, path, services, **kwargs)
    failed = sorted(
        str(result) for result in results.values() if isinstance(result, Exception)
    )  # each names its service
    if failed:
        raise admin_error(502, "service_unreachable", "; ".join(failed))
    return results
