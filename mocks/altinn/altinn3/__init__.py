"""Altinn 3 consent (Access Management) beside Altinn 2, on the same base URL.

* ``enterprise``: ``/accessmanagement/api/v1/enterprise/consentrequests`` (create, read, events feed)
* ``lookup``: ``/accessmanagement/api/v1/maskinporten/consent/lookup`` (Maskinporten's only)
* ``citizen``: the consent page ``/accessmanagement/ui/consent/request?id=`` and the citizen's
  active consents ``/accessmanagement/ui/consent/active`` (revoke)
* ``fixtures``: admin fixtures under ``/_sandbox/altinn3/consents``

This package's ``__init__`` stays empty of imports: the service runtime imports its store.
"""
