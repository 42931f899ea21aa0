"""Run a piece of work with a wall-clock limit, and stop it for real when the limit passes.

The work runs in a child process, so past the limit it can be killed (SIGKILL) and the caller's
thread, worker or CLI is free again at once; a thread could only be abandoned, still burning a
core. Children are forked from a ``forkserver``: a clean process started once, with pandas,
scikit-learn, matplotlib and the core already imported. Forking from it is safe in a process
that has threads (the bot's listener and workers), unlike a plain ``fork`` of the caller, and
costs a fork instead of a fresh interpreter per job.

Using it from a worker (the bot's queue)::

    from segmentation.deadline import call_with_time_limit, warm_up
    from segmentation.pipeline import run

    warm_up()  # optional, at worker start: the first job then pays no import time
    result = call_with_time_limit(run, data, options, filename=name, seconds=settings.timeout)

``fn`` and its arguments travel to the child by pickle, so ``fn`` must be a module-level
function (not a lambda or a closure); the result travels back the same way. As with any
multiprocessing start method but fork, a caller started as a script (``python script.py``) is
imported again in each child, so such a script needs the ``if __name__ == "__main__":`` guard;
``python -m package`` and console scripts are fine. A
:class:`~segmentation.errors.SegmentationError` raised in the child is raised again in the caller
with its sentence; any other exception is raised again as the same type (a bug), with the
child's traceback attached as its cause.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import threading
import traceback
from collections.abc import Callable
from multiprocessing import forkserver
from typing import Any, Literal, TypeVar

from segmentation.errors import TookTooLong

__all__ = ["DEFAULT_TIMEOUT_S", "call_with_time_limit", "set_start_method", "warm_up"]

T = TypeVar("T")

# Same default as the bot's SEGBOT_JOB_TIMEOUT_S: a million rows take under 5 s, so two
# minutes is only ever reached by something pathological.
DEFAULT_TIMEOUT_S = 120.0

# Imported once in the fork server, so that each child starts warm.
_PRELOAD = [
    "pandas",
    "sklearn.cluster",
    "sklearn.metrics",
    "pyarrow",
    "segmentation.pipeline",
    "segmentation.output.render",
    "segmentation.output.export",
    "segmentation.explain.report",
    "segmentation._preload",  # runs one small job there: first-use caches filled once
]
_lock = threading.Lock()
_context: multiprocessing.context.BaseContext | None = None


class _RemoteTraceback(Exception):
    """The child's traceback, attached as the cause of a bug raised again in the caller."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return self.text


def set_start_method(method: Literal["forkserver", "fork"]) -> None:
    """Choose how children start; call it before the first :func:`call_with_time_limit`.

    ``"forkserver"`` (the default) is right for any process with threads. ``"fork"`` suits a
    single-threaded process that has computed nothing yet (the CLI right after parsing its
    arguments): children are copies of it, with no second interpreter to start.
    """
    global _context
    if method not in ("forkserver", "fork"):
        raise ValueError(f"method must be 'forkserver' or 'fork', got {method!r}")
    with _lock:
        if method == "fork" and "fork" in multiprocessing.get_all_start_methods():
            _context = multiprocessing.get_context("fork")
        else:
            _context = None  # the default, built on first use


def _get_context() -> multiprocessing.context.BaseContext:
    global _context
    with _lock:
        if _context is None:
            if "forkserver" in multiprocessing.get_all_start_methods():
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(_PRELOAD)
            else:  # pragma: no cover - Windows: no fork at all
                context = multiprocessing.get_context("spawn")
            _context = context
        return _context


def warm_up() -> None:
    """Start the fork server now (about the time of importing the scientific stack), so the
    first call does not pay it. Calling it again does nothing."""
    if _get_context().get_start_method() == "forkserver":
        forkserver.ensure_running()


def call_with_time_limit(fn: Callable[..., T], /, *args: Any, seconds: float, **kwargs: Any) -> T:
    """Call ``fn(*args, **kwargs)`` in a child process; kill it if it runs past ``seconds``.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled to the child).
    *args, **kwargs
        Passed to ``fn``; they and the result must be picklable.
    seconds : float
        Wall-clock limit, from the start of the child to the first byte of its answer.

    Returns
    -------
    Whatever ``fn`` returned.

    Raises
    ------
    TookTooLong
        The limit passed; the child has been killed and reaped.
    SegmentationError
        Raised by ``fn`` in the child, with its sentence.
    Exception
        Any other exception of ``fn`` (a bug), raised again with the child's traceback as its
        cause; a child that died without answering (killed from outside, out of memory) gives
        a ``RuntimeError``.

    Examples
    --------
    >>> call_with_time_limit(divmod, 7, 2, seconds=30)
    (3, 1)
    """
    if not seconds > 0:
        raise ValueError(f"seconds must be positive, got {seconds!r}")
    context = _get_context()
    receive, send = context.Pipe(duplex=False)
    process = context.Process(  # type: ignore[attr-defined]
        target=_child, args=(send, fn, args, kwargs), daemon=True, name="segbot-job"
    )
    try:
        process.start()
        send.close()  # the child holds the only writer: its death means EOF here
        if not receive.poll(seconds):
            raise TookTooLong(
                f"This took longer than the limit of {_duration(seconds)}, so I stopped it. "
                "Try a smaller file (fewer rows or columns), or name the columns to segment on "
                "with columns=."
            )
        try:
            status, payload = receive.recv()
        except EOFError:
            code = process.join(5) or process.exitcode
            raise RuntimeError(
                f"the segmentation process ended without an answer (exit code {code})"
            ) from None
    finally:
        receive.close()
        if process.is_alive():
            process.kill()
        process.join()
        process.close()
    if status == "ok":
        return payload  # type: ignore[no-any-return]
    if status == "raised":
        error, text = payload
        raise error from _RemoteTraceback(text)
    raise RuntimeError(payload)


def _child(
    send: multiprocessing.connection.Connection,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    try:
        message: tuple[str, Any] = ("ok", fn(*args, **kwargs))
    except BaseException as exc:  # everything travels back; the caller decides
        message = ("raised", (exc, traceback.format_exc()))
    try:
        send.send(message)
    except Exception as exc:  # the result or the exception could not be pickled
        what = type(message[1][0]).__name__ if message[0] == "raised" else "the result"
        send.send(("failed", f"{what} could not be sent back from the child ({exc!r})"))
    finally:
        send.close()


def _duration(seconds: float) -> str:
    if seconds >= 120 and seconds % 60 == 0:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} second" + ("" if seconds == 1 else "s")
