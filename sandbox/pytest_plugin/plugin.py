"""The pytest plugin (entry point ``pytest11``: ``dsop_sandbox``). Fixtures (``pytest --fixtures``
shows each one's docstring): ``dsop_sandbox``, ``dsop_insurer``, ``dsop_citizen``,
``dsop_maskinporten_token``, ``dsop_consent``, ``dsop_persons`` and ``dsop_sandbox_settings``;
the option ``--dsop-conform insurer.toml`` collects the conformance suite's requirements as items.

Importing this module imports pytest alone: the sandbox, the suite and the fakes are imported when
a fixture is requested, and nothing starts before. A session that uses no fixture pays nothing.
"""

from __future__ import annotations

import pytest

DEFAULT_PERSONA = "aap-meldekort"
_RUNNING = pytest.StashKey()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dsop-sandbox", "dsop-sandbox (the DSOP chain as fixtures)")
    group.addoption(
        "--dsop-conform",
        metavar="INSURER_TOML",
        default=None,
        help="collect the conformance suite's requirements for this insurer profile as test items",
    )
    group.addoption(
        "--dsop-control-url",
        metavar="URL",
        default=None,
        help="the sandbox's control plane for --dsop-conform (default: $DSOP_SANDBOX_URL, "
        "else the sandbox recorded running in the state directory)",
    )
    group.addoption(
        "--dsop-scenario",
        metavar="NAME",
        action="append",
        default=None,
        help="run only this scenario for --dsop-conform (repeatable)",
    )
    group.addoption(
        "--dsop-ca-bundle",
        metavar="FILE",
        default=None,
        help="trust this CA bundle for --dsop-conform against an HTTPS sandbox",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "dsop_insurer(org=, name=, redirect_uris=, consent=): how the dsop_insurer fixture registers"
    )
    config.addinivalue_line("markers", "dsop_citizen(persona=): the test person the dsop_citizen fixture plays")
    config.addinivalue_line("markers", "dsop_requirement(id, level): an item of --dsop-conform")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    """With ``--dsop-conform``, the requirements come first (before ``-k`` and ``-m`` select)."""
    if config.getoption("dsop_conform"):
        from .conform import requirement_items

        profile, found = requirement_items(session, config)
        # reported as collected, so that pytest counts them (and -k reports what it deselects)
        config.hook.pytest_collectreport(report=pytest.CollectReport(profile.nodeid, "passed", None, found))
        items[:0] = found


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem):
    """After a test that used ``dsop_sandbox``: put back what it changed (calendar, lifetimes, faults,
    certificates), once its own fixtures are torn down; a warning on the test says what could not be."""
    try:
        return (yield)
    finally:
        running = item.config.stash.get(_RUNNING, None)
        if running is not None and running.sandbox.servers and "dsop_sandbox" in getattr(item, "fixturenames", ()):
            for problem in running.tidy():
                item.warn(pytest.PytestWarning(f"dsop_sandbox after this test: {problem}"))


def pytest_cmdline_main(config: pytest.Config):
    """``--dsop-conform`` runs the suite once, in one process: under pytest-xdist every worker would
    run it against the same sandbox at once."""
    if config.getoption("dsop_conform") and (config.getoption("numprocesses", None) or 0):
        raise pytest.UsageError("--dsop-conform runs the conformance suite once: run it without -n (or with -n 0)")


@pytest.fixture(scope="session")
def dsop_sandbox_settings() -> dict:
    """Settings for the ``dsop_sandbox`` fixture's sandbox (README, «Settings»), e.g.
    ``{"tls": True}``. Override this fixture (session scope) in your conftest.py to change them."""
    return {}


@pytest.fixture(scope="session")
def dsop_sandbox(tmp_path_factory, dsop_sandbox_settings, pytestconfig):
    """The whole DSOP sandbox (ID-porten, Maskinporten, Altinn 2 and 3, NAV, the control plane) in this
    process on free ports, with a throw-away state directory; started once per session (once per
    pytest-xdist worker). A ``DsopSandbox``:

    ``urls``/``url(name)`` and ``issuers``; ``calendar.advance("P3Y")``/``.set(iso)``/``.reset()``;
    ``lifetimes(altinn__consent_token=2)`` and ``fault("nav", status=503)`` as context managers;
    ``events()``, the event log since the test began with the suite oracle's questions;
    ``persons()``, ``register(...)``, ``serve(make_app)`` (an insurer app on a free port),
    ``conform(insurer_toml)``, ``reset()``; ``api`` for the rest
    of the admin API. After every test that used it, it puts back the calendar, lifetimes, faults
    and certificates (consents and registrations stay: call ``reset()`` for those).
    """
    from .running import DsopSandbox

    running = DsopSandbox.start(tmp_path_factory.mktemp("dsop-sandbox"), **dsop_sandbox_settings)
    pytestconfig.stash[_RUNNING] = running
    try:
        yield running
    finally:
        running.stop()


