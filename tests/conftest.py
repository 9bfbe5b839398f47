"""Shared test settings: where the fixtures and the public corpus live."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared"
MULE_CORPUS = SHARED / "corpus" / "mule-public"
LOG_CORPUS = SHARED / "corpus" / "mule-logs-public"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite expected outputs of golden fixtures (review the diff!)",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def sample_report(tmp_path_factory: pytest.TempPathFactory):
    """The bundled portfolio's whole report, built once per test process (slow).

    Tests that use it carry ``@pytest.mark.xdist_group("report")`` so that one
    worker builds it once.
    """
    from kit.report import Sources, build_report

    out = tmp_path_factory.mktemp("report")
    return build_report(Sources.bundled(), out, parameters={"max_consumers": 8})
