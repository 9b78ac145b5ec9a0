"""The ``workers`` setting and the supervisor's respawn pause, in this process (no worker is forked)."""

from __future__ import annotations

import pytest

from dsop_sandbox import cli
from dsop_sandbox.mocks.common.settings import MAX_WORKERS, Settings, SettingsError, usable_cores
from dsop_sandbox.supervisor import FIRST_PAUSE, LONGEST_PAUSE, QUICK_DEATH, Slot, Supervisor


def test_workers_default_to_the_usable_cores_and_come_from_file_environment_and_command_line(tmp_path):
    assert Settings.load(environ={}).workers == usable_cores() >= 1
    config = tmp_path / "sandbox.toml"
    config.write_text("workers = 3\n")
    assert Settings.load(config, environ={}).workers == 3
    assert Settings.load(config, environ={"DSOP_SANDBOX__WORKERS": "5"}).workers == 5
    parsed = cli.build_parser().parse_args(["up", "--workers", "1"])
    assert parsed.workers == 1
    assert cli.build_parser().parse_args(["serve", "nav"]).workers is None  # then the setting decides


@pytest.mark.parametrize("value", [0, -1, MAX_WORKERS + 1, "two", True])
def test_a_worker_count_out_of_range_or_not_a_number_is_refused(value):
    with pytest.raises(SettingsError, match="workers"):
        Settings.load(environ={}, overrides={"workers": value})


def test_up_with_zero_workers_says_so_and_exits_2(capsys):
    assert cli.main(["up", "--workers", "0"]) == 2
    assert "bad settings: workers must be 1-" in capsys.readouterr().err


class Quiet:
    """The supervisor's view of a sandbox that was never prepared."""

    services = ("nav",)

    def stop(self) -> None:
        pass


def test_a_worker_that_dies_at_once_is_replaced_after_a_pause_that_doubles_up_to_a_limit(capsys):
    supervisor = Supervisor(Quiet(), 2)
    slot = Slot(1)
    pauses = []
    now = 1000.0
    for _ in range(8):
        slot.started = now - QUICK_DEATH / 2  # died soon after its start
        supervisor._schedule(slot, "exit code 1", now)
        pauses.append(round(slot.due - now, 3))
    assert pauses == [min(FIRST_PAUSE * 2**n, LONGEST_PAUSE) for n in range(8)]
    assert pauses[-1] == LONGEST_PAUSE
    slot.started = now - QUICK_DEATH * 10  # served a while, then died: replaced at once
    supervisor._schedule(slot, "signal 9", now)
    assert (slot.due, slot.quick_deaths) == (now, 0)
    assert "worker 1 (nav) ended (signal 9); a new one starts\n" in capsys.readouterr().err
    supervisor.stop()
