"""The ``kit`` command as a whole: what starting it loads, and its mode choices."""

from __future__ import annotations

import subprocess
import sys

from kit import cli
from kit.simulate import MODES


def test_mode_choices_are_the_simulators_modes() -> None:
    """The --mode choices spelt out in the command line are the simulator's."""
    assert cli.MODES == MODES


def test_starting_the_command_loads_no_stage() -> None:
    """Importing the command line imports no stage and none of their heavy libraries."""
    heavy = ("kit.portfolio", "kit.runlog", "kit.estimate", "kit.simulate", "numba")
    script = (
        "import sys, kit.cli; "
        f"print(' '.join(name for name in {heavy!r} if name in sys.modules))"
    )

    loaded = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout.split()

    assert loaded == []
