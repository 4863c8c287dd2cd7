"""Where the engine runs: one interface, two implementations.

The web tier (validation, caching, HTTP) hands a prepared request to an ``Executor`` and gets the
engine's arrays back. ``local`` (the default) runs the engine on one thread of this process;
``ray`` runs it on Ray Serve replicas, each with its own TensorFlow and device.
"""

from app.executors.base import EngineRun, Executor
from app.settings import Settings


def make_executor(settings: Settings) -> Executor:
    """The executor the settings name (``executor``). Ray is imported only for ``ray``: the
    default needs nothing beyond this process."""
    if settings.executor == "ray":
        try:
            from app.executors.ray import RayExecutor
        except ImportError as error:
            raise RuntimeError(
                "setting executor=ray needs Ray Serve: pip install -e '.[ray]'"
            ) from error
        return RayExecutor(settings)
    from app.executors.local import LocalExecutor

    return LocalExecutor(settings)


__all__ = ["EngineRun", "Executor", "make_executor"]
