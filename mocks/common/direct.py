"""Views answered beside Flask, and the hooks that make every response of a service either way.

A NAV call spends about a fifth of its CPU in Flask's request machinery (request context, URL
adapter, session, hooks, teardown; ``benchmarks/hotpath.md``). :func:`direct_get` lets the service
middleware call such a view itself; :func:`after_response` registers what is done to every
response once, for Flask's answers and for those made beside it, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, Response, request
from werkzeug.wrappers import Request

#: ``app.extensions`` keys: the views answered beside Flask (endpoint -> view), and the hooks of
#: :func:`after_response` in the order they were registered.
DIRECT_EXTENSION = "direct_views"
AFTER_EXTENSION = "after_response"


def after_response(app: Flask, hook: Callable[[Request, Response], Response]) -> None:
    """``hook(request, response)`` makes every response of ``app``, Flask's and those answered beside
    it (:func:`direct_get`); the last registered runs first, as Flask runs its ``after_request``."""
    app.extensions.setdefault(AFTER_EXTENSION, []).append(hook)
    app.after_request(lambda response: hook(request, response))


def direct_get(bp: Blueprint, rule: str, endpoint: str, view: Callable[[Request], Response]) -> None:
    """A GET route of ``bp`` whose ``view(request)`` the service middleware calls itself, beside
    Flask: a DSOP call then skips Flask's request machinery, about a fifth of the CPU of a NAV call
    (``benchmarks/hotpath.md``). Everything else stays one path: the route is Flask's (routing,
    ``HEAD``, ``OPTIONS``, 405 with ``Allow``, faults and events by endpoint), ``HEAD`` is answered by
    Flask through the same view, errors take the form Flask's handlers give them
    (:func:`~.service.error_response`), and the hooks of :func:`after_response` make both answers.
    The view gets a werkzeug request with Flask's body limits (:func:`request_class`) and reaches no
    Flask global but :func:`~.events.annotate` and :func:`~.payload.trace_id`, which the middleware
    serves (:class:`~.service.ServiceMiddleware`)."""
    direct_route(bp, rule, endpoint, view, "GET")


def direct_post(bp: Blueprint, rule: str, endpoint: str, view: Callable[[Request], Response]) -> None:
    """A POST route answered beside Flask, as :func:`direct_get` (Maskinporten's token endpoint)."""
    direct_route(bp, rule, endpoint, view, "POST")


def direct_route(bp: Blueprint, rule: str, endpoint: str, view: Callable[[Request], Response], method: str) -> None:
    bp.add_url_rule(rule, endpoint, lambda: view(request), methods=[method])

    def register(state) -> None:  # when bp is registered on an app
        state.app.extensions.setdefault(DIRECT_EXTENSION, {})[f"{bp.name}.{endpoint}"] = (method, view)

    bp.record(register)


def request_class(app: Flask) -> type[Request]:
    """werkzeug's request with the body limits Flask's request reads from ``app``'s config (413 for
    a body over ``MAX_CONTENT_LENGTH``, the form limits), for the views answered beside Flask."""
    return type(
        "DirectRequest",
        (Request,),
        {
            "max_content_length": app.config.get("MAX_CONTENT_LENGTH"),
            "max_form_memory_size": app.config.get("MAX_FORM_MEMORY_SIZE"),
            "max_form_parts": app.config.get("MAX_FORM_PARTS"),
        },
    )
