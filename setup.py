"""Which folder of the repository becomes which import package.

The repository keeps its folders by role (``sandbox/``, ``mocks/``, ``scenarios/``,
``conformance/``, ``examples/``); installed, they all live under the one import name
``dsop_sandbox``, so that the project never puts a generic top-level package (``examples``,
``scenarios``…) into an insurer's environment. Everything else is in ``pyproject.toml``.
"""

from setuptools import find_packages, setup

#: import package -> folder (the folder's subpackages follow it)
ROOTS = {
    "dsop_sandbox": "sandbox",
    "dsop_sandbox.mocks": "mocks",
    "dsop_sandbox.people": "scenarios",
    "dsop_sandbox.conformance": "conformance",
    "dsop_sandbox.examples": "examples",
}

packages = []
for package, folder in ROOTS.items():
    packages += [package] + [f"{package}.{sub}" for sub in find_packages(folder)]

setup(package_dir=ROOTS, packages=packages)
