"""The merged timeline behind ``GET /_sandbox/events``: the control plane's own event log and every
service's, after a cursor, in time order.

A cursor names each log's last event id, ``control:4,idporten:12,maskinporten:3,altinn:40,nav:17``;
a log it leaves out starts from the beginning. Ids only grow (a reset empties a log but does not
reuse its ids), so a cursor from before a reset still gives what came after it.
"""

from __future__ import annotations

from dsop_sandbox.mocks.common.admin import admin_error

from .fanout import FAKES, ServiceRefused, ServiceUnreachable
from .state import SERVICE, ControlPlane

#: Every event log in the timeline, in the cursor's order.
LOGS = (SERVICE, *FAKES)
MAX_LIMIT = 10_000


def merged(cp: ControlPlane, since: str, limit: str) -> dict:
    """``{"events": [...], "cursor": "...", "unavailable": [services that did not answer]}``."""
    cursor = parse_cursor(since)
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
        raise admin_error(400, "invalid_request", f"limit must be a whole number from 1 to {MAX_LIMIT}")
    own = cp.runtime.events.since(cursor.get(SERVICE, 0), int(limit))
    events, unavailable = list(own), []
    cursor[SERVICE] = own[-1]["id"] if own else cursor.get(SERVICE, 0)
    for service in FAKES:
        try:
            answer = cp.fanout.call(
                service, "GET", "/_sandbox/events", params={"since": cursor.get(service, 0), "limit": limit}
            )
        except (ServiceUnreachable, ServiceRefused):
            unavailable.append(service)
            continue
        events.extend(answer["events"])
        cursor[service] = answer["last_id"]
    events.sort(key=lambda event: (event["time"], event["service"], event["id"]))
    return {"events": events, "cursor": format_cursor(cursor), "unavailable": unavailable}


def parse_cursor(text: str) -> dict[str, int]:
    cursor = {}
    for part in filter(None, text.split(",")):
        log, _, value = part.partition(":")
        if log not in LOGS or not value.isdigit():
            raise admin_error(
                400, "invalid_request", "since must be a cursor from a previous answer (service:id,service:id)"
            )
        cursor[log] = int(value)
    return cursor


def format_cursor(cursor: dict[str, int]) -> str:
    return ",".join(f"{log}:{cursor[log]}" for log in LOGS if log in cursor)
