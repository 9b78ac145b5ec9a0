"""The package as an insurer installs it: a wheel whose one import name is ``dsop_sandbox``,
installed into a fresh virtual environment inside a project that has packages of its own named
``examples`` and ``scenarios``, and the sandbox running from there.

The wheel is built from a copy of exactly what the Dockerfile copies (setup.py's folders, the two
packaging files, the README). The fresh environment gets the wheel without its dependencies; those
come from the test environment's site-packages, appended to its path by a ``.pth`` file, so the
test needs no network and the package itself is what is tested.
"""

from __future__ import annotations

import ast
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import requests

from dsop_sandbox.mocks.common.settings import SERVICE_NAMES
from tests.sandbox.test_cli import Running, cli_env

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def package_folders() -> list[str]:
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "ROOTS" for t in node.targets):
            return list(ast.literal_eval(node.value).values())
    raise AssertionError("setup.py has no ROOTS")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for folder in package_folders():
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-cache-dir", "-q",
         "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    [found] = out.glob("dsop_sandbox-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed (dependencies from the test environment)."""
    home = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(home)], check=True, timeout=120)
    python = home / "bin" / "python"
    own = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    Path(own, "zz-test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return home


@pytest.fixture(scope="module")
def user_project(tmp_path_factory) -> Path:
    """An insurer's project with generic package names of its own."""
    project = tmp_path_factory.mktemp("insurer-project")
    for package in ("examples", "scenarios", "mocks", "conformance", "sandbox"):
        (project / package).mkdir()
        (project / package / "__init__.py").write_text(f'OWNER = "the insurer\'s own {package}"\n')
    return project


def user_env() -> dict:
    """The test environment without anything that would put this repository on the path."""
    env = cli_env({"DSOP_SANDBOX__REFERENCE_INSURER__PORT": "0"})
    env.pop("PYTHONPATH", None)
    return env


def test_the_wheel_holds_one_top_level_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/", 1)[0] for name in names} == {"dsop_sandbox", f"{wheel.name.split('-py')[0]}.dist-info"}
    # the pages and reports need their templates and styles
    for needed in (
        "dsop_sandbox/mocks/idporten/templates/login.html",
        "dsop_sandbox/mocks/altinn/citizen/templates/services/nav_5252.html",
        "dsop_sandbox/mocks/nav/innsyn/templates/innsyn_list.html",
        "dsop_sandbox/dashboard/templates/walkthrough.html",
        "dsop_sandbox/conformance/reports/report.css",
    ):
        assert needed in names, needed
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "dsop-sandbox = dsop_sandbox.cli:main" in entry_points


def test_it_imports_beside_packages_named_like_the_repositorys_folders(venv, user_project):
    probe = (
        "import examples, scenarios, mocks, conformance, sandbox, dsop_sandbox, dsop_sandbox.mocks.nav\n"
        "print(examples.OWNER); print(scenarios.OWNER); print(mocks.OWNER); print(sandbox.OWNER)\n"
        "print(dsop_sandbox.__file__); print(dsop_sandbox.mocks.nav.__file__)"
    )
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe], cwd=user_project, env=user_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:4] == [f"the insurer's own {name}" for name in ("examples", "scenarios", "mocks", "sandbox")]
    assert all(line.startswith(str(venv)) for line in lines[4:]), lines  # the installed copy, not this repository


def test_the_sandbox_runs_from_the_installed_wheel(venv, user_project, tmp_path):
    env = user_env()
    running = Running("up", "--ephemeral", "--with-insurer", env=env, command=[str(venv / "bin" / "dsop-sandbox")],
                      cwd=user_project)  # fmt: skip
    try:
        assert set(SERVICE_NAMES) <= set(running.urls), "".join(running.lines)
        with requests.Session() as http:
            http.trust_env = False
            pages = {
                "control": ("/", "/walkthrough"),
                "nav": ("/openapi.json", "/person/personopplysninger/dsop"),
                "altinn": ("/ui/Profile/Consents",),
                "idporten": ("/.well-known/openid-configuration",),
            }
            for service, paths in pages.items():
                for path in paths:
                    answer = http.get(running.urls[service] + path, timeout=10)
                    assert answer.status_code in (200, 302), (service, path, answer.status_code, answer.text[:300])
            profiles = [line.split("profile ", 1)[1].strip() for line in running.lines if "    profile " in line]
            profile = profiles[0]  # the Altinn 3 reference insurer, judged by the Altinn 3 catalogue
            report = tmp_path / "report.html"
            conform = subprocess.run(
                [str(venv / "bin" / "dsop-sandbox"), "conform", "--insurer", profile, "--scenario", "consent_granted",
                 "--control-url", running.urls["control"], "--html", str(report)],
                cwd=user_project, env=env, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert conform.returncode == 0, conform.stdout + conform.stderr
            assert "DSOP-CONSENT-REQUEST" in report.read_text(encoding="utf-8")
    finally:
        assert running.stop(signal.SIGINT) == 0, running.rest
    assert not any(str(ROOT) in line for line in running.lines), "ran this repository's code, not the wheel's"
    assert os.path.isdir(venv / "lib")


def test_the_pytest_fixtures_work_from_the_installed_wheel(venv, tmp_path):
    """Issue 17: the worked example's test file dropped into an empty project, and ``pytest``: the
    plugin comes from the wheel's ``pytest11`` entry point, with no other set-up."""
    example = ROOT / "examples" / "insurer_with_pytest" / "test_claims.py"
    shutil.copy2(example, tmp_path / "test_claims.py")
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
        cwd=tmp_path, env=user_env(), capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout, done.stdout[-2000:]
    assert str(ROOT) not in done.stdout, "ran this repository's code, not the wheel's"
