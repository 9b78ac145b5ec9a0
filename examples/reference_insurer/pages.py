"""The insurer's few web pages, as the citizen sees them (bokmål, or English when the citizen chose
it: :mod:`.language`), as Jinja templates that Flask autoescapes.

A claim's page tells what NAV delivered in sentences and tables (:mod:`.readable`), with the raw
JSON one click away; its times are Norwegian time, and say so."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import render_template_string, request

from . import readable
from .language import page_language, switch_url

OSLO = ZoneInfo("Europe/Oslo")
#: A small mark of our own, so that no browser asks for a favicon that is not there.
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" '
    'fill="#0b3d5c"/><path d="M16 5l9 4v6c0 6-4 10-9 12-5-2-9-6-9-12V9z" fill="#fff"/></svg>'
)

TEXTS = {
    "nb": {
        "language": "English",
        "tagline": "referanseintegrasjon for DSOP",
        "home": "Til forsiden",
        "index_title": "Saker",
        "start_heading": "Meld en sak",
        "start_intro": "Start en sak som trenger opplysninger fra NAV. Du blir sendt til Altinn for å gi samtykke.",
        "pid": "Fødselsnummer",
        "first_name": "Fornavn",
        "last_name": "Etternavn",
        "start": "Start sak",
        "claims": "Saker",
        "claim": "Sak",
        "person": "Person",
        "consent": "Samtykke",
        "consent_ref": "Samtykke-id / kode",
        "retrieval": "Henting fra NAV",
        "created": "Opprettet (norsk tid)",
        "data_arrived": "data mottatt",
        "no_claims": "Ingen saker ennå.",
        "claim_title": "Sak {id}",
        "consent_in": "Samtykke i {generation}",
        "consent_id": "samtykke-id",
        "authorization_code": "autorisasjonskode",
        "name": "Navn",
        "state": "Saken",
        "consent_state": "Samtykket",
        "consent_problem": "Hvorfor samtykket ikke kan brukes",
        "answered": "Besvart (norsk tid)",
        "data_at": "Opplysninger mottatt (norsk tid)",
        "attempts": "Forsøk på henting",
        "nav_calls": "Kall til NAV",
        "fetches": "Hentinger (fetch)",
        "uses_logged": "Bruk logget i Altinn",
        "last_error": "Siste feil",
        "states": {"pending": "venter på svar", "consented": "samtykke gitt", "declined": "ikke samtykke"},
        "consent_states": {"active": "aktivt", "dead": "kan ikke brukes lenger"},
        "retrievals": {
            "idle": "ikke startet",
            "running": "pågår",
            "ok": "ferdig",
            "unavailable": "NAV svarer ikke nå",
            "consent_required": "krever nytt samtykke",
            "failed": "feilet",
        },
        "data_heading": "Opplysninger fra NAV",
        "data_about": "Om {name}, fødselsnummer {pid}, mottatt {when} (norsk tid).",
        "data_waiting": "Vi henter opplysningene fra NAV. Siden oppdaterer seg selv.",
        "data_none": "Vi har ikke mottatt opplysninger fra NAV i denne saken.",
        "raw": "Vis opplysningene slik NAV leverte dem (JSON)",
        "show_rows": "Vis alle {n} radene",
        "see_data": "Se opplysningene fra NAV",
        "see_claim": "Se saken",
        # the callback and the errors
        "thanks": "Takk – samtykket er registrert",
        "thanks_text": "Vi henter opplysningene fra NAV nå. Du trenger ikke gjøre noe mer; opplysningene og saken "
        "din finner du på lenken under.",
        "declined": "Ikke samtykke",
        "declined_text": "Du har ikke gitt samtykke, så vi henter ingen opplysninger fra NAV.",
        "bad_callback": "Ugyldig svar fra samtykket",
        "bad_pid": "Ugyldig fødselsnummer",
        "no_pid": "pid (fødselsnummeret) mangler.",
        "pid_length": "Et fødselsnummer har 11 siffer.",
        "pid_digits": "Kontrollsifrene i fødselsnummeret stemmer ikke.",
        "no_last_name": "Etternavn mangler",
        "no_last_name_text": "Altinn trenger etternavnet ditt for å vise samtykket (last_name).",
        "not_started": "Saken kunne ikke startes",
        "unknown_claim": "Ukjent sak",
        "unknown_claim_text": "Vi finner ingen sak med denne lenken.",
        "broken": "Noe gikk galt",
        "broken_text": "En feil oppstod hos oss. Prøv igjen senere.",
    },
    "en": {
        "language": "Norsk (bokmål)",
        "tagline": "reference integration for DSOP",
        "home": "To the front page",
        "index_title": "Claims",
        "start_heading": "Report a claim",
        "start_intro": "Start a claim that needs data from NAV. You are sent to Altinn to give your consent.",
        "pid": "National identity number",
        "first_name": "First name",
        "last_name": "Last name",
        "start": "Start claim",
        "claims": "Claims",
        "claim": "Claim",
        "person": "Person",
        "consent": "Consent",
        "consent_ref": "Consent id / code",
        "retrieval": "Retrieval from NAV",
        "created": "Created (Norwegian time)",
        "data_arrived": "data received",
        "no_claims": "No claims yet.",
        "claim_title": "Claim {id}",
        "consent_in": "Consent in {generation}",
        "consent_id": "consent id",
        "authorization_code": "authorization code",
        "name": "Name",
        "state": "The claim",
        "consent_state": "The consent",
        "consent_problem": "Why the consent cannot be used",
        "answered": "Answered (Norwegian time)",
        "data_at": "Data received (Norwegian time)",
        "attempts": "Retrieval attempts",
        "nav_calls": "Calls to NAV",
        "fetches": "Fetches",
        "uses_logged": "Uses logged in Altinn",
        "last_error": "Last error",
        "states": {"pending": "waiting for an answer", "consented": "consent given", "declined": "no consent"},
        "consent_states": {"active": "active", "dead": "can no longer be used"},
        "retrievals": {
            "idle": "not started",
            "running": "running",
            "ok": "done",
            "unavailable": "NAV is not answering now",
            "consent_required": "needs a new consent",
            "failed": "failed",
        },
        "data_heading": "Data from NAV",
        "data_about": "About {name}, national identity number {pid}, received {when} (Norwegian time).",
        "data_waiting": "We are fetching the data from NAV. This page updates itself.",
        "data_none": "We have not received any data from NAV for this claim.",
        "raw": "Show the data as NAV delivered it (JSON)",
        "show_rows": "Show all {n} rows",
        "see_data": "See the data from NAV",
        "see_claim": "See the claim",
        "thanks": "Thank you – your consent is registered",
        "thanks_text": "We are fetching the data from NAV now. You need not do anything more; the data and your "
        "claim are behind the link below.",
        "declined": "No consent",
        "declined_text": "You did not give your consent, so we fetch no data from NAV.",
        "bad_callback": "Invalid answer from the consent",
        "bad_pid": "Invalid national identity number",
        "no_pid": "pid (the national identity number) is missing.",
        "pid_length": "A national identity number has 11 digits.",
        "pid_digits": "The check digits of the national identity number are wrong.",
        "no_last_name": "Last name missing",
        "no_last_name_text": "Altinn needs your last name to show the consent (last_name).",
        "not_started": "The claim could not be started",
        "unknown_claim": "Unknown claim",
        "unknown_claim_text": "We find no claim with this link.",
        "broken": "Something went wrong",
        "broken_text": "An error occurred on our side. Please try again later.",
    },
}

LAYOUT = """<!doctype html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{% if refresh %}<meta http-equiv="refresh" content="{{ refresh }}; url={{ refresh_url }}">{% endif %}
<title>{{ title }} – {{ insurer }}</title>
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
<style>
  body { font: 17px/1.5 system-ui, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0; color: #1b1b1b;
         background: #f6f7f9; }
  header { background: #0b3d5c; color: #fff; padding: .8rem 1.5rem; display: flex; gap: 1rem; align-items: baseline; }
  header a { color: #fff; text-decoration: none; font-weight: 600; }
  header .lang { margin-left: auto; font-weight: 400; text-decoration: underline; }
  main { max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; }
  .card { background: #fff; border-radius: 6px; padding: 1.2rem 1.5rem; box-shadow: 0 1px 3px #0002;
          margin-bottom: 1rem; }
  table { border-collapse: collapse; width: 100%; font-size: .95rem; margin: .5rem 0 1rem; }
  caption { text-align: left; font-weight: 600; padding: .3rem 0; }
  th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #e3e5e8; vertical-align: top; }
  td.num { text-align: right; white-space: nowrap; }
  .state { font-weight: 600; }
  .error { border-left: 4px solid #b3261e; }
  .ok { border-left: 4px solid #1e7b34; }
  .facts p { margin: .3rem 0; }
  details { margin-top: .8rem; }
  summary { cursor: pointer; color: #0b5cab; font-weight: 600; }
  pre { background: #f0f2f4; padding: .8rem; overflow: auto; font-size: .8rem; max-height: 24rem; }
  label { display: inline-block; min-width: 12rem; }
  input { font: inherit; padding: .3rem; margin: .2rem 0; }
  button, .button { font: inherit; font-weight: 600; padding: .5rem 1.2rem; background: #0b3d5c; color: #fff;
                    border: 0; border-radius: 4px; text-decoration: none; display: inline-block; cursor: pointer; }
  a:focus, button:focus, summary:focus { outline: 3px solid #ffbf47; outline-offset: 2px; }
</style>
</head>
<body>
<header><a href="{{ url_for('index') }}">{{ insurer }}</a> <span>· {{ t.tagline }}</span>
  <a class="lang" id="switch-language" href="{{ switch_url }}" lang="{{ 'nb' if lang == 'en' else 'en' }}">
    {{- t.language }}</a></header>
<main>
{{ body|safe }}
</main>
</body>
</html>"""

INDEX = """
<div class="card">
  <h1>{{ t.start_heading }}</h1>
  <p>{{ t.start_intro }}</p>
  <form method="get" action="{{ url_for('start_claim') }}">
    <div><label for="pid">{{ t.pid }}</label>
      <input id="pid" name="pid" inputmode="numeric" maxlength="11" required></div>
    <div><label for="first_name">{{ t.first_name }}</label> <input id="first_name" name="first_name"></div>
    <div><label for="last_name">{{ t.last_name }}</label> <input id="last_name" name="last_name" required></div>
    <button type="submit">{{ t.start }}</button>
  </form>
</div>
<div class="card">
  <h2>{{ t.claims }}</h2>
  {% if claims %}
  <table>
    <tr><th>{{ t.claim }}</th><th>{{ t.person }}</th><th>{{ t.consent }}</th><th>{{ t.consent_ref }}</th>
      <th>{{ t.retrieval }}</th><th>{{ t.created }}</th></tr>
    {% for c in claims %}
    <tr>
      <td><a href="{{ url_for('show_claim', claim_id=c.id) }}">{{ c.id[:10] }}…</a></td>
      <td>{{ c.pid }}</td>
      <td class="state">{{ GENERATIONS.get(c.generation, c.generation) }}: {{ t.states.get(c.state, c.state) }}
        {%- if c.consent %} / {{ t.consent_states.get(c.consent, c.consent) }}{% endif %}</td>
      <td><code>{{ c.consent_id or c.authorization_code or '' }}</code></td>
      <td>{{ t.retrievals.get(c.retrieval, c.retrieval or '') }}
        {%- if c.data_arrived %} ({{ t.data_arrived }}){% endif %}</td>
      <td>{{ oslo(c.created) }}</td>
    </tr>
    {% endfor %}
  </table>
  {% else %}
  <p>{{ t.no_claims }}</p>
  {% endif %}
</div>
"""

CLAIM = """
<div class="card" id="data">
  <h1>{{ t.data_heading }}</h1>
  {% if sections %}
  <p id="data-about">{{ t.data_about.format(name=name, pid=claim.pid, when=oslo(summary.data_at)) }}</p>
  {% for s in sections %}
  <section class="facts" id="data-{{ s.kind }}">
    <h2>{{ s.heading }}</h2>
    {% for sentence in s.sentences %}<p>{{ sentence }}</p>{% endfor %}
    {% if s.rows %}
    {% if s.rows|length > FOLD_ROWS %}<details class="rows"><summary>{{ t.show_rows.format(n=s.rows|length) }}</summary>
    {% endif %}
    <table>
      <tr>{% for heading in s.columns %}<th>{{ heading }}</th>{% endfor %}</tr>
      {% for row in s.rows %}<tr>{% for cell in row %}
        <td{% if cell.numeric %} class="num"{% endif %}>{{ cell.text }}</td>{% endfor %}</tr>
      {% endfor %}
    </table>
    {% if s.rows|length > FOLD_ROWS %}</details>{% endif %}
    {% endif %}
  </section>
  {% endfor %}
  <details id="raw-data"><summary>{{ t.raw }}</summary><pre>{{ raw }}</pre></details>
  {% elif refresh %}
  <p id="data-waiting" role="status">{{ t.data_waiting }}</p>
  {% else %}
  <p id="data-none">{{ t.data_none }}</p>
  {% endif %}
</div>
<div class="card">
  <h2>{{ t.claim_title.format(id=claim.id) }}</h2>
  <p>{{ t.consent_in.format(generation=GENERATIONS.get(summary.generation, summary.generation)) }}
    {%- if summary.consent_id %},
    {{ t.consent_id }} <code>{{ summary.consent_id }}</code>{% elif summary.authorization_code %},
    {{ t.authorization_code }} <code>{{ summary.authorization_code }}</code>{% endif %}.</p>
  <table id="claim-facts">
    {% for label, value in facts %}<tr><th>{{ label }}</th><td>{{ value }}</td></tr>{% endfor %}
  </table>
</div>
"""

MESSAGE = """
<div class="card {{ css }}">
  <h1>{{ heading }}</h1>
  <p>{{ message }}</p>
  {% if details %}<ul>{% for d in details %}<li>{{ d }}</li>{% endfor %}</ul>{% endif %}
  {% if claim_id %}<p><a class="button" id="see-data" href="{{ url_for('show_claim', claim_id=claim_id) }}#data">
    {{- t.see_data if ok else t.see_claim }}</a></p>{% endif %}
  <p><a href="{{ url_for('index') }}">{{ t.home }}</a></p>
</div>
"""


GENERATIONS = {"altinn3": "Altinn 3", "altinn2": "Altinn 2"}
#: A longer table (a year of meldekort) is folded behind its summary sentence, one click away.
FOLD_ROWS = 8
#: While the data is on its way, the claim's page asks the browser to look again this often (seconds).
REFRESH_SECONDS = 2


def texts() -> dict:
    return TEXTS[page_language()]


def oslo(iso_text: str | None) -> str:
    """An ISO 8601 time as ``dd.mm.åååå kl. HH:MM`` (``at``) in Norwegian time; '' for none."""
    if not iso_text:
        return ""
    moment = datetime.fromisoformat(iso_text)
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(OSLO)
    return f"{local:%d.%m.%Y} {'at' if page_language() == 'en' else 'kl.'} {local:%H:%M}"


def page(insurer: str, title: str, template: str, *, refresh: int | None = None, **context) -> str:
    lang = page_language()
    t = TEXTS[lang]
    body = render_template_string(
        template, GENERATIONS=GENERATIONS, FOLD_ROWS=FOLD_ROWS, t=t, oslo=oslo, refresh=refresh, **context
    )
    return render_template_string(
        LAYOUT,
        title=title,
        insurer=insurer,
        body=body,
        lang=lang,
        t=t,
        switch_url=switch_url(lang),
        refresh=refresh,
        refresh_url=refresh_url() if refresh else None,
    )


def refresh_url() -> str:
    """Where a waiting page looks again: this page, named without a fragment. A refresh with no URL
    goes to the document's own URL, and when that has a fragment (the thanks page links to
    ``…#data``) the browser only scrolls to it and never asks the server again, so the page waits
    forever."""
    return request.full_path.removesuffix("?")


def message_page(insurer: str, heading: str, message: str, *, ok: bool = True, details=(), claim_id=None) -> str:
    return page(
        insurer,
        heading,
        MESSAGE,
        heading=heading,
        message=message,
        ok=ok,
        css="ok" if ok else "error",
        details=list(details),
        claim_id=claim_id,
    )


def claim_facts(claim: dict, summary: dict, t: dict) -> list[tuple[str, str]]:
    """The claim's state in labelled rows (no field names), the empty ones left out."""
    name = " ".join(x for x in (claim.get("first_name"), claim.get("last_name")) if x)
    rows = [
        (t["pid"], summary["pid"]),
        (t["name"], name),
        (t["state"], t["states"].get(summary["state"], summary["state"])),
        (t["consent_state"], t["consent_states"].get(summary["consent"], summary["consent"]) or ""),
        (t["consent_problem"], summary["consent_problem"] or ""),
        (t["created"], oslo(summary["created"])),
        (t["answered"], oslo(summary["answered"])),
        (t["retrieval"], t["retrievals"].get(summary["retrieval"], summary["retrieval"] or "")),
        (t["data_at"], oslo(summary["data_at"])),
        (t["attempts"], str(summary["attempts"])),
        (t["nav_calls"], str(summary["nav_calls"])),
        (t["fetches"], str(summary["fetches"])),
        (t["uses_logged"], str(summary["uses_logged"])),
        (t["last_error"], summary["last_error"] or ""),
    ]
    return [(label, value) for label, value in rows if value]


def claim_page(insurer: str, claim: dict, summary: dict, *, waiting: bool) -> str:
    """A claim: what NAV delivered (readable, the JSON behind a click), then the claim's state.
    ``waiting``: the data is still on its way, so the page looks again by itself."""
    lang = page_language()
    t = TEXTS[lang]
    name = " ".join(x for x in (claim.get("first_name"), claim.get("last_name")) if x) or claim["pid"]
    data = claim.get("data")
    return page(
        insurer,
        t["claim_title"].format(id=claim["id"][:10]),
        CLAIM,
        refresh=REFRESH_SECONDS if waiting and not data else None,
        claim=claim,
        summary=summary,
        name=name,
        sections=readable.sections(data, name, lang),
        raw=json.dumps(data, indent=2, ensure_ascii=False) if data else None,
        facts=claim_facts(claim, summary, t),
    )
