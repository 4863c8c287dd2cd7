"""Where the engine runs: one interface, two implementations.

The web tier (validation, caching, HTTP) hands a prepared request to an ``Executor`` and gets the
engine's arrays back. ``local`` (the default) runs the engine on one thread of this process;
``ray`` runs it on Ray Serve replicas, each with its own TensorFlow and device.
"""

from app.executors.base import EngineRun, Executor
from app.settings import Settings


def make_executor(settings: Settings) -> Executor:
    """The executor the settings name (``executor``)."""
    from app.executors.local import LocalExecutor

    return LocalExecutor(settings)


__all__ = ["EngineRun", "Executor", "make_executor"]
