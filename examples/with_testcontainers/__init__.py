"""dsop-sandbox's image in an insurer's tests through Testcontainers (testcontainers-python): the
recipe the README gives for Java/Kotlin (``GenericContainer``) and .NET (``ContainerBuilder``) too.

* :mod:`.container`: the container: the image with every service, on host ports picked before it
  starts, waited on at the health endpoints; its admin token.
* ``test_claims_in_a_container.py``: registers an insurer and runs a consent-and-fetch flow of the
  example integration (:mod:`dsop_sandbox.examples.insurer_with_pytest.claims`) against it.

The browser-facing URLs (ID-porten's login page, Altinn's consent page) must work from the host, so
each service runs inside on the same port number the host reaches it by, and hands out URLs on
``public_host`` (the host Testcontainers names): one port number on both sides of the mapping.
"""
