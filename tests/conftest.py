"""Shared test helpers. TensorFlow is imported at most once per test process."""

from collections import defaultdict

import pytest

# Largest |engine - reference| seen per comparison, reported at the end of the run.
MAX_DIFFERENCES: dict[str, float] = defaultdict(float)


def record_difference(name: str, value: float) -> None:
    """Remember the largest difference seen for ``name``."""
    MAX_DIFFERENCES[name] = max(MAX_DIFFERENCES[name], float(value))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if MAX_DIFFERENCES:
        terminalreporter.section("largest differences")
        for name, value in sorted(MAX_DIFFERENCES.items()):
            terminalreporter.write_line(f"{name}: {value:.3g}")
