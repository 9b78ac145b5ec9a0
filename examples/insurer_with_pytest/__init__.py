"""A small insurer integration tested with dsop-sandbox's pytest fixtures: the worked example an
insurer copies (README, «Testing your integration with pytest»).

* :mod:`.claims`: the integration (Altinn 3 consent, then NAV's data with the consent in the
  Maskinporten token), as a Flask app with a start page, Altinn's callback and a fetch.
* ``test_claims.py``: its tests, with the fixtures ``dsop_sandbox``, ``dsop_insurer`` and
  ``dsop_citizen``: consent, fetch, reuse, revocation and NAV down. Copy it beside your own
  integration, ``pip install dsop-sandbox pytest``, and run ``pytest``.
"""
