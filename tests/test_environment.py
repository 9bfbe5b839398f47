"""The conda environment file and pyproject.toml name the same dependencies."""

from __future__ import annotations

import re
import sys

import yaml

from tests.conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def _name_and_bound(requirement: str) -> tuple[str, str]:
    requirement = requirement.split(";")[0].strip()
    match = re.match(r"([A-Za-z0-9_.-]+)\s*(.*)", requirement)
    assert match, requirement
    return match.group(1).lower(), match.group(2).replace(" ", "")


def test_environment_yml_matches_pyproject() -> None:
    """Every pinned lower bound in pyproject.toml appears in environment.yml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {
        _name_and_bound(requirement)
        for requirement in project["dependencies"]
        + project["optional-dependencies"]["dev"]
        if "python_version" not in requirement
    }
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    declared = {
        _name_and_bound(entry)
        for entry in environment["dependencies"]
        if isinstance(entry, str) and not entry.startswith(("python", "pip"))
    }
    assert declared == wanted


def test_environment_installs_the_kit_itself() -> None:
    """The conda environment installs the package in editable mode through pip."""
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_entries = [
        entry for entry in environment["dependencies"] if isinstance(entry, dict)
    ]
    assert pip_entries == [{"pip": ["-e ."]}]
