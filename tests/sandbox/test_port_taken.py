"""A port another program holds stops the start with one clear error naming the service and the
port, and leaves nothing bound or running (the supervisor's bind-first start must not turn it into
a traceback about the servers that never bound)."""

from __future__ import annotations

import socket

import pytest

from dsop_sandbox.launcher import Sandbox, StartupError
from dsop_sandbox.mocks.common.settings import SERVICE_NAMES
from tests.conftest import free_port_settings


def test_a_port_in_use_is_a_startup_error_naming_it(tmp_path):
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    taken = holder.getsockname()[1]
    try:
        ports = {name: {"port": taken if name == "nav" else 0} for name in SERVICE_NAMES}
        sandbox = Sandbox(free_port_settings(tmp_path / "state", services=ports))
        with pytest.raises(StartupError, match=f"cannot bind nav to port {taken}"):
            sandbox.start()
        assert sandbox.servers == {}  # the ones bound before it were closed again
    finally:
        holder.close()
