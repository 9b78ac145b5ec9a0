"""The insurer's few web pages (Norwegian, as the citizen sees them), as Jinja templates that
Flask autoescapes."""

from __future__ import annotations

from flask import render_template_string

LAYOUT = """<!doctype html>
<html lang="nb">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} – {{ insurer }}</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #f6f7f9; }
  header { background: #0b3d5c; color: #fff; padding: .8rem 1.5rem; }
  header a { color: #fff; text-decoration: none; font-weight: 600; }
  main { max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; }
  .card { background: #fff; border-radius: 6px; padding: 1.2rem 1.5rem; box-shadow: 0 1px 3px #0002;
          margin-bottom: 1rem; }
  table { border-collapse: collapse; width: 100%; font-size: .9rem; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #e3e5e8; vertical-align: top; }
  .state { font-weight: 600; }
  .error { border-left: 4px solid #b3261e; }
  .ok { border-left: 4px solid #1e7b34; }
  pre { background: #f0f2f4; padding: .8rem; overflow: auto; font-size: .8rem; }
  label { display: inline-block; min-width: 8rem; }
  input { padding: .3rem; margin: .2rem 0; }
  button { padding: .4rem 1rem; }
</style>
</head>
<body>
<header><a href="{{ url_for('index') }}">{{ insurer }}</a> · referanseintegrasjon for DSOP</header>
<main>
{{ body|safe }}
</main>
</body>
</html>"""

INDEX = """
<div class="card">
  <h1>Meld en sak</h1>
  <p>Start en sak som trenger opplysninger fra NAV. Du blir sendt til Altinn for å gi samtykke.</p>
  <form method="get" action="{{ url_for('start_claim') }}">
    <div><label for="pid">Fødselsnummer</label>
      <input id="pid" name="pid" inputmode="numeric" maxlength="11" required></div>
    <div><label for="first_name">Fornavn</label> <input id="first_name" name="first_name"></div>
    <div><label for="last_name">Etternavn</label> <input id="last_name" name="last_name" required></div>
    <button type="submit">Start sak</button>
  </form>
</div>
<div class="card">
  <h2>Saker</h2>
  {% if claims %}
  <table>
    <tr><th>Sak</th><th>Person</th><th>Samtykke</th><th>Samtykke-id / kode</th><th>Henting fra NAV</th>
      <th>Opprettet</th></tr>
    {% for c in claims %}
    <tr>
      <td><a href="{{ url_for('show_claim', claim_id=c.id) }}">{{ c.id[:10] }}…</a></td>
      <td>{{ c.pid }}</td>
      <td class="state">{{ GENERATIONS.get(c.generation, c.generation) }}: {{ c.state }}{% if c.consent %}
        / {{ c.consent }}{% endif %}</td>
      <td><code>{{ c.consent_id or c.authorization_code or '' }}</code></td>
      <td>{{ c.retrieval or '' }}{% if c.data_arrived %} (data mottatt){% endif %}</td>
      <td>{{ c.created }}</td>
    </tr>
    {% endfor %}
  </table>
  {% else %}
  <p>Ingen saker ennå.</p>
  {% endif %}
</div>
"""

CLAIM = """
<div class="card">
  <h1>Sak {{ claim.id }}</h1>
  <p>Samtykke i {{ GENERATIONS.get(summary.generation, summary.generation) }}{% if summary.consent_id %},
    samtykke-id <code>{{ summary.consent_id }}</code>{% elif summary.authorization_code %},
    autorisasjonskode <code>{{ summary.authorization_code }}</code>{% endif %}.</p>
  <table>
    {% for key, value in summary.items() %}
    <tr><th>{{ key }}</th><td>{{ value if value is not none else '' }}</td></tr>
    {% endfor %}
  </table>
</div>
{% if data %}
<div class="card">
  <h2>Opplysninger fra NAV</h2>
  <pre>{{ data }}</pre>
</div>
{% endif %}
"""

MESSAGE = """
<div class="card {{ css }}">
  <h1>{{ heading }}</h1>
  <p>{{ message }}</p>
  {% if details %}<ul>{% for d in details %}<li>{{ d }}</li>{% endfor %}</ul>{% endif %}
  {% if claim_id %}<p><a href="{{ url_for('show_claim', claim_id=claim_id) }}">Se saken</a></p>{% endif %}
  <p><a href="{{ url_for('index') }}">Til forsiden</a></p>
</div>
"""


GENERATIONS = {"altinn3": "Altinn 3", "altinn2": "Altinn 2"}


def page(insurer: str, title: str, template: str, **context) -> str:
    body = render_template_string(template, GENERATIONS=GENERATIONS, **context)
    return render_template_string(LAYOUT, title=title, insurer=insurer, body=body)


def message_page(insurer: str, heading: str, message: str, *, ok: bool = True, details=(), claim_id=None) -> str:
    return page(
        insurer,
        heading,
        MESSAGE,
        heading=heading,
        message=message,
        css="ok" if ok else "error",
        details=list(details),
        claim_id=claim_id,
    )