def _marked(request, name: str) -> dict:
    """The fixture's arguments: ``request.param`` (indirect parametrisation), else the marker's."""
    param = getattr(request, "param", None)
    if isinstance(param, dict):
        return dict(param)
    if param is not None:
        raise TypeError(f"{name} is parametrised with dicts of its arguments, not {param!r}")
    marker = request.node.get_closest_marker(name)
    return dict(marker.kwargs) if marker else {}


@pytest.fixture
def dsop_insurer(request, dsop_sandbox):
    """An insurer registered with every service (Maskinporten client and scopes, ID-porten client,
    Altinn consumer, enterprise certificate), as ``dsop-sandbox register-insurer`` registers one.
    A ``RegisteredInsurer``: ``org``, ``name``, ``consent``, ``facts`` (client ids, endpoints, API key),
    ``key_path``, ``chain_path``, ``ca_path``, ``profile_path`` (insurer.toml),
    ``maskinporten_token(scope)``, ``create_consent(pid)``, ``revoke_consent(id)``.

    Defaults: org 310000019, "Eksempel Forsikring AS", redirect URI
    ``http://insurer.test/claims/callback``, Altinn 3. Change them with
    ``@pytest.mark.dsop_insurer(org=..., name=..., redirect_uris=[...], consent="altinn2")`` or
    ``@pytest.mark.parametrize("dsop_insurer", [{...}], indirect=True)``. The same arguments give the
    same registration for the whole session.
    """
    return dsop_sandbox.register(**_marked(request, "dsop_insurer"))


@pytest.fixture
def dsop_citizen(request, dsop_sandbox):
    """A test person with a browser: the conformance suite's own requests driver. ``start(url)``,
    ``accept(url)``, ``decline(url)``, ``leave(url)`` open an insurer's start URL (``{pid}``,
    ``{first_name}``, ``{last_name}`` filled in), log in at ID-porten and answer Altinn's consent page;
    they return a ``BrowserOutcome`` (``final_url``, ``final_status``, ``callback_params``,
    ``consent_request_id``). ``mount(origin, wsgi_app)`` reaches an insurer app in this process.

    The persona (``aap-meldekort`` by default; see ``dsop_persons``):
    ``@pytest.mark.dsop_citizen(persona="ufore-okt-grad")`` or indirect parametrisation with
    ``{"persona": ...}``; ``as_persona(key)`` gives another.
    """
    from .citizen import ScriptedCitizen

    persona = _marked(request, "dsop_citizen").get("persona", DEFAULT_PERSONA)
    return ScriptedCitizen(dsop_sandbox.urls, persona, verify=dsop_sandbox.verify)


@pytest.fixture
def dsop_maskinporten_token(dsop_insurer):
    """``dsop_maskinporten_token(scope, authorization_details=None)``: an access token for
    ``dsop_insurer`` from Maskinporten, by a grant signed with its enterprise certificate."""
    return dsop_insurer.maskinporten_token


@pytest.fixture
def dsop_consent(dsop_insurer):
    """``dsop_consent(persona="aap-meldekort", **fields)``: an accepted consent from the persona to
    ``dsop_insurer``, made directly through Altinn's admin fixture (no browser): fast tests of the
    fetch. Altinn 3: the consent request (``id``); Altinn 2: the consent (``AuthorizationCode``)."""
    from .citizen import persona_person

    def make(persona: str = DEFAULT_PERSONA, **fields) -> dict:
        return dsop_insurer.create_consent(persona_person(persona)["pid"], **fields)

    return make


@pytest.fixture(scope="session")
def dsop_persons():
    """The test persons by persona key (``aap-meldekort``, ``ufore-okt-grad``, ``ukjent-for-nav`` …):
    each with ``pid``, ``name``, ``login()``, ``history`` (what NAV's systems hold) and
    ``nav_data(fra, til)``: NAV's three answers (uføretrygd, AAP vedtak, meldekort) for a consent
    from ``fra`` to ``til``, as the sandbox gives them."""
    from .people import persons

    return persons()
