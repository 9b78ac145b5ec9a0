"""One service per OS process: the topology of ``docker-compose.yml``, also runnable without Docker.

Two views of the same description, each in its own module:

* :class:`~dsop_sandbox.topology.processes.ProcessTopology` first runs the key authority's init
  step (``dsop-sandbox keys init``), makes the key directory read-only, then starts every service
  as its own ``python -m dsop_sandbox.cli serve NAME`` process on its own port, all sharing one
  state directory and one generated settings TOML.
* :func:`~dsop_sandbox.topology.compose.compose_document` is the same topology as a Docker Compose
  document; ``docker-compose.yml`` at the repository root is its rendering
  (``python -m dsop_sandbox.topology > docker-compose.yml``), and a test keeps them equal.

Both take their settings from :func:`~dsop_sandbox.topology.settings_tree.topology_settings`, one
nested dict that becomes a TOML file for the processes and ``DSOP_SANDBOX__…`` variables for the
containers.
"""

from ..ports import free_ports
from .compose import compose_document, render_compose
from .processes import ProcessTopology
from .settings_tree import (
    init_arguments,
    serve_arguments,
    settings_environment,
    settings_toml,
    topology_settings,
)

__all__ = [
    "ProcessTopology",
    "compose_document",
    "free_ports",
    "init_arguments",
    "render_compose",
    "serve_arguments",
    "settings_environment",
    "settings_toml",
    "topology_settings",
]
