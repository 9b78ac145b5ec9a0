"""Altinn 3 consent (Access Management) beside Altinn 2, on the same base URL.

Routes:

* :mod:`.enterprise` — ``/accessmanagement/api/v1/enterprise/consentrequests`` (create, read, events feed)
* :mod:`.lookup` — ``/accessmanagement/api/v1/maskinporten/consent/lookup`` (Maskinporten's only)
* :mod:`.citizen` — the consent page ``/accessmanagement/ui/consent/request?id=`` and the citizen's
  active consents ``/accessmanagement/ui/consent/active`` (revoke)
* :mod:`.fixtures` — admin fixtures under ``/_sandbox/altinn3/consents``

Parts: :mod:`.auth` (Maskinporten tokens), :mod:`.body` and :mod:`.binding` (reading bodies as
ASP.NET binds them), :mod:`.request_rules` (Access Management's rules, and the sandbox's own),
:mod:`.consents` (the store and its transitions), :mod:`.dto` (the wire shapes), :mod:`.problems`
(the error shape and every code), :mod:`.urns` and :mod:`.parties` (party URNs and who they are),
:mod:`.consent_text`, :mod:`.answer_redirect` and :mod:`.texts` (what the citizen sees).

This package's ``__init__`` imports nothing: the service runtime imports its store.
"""
