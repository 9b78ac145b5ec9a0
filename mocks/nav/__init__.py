"""The NAV API fake: the DSOP APIs (uføretrygd, AAP vedtak and meldekort), the disclosure log and
the citizen's innsyn.

A consent reaches NAV in one of two ways. Altinn 3: inside the Maskinporten access token, as an
``authorization_details`` entry of type ``urn:altinn:consent`` for the resource
``nav_samtykke_dsop_aap-ufore`` (:mod:`.altinn3_consent`). Altinn 2: a consent token from Altinn in
the ``NAV-Samtykke-Token`` header (:mod:`.altinn2_consent`). The uføre API documents that header
as "kun for Altinn 2" and optional since January 2026 (navikt/pensjon-ekstern-api,
``docs/api/uforeopplysninger/apidocUforeopplysninger.yaml``), so when the access token carries an
Altinn 3 consent NAV answers from that consent and does not read the header, even when it is sent
(the event notes ``consent_header: "ignored"``); a refused Altinn 3 consent is not rescued by a
header.
"""

from .app import create_app

__all__ = ["create_app"]
