"""The whole DSOP chain as pytest fixtures, for an insurer's own tests (README, «Testing your
integration with pytest»).

Installing the package registers :mod:`.plugin` through the ``pytest11`` entry point. It imports
nothing but pytest until a fixture is requested or ``--dsop-conform`` is given:

* :mod:`.plugin`: the hooks, the ``--dsop-conform`` options and the fixtures (``dsop_sandbox``,
  ``dsop_insurer``, ``dsop_citizen`` and the plain helpers).
* :mod:`.running`: :class:`~.running.DsopSandbox`, every fake in this process on free ports.
* :mod:`.insurer`: :class:`~.insurer.RegisteredInsurer`, a registration with its files.
* :mod:`.citizen`: :class:`~.citizen.ScriptedCitizen`, the suite's requests browser as a person.
* :mod:`.wsgi_adapter`: lets the citizen reach an insurer app in this process, without a port.
* :mod:`.conform`: the suite's requirements as test items.
"""
