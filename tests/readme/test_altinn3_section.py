"""The README's Altinn 3 section, run as an insurer would run it: ``register-insurer`` as its shell
block says, then every Python block of the section, in order, as one script in a fresh process
against a fresh sandbox. The script imports nothing of the sandbox; it creates a consent request,
plays the citizen who accepts, gets a Maskinporten token carrying the consent, fetches uføre and AAP
data from NAV with that token alone, revokes, and moves the calendar three years."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from dsop_sandbox.launcher import Sandbox
from tests.conftest import INSURER_NAME, INSURER_ORG, REDIRECT_URI, free_port_settings

pytestmark = pytest.mark.slow
README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Altinn 3 consent, end to end"
#: What the script may import: the standard library and the three libraries the section names.
ALLOWED = {"jwt", "requests", "cryptography"}


def section_script() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.index("\n## ", start + len(SECTION))
    blocks = re.findall(r"```python\n(.*?)```", text[start:end], re.S)
    assert len(blocks) >= 5, "the section's code blocks"
    return "\n\n".join(blocks)


def test_the_script_imports_nothing_of_the_sandbox():
    imported = set()
    for node in ast.walk(ast.parse(section_script())):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported - ALLOWED <= set(sys.stdlib_module_names), imported
    assert imported >= ALLOWED  # the three the section names, and they are enough


def test_the_readme_section_runs_against_a_fresh_sandbox(tmp_path):
    script = tmp_path / "altinn3.py"
    script.write_text(section_script(), encoding="utf-8")
    with Sandbox(free_port_settings(tmp_path / "state")) as sandbox:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DSOP_SANDBOX__")}
        env.pop("PYTHONPATH", None)
        registered = subprocess.run(
            [sys.executable, "-m", "dsop_sandbox.cli", "register-insurer", "--org", INSURER_ORG, "--name", INSURER_NAME,
             "--redirect-uri", REDIRECT_URI, "--out", "insurer/", "--control-url", sandbox.url("control")],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert registered.returncode == 0, registered.stderr
        # The script runs in an interpreter that has the libraries but not the sandbox on its path.
        env["DSOP_CONTROL_URL"] = sandbox.url("control")
        done = subprocess.run(
            [sys.executable, "-S", "-c", f"import sys; sys.path.append({sysconfig.get_paths()['purelib']!r}); "
             f"exec(compile(open({str(script)!r}).read(), {str(script)!r}, 'exec'))"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "1. consent request" in out and "Created" in out
    assert "?claim=42&Status=OK" in out
    assert "'value': 'nav_samtykke_dsop_aap-ufore'" in out
    assert "/dsop-ufo/uforeopplysninger -> ['status'" in out and "/dsop-aap/v1/vedtak -> ['uttrekksperiode'" in out
    assert "3. revoked" in out and "AM-00011" in out
    assert "4. three years on" in out and "AM-00013" in out and "SAMTYKKE_IKKE_GITT" in out
