"""Execute notebooks headlessly, each in a fresh kernel, several at a time, with progress.

The kernels' messages are relayed by one event loop that runs in a thread of its own. Ctrl-C
therefore always reaches the main thread as a plain ``KeyboardInterrupt``, wherever the
notebooks are (a kernel starting, a cell running, a kernel shutting down): the main thread
cancels the loop's work, whose clean-up shuts every kernel down, and re-raises
``KeyboardInterrupt``. (In the loop's own thread a Ctrl-C would land wherever the loop
happened to be: nbclient's handler tears a starting kernel down under its own feet and the
run ends in an ``asyncio.CancelledError`` traceback instead.)
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import nbformat

from .._util.checks import check_int

__all__ = ["HEARTBEAT_SECONDS", "NotebookError", "execute_many", "execute_notebook"]

#: A notebook that runs longer than this says so again (cell and time), this often.
HEARTBEAT_SECONDS = 60.0
# After Ctrl-C, how long the kernels get to shut down before the interrupt is raised anyway.
_SHUTDOWN_SECONDS = 20.0


class NotebookError(RuntimeError):
    """A notebook failed to execute; the message names the notebook, the cell and the error."""


def execute_notebook(
    path: Path, *, timeout: int = 3600, kernel_name: str = "python3"
) -> nbformat.NotebookNode:
    """Execute a notebook in a fresh kernel in its own folder; return it with outputs.

    Parameters
    ----------
    path : path
        A ``.ipynb`` file; it runs with its own folder as working directory.
    timeout : int
        Seconds allowed per cell (default an hour: a training cell on two busy cores
        takes minutes; the limit is there to stop a cell that hangs).
    kernel_name : str
        An installed Jupyter kernel.

    Returns
    -------
    nbformat.NotebookNode
        The notebook with its outputs (the file is not changed).

    Raises
    ------
    ValueError
        The file is not a valid notebook (the message names it), or the kernel is unknown.
    NotebookError
        Naming the notebook, the failing cell (1-based, markdown cells counted) and the
        error, on one line; a cell that runs past ``timeout`` seconds says so.
    KeyboardInterrupt
        On Ctrl-C, once the kernel is shut down.
    """
    path = notebook_path("path", path)
    timeout = check_int("timeout", timeout, minimum=1)
    check_kernel(kernel_name)
    return execute_many([(path, read_notebook(path))], timeout=timeout, kernel_name=kernel_name)[0]


def notebook_path(name: str, path: object) -> Path:
    """``path`` as a Path to an existing ``.ipynb`` file, or a TypeError/ValueError naming it."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path to a .ipynb file, got {path!r}")
    path = Path(path)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(f"{name}: {str(path)!r} is not an existing .ipynb file")
    return path


def check_kernel(kernel_name: object) -> None:
    """The Jupyter kernel must be installed: checked before anything runs."""
    if not isinstance(kernel_name, str) or not kernel_name:
        raise TypeError(f"kernel_name must be a kernel's name (a str), got {kernel_name!r}")
    from jupyter_client.kernelspec import KernelSpecManager

    known = KernelSpecManager().find_kernel_specs()
    if kernel_name not in known:
        raise ValueError(
            f"kernel_name {kernel_name!r} is not installed; installed: {sorted(known)}"
        )


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read and validate a notebook; any problem is a ValueError that names the file."""
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # not JSON, wrong schema, unreadable: all the user's file
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ValueError(f"notebook {str(path)!r} is not a valid notebook: {detail}") from None
    return nb


def execute_many(
    books: Sequence[tuple[Path, nbformat.NotebookNode]],
    *,
    timeout: int,
    kernel_name: str,
    jobs: int = 1,
    started: Callable[[int], None] | None = None,
    finished: Callable[[int, float], None] | None = None,
    running: Callable[[int, str, float], None] | None = None,
) -> list[nbformat.NotebookNode]:
    """Execute notebooks, up to ``jobs`` at a time, each in a fresh kernel in its own folder.

    The first notebook to fail stops the others. Progress callbacks (called from the loop's
    thread): ``started(i)`` when notebook ``i`` gets its kernel, ``finished(i, seconds)``
    when its last cell is done, and ``running(i, where, seconds)`` every
    :data:`HEARTBEAT_SECONDS` while it runs (``where`` says which cell, e.g.
    ``"code cell 7 of 31"``).

    Raises
    ------
    NotebookError
        The first notebook that failed, its cell and the error, on one line.
    KeyboardInterrupt
        On Ctrl-C, after every kernel was shut down (or after a bounded wait).
    """
    import asyncio

    books = _check_books(books)
    timeout = check_int("timeout", timeout, minimum=1)
    jobs = check_int("jobs", jobs, minimum=1)
    check_kernel(kernel_name)
    for name, value in (("started", started), ("finished", finished), ("running", running)):
        if value is not None and not callable(value):
            raise TypeError(f"{name} must be a callable or None, got {value!r}")
    outcome: dict[str, Any] = {}
    ready, done = threading.Event(), threading.Event()
    state: dict[str, Any] = {}

    async def main() -> list[nbformat.NotebookNode]:
        state["loop"], state["task"] = asyncio.get_running_loop(), asyncio.current_task()
        ready.set()
        return await _run_all(books, timeout, kernel_name, jobs, started, finished, running)

    def work() -> None:
        try:
            # a Runner outside the main thread installs no signal handler, and on closing it
            # cancels whatever nbclient left running (its kernel-alive poller, ...)
            with asyncio.Runner() as runner:
                outcome["result"] = runner.run(main())
        except BaseException as exc:  # handed to the main thread, which decides
            outcome["error"] = exc
        finally:
            ready.set()
            done.set()

    # waited for through an Event, never Thread.join: a Ctrl-C that interrupts join() can
    # leave the thread marked as finished while it still runs (CPython gh-90882)
    thread = threading.Thread(target=work, name="artifact-lab-notebooks", daemon=True)
    try:
        thread.start()
        while not done.wait(0.1):  # short waits: Ctrl-C reaches this thread between them
            pass
    except KeyboardInterrupt:
        _cancel(done, ready, state)
        raise KeyboardInterrupt from None
    error = outcome.get("error")
    if error is not None:
        # a CancelledError is not an Exception, and never a notebook's doing; a cell that
        # raised KeyboardInterrupt was interrupted by someone (Ctrl-C reaches the kernels too)
        if isinstance(error, asyncio.CancelledError | _Interrupted):
            raise KeyboardInterrupt from None
        raise error
    return outcome["result"]


def _check_books(books: object) -> list[tuple[Path, nbformat.NotebookNode]]:
    """``books`` as a list of ``(existing notebook path, NotebookNode)`` pairs."""
    if not isinstance(books, Sequence) or isinstance(books, (str, bytes)):
        raise TypeError(f"books must be a sequence of (path, notebook) pairs, got {books!r}")
    checked = []
    for i, pair in enumerate(books):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"books[{i}] must be a (path, notebook) pair, got {pair!r}")
        path = notebook_path(f"books[{i}]", pair[0])
        if not isinstance(pair[1], nbformat.NotebookNode):
            raise TypeError(
                f"books[{i}] must pair its path with an nbformat.NotebookNode, got {pair[1]!r}"
            )
        checked.append((path, pair[1]))
    return checked


class _Interrupted(Exception):
    """A cell stopped with KeyboardInterrupt: the kernel was interrupted."""


def _cancel(done: threading.Event, ready: threading.Event, state: dict) -> None:
    """Cancel the loop's work so that every kernel shuts down; wait for it, within bounds.

    A second Ctrl-C while waiting gives up waiting (the kernels notice their parent is gone
    and exit on their own)."""
    try:
        ready.wait(_SHUTDOWN_SECONDS)
        loop, task = state.get("loop"), state.get("task")
        if loop is not None and task is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:  # the loop closed in between: nothing left to cancel
                pass
        done.wait(_SHUTDOWN_SECONDS)
    except KeyboardInterrupt:
        pass


async def _run_all(books, timeout, kernel_name, jobs, started, finished, running):
    import asyncio

    gate = asyncio.Semaphore(jobs)
    cells: dict[int, tuple[int, float]] = {}  # notebook -> (cell index, its start)

    async def one(i: int, path: Path, nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
        async with gate:
            if started is not None:
                started(i)
            start = time.perf_counter()
            beat = asyncio.ensure_future(_heartbeat(i, nb, start, cells, running))
            try:
                nb = await _execute_one(i, nb, path, timeout, kernel_name, cells)
            finally:
                beat.cancel()
            if finished is not None:
                finished(i, time.perf_counter() - start)
            return nb

    tasks = [asyncio.ensure_future(one(i, p, nb)) for i, (p, nb) in enumerate(books)]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        failed = [t for t in tasks if t.done() and not t.cancelled() and t.exception()]
        if failed:
            raise failed[0].exception()
        return [t.result() for t in tasks]
    finally:
        for t in tasks:
            t.cancel()  # the others stop: their kernels shut down as they unwind
        await asyncio.gather(*tasks, return_exceptions=True)


async def _heartbeat(i, nb, start, cells, running) -> None:
    import asyncio

    if running is None:
        return
    code = [j for j, c in enumerate(nb.cells) if c.cell_type == "code"]
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        index, _ = cells.get(i, (None, 0.0))
        if index is None:
            where = "starting its kernel"
        else:
            nth = code.index(index) + 1 if index in code else 0
            where = f"code cell {nth} of {len(code)}"
        running(i, where, time.perf_counter() - start)


async def _execute_one(i, nb, path, timeout, kernel_name, cells):
    import asyncio
    import atexit

    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    def on_cell_start(cell, cell_index: int) -> None:
        cells[i] = (cell_index, time.perf_counter())

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(path.parent)}},
        # the kernel's start-up warnings are not the notebook's business
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        on_cell_start=on_cell_start,
        shutdown_kernel="immediate",  # nothing in a finished or abandoned kernel is worth a wait
    )
    try:
        # the kernel's own log (a ZMQ traceback when it is stopped mid-message) would
        # interleave with the one-line error: cells' output reaches the notebook anyway
        await client.async_execute(stderr=subprocess.DEVNULL)
    except BaseException as exc:
        if not isinstance(exc, CellExecutionError | CellTimeoutError | DeadKernelError):
            # cancelled (Ctrl-C) or broken while the kernel started or stopped: nbclient
            # may have left it running and its own exit hook registered
            await asyncio.shield(_stop(client))
            raise
        if getattr(exc, "ename", None) == "KeyboardInterrupt":
            raise _Interrupted from None
        index = next(
            (j for j, c in enumerate(nb.cells) if c.cell_type == "code" and _failed(c)),
            cells.get(i, (None,))[0],
        )
        where = f"cell {index + 1}" if index is not None else "a cell"
        if isinstance(exc, CellTimeoutError):
            raise NotebookError(
                f"{path.name}: {where} timed out after {timeout} s (raise the limit with "
                "timeout=, --timeout or make report TIMEOUT=...)"
            ) from None
        if isinstance(exc, DeadKernelError):
            raise NotebookError(f"{path.name}: the kernel died while running {where}") from None
        reason = getattr(exc, "ename", type(exc).__name__)
        detail = " ".join(str(getattr(exc, "evalue", "") or "").split())
        raise NotebookError(f"{path.name}: {where} failed: {reason}: {detail}") from None
    finally:
        atexit.unregister(client._cleanup_kernel)  # the kernel is stopped, or being stopped
    return nb


async def _stop(client) -> None:
    """Shut a client's kernel down now, whatever state it is in (best effort)."""
    import contextlib

    km = client.km
    if km is None:
        return
    with contextlib.suppress(Exception):
        if km.has_kernel:
            await _maybe_await(km.shutdown_kernel(now=True))
    with contextlib.suppress(Exception):
        await _maybe_await(km.cleanup_resources())


async def _maybe_await(value):
    """Await ``value`` if it is awaitable (jupyter_client's methods are sync or async)."""
    import inspect

    return await value if inspect.isawaitable(value) else value


def _failed(cell: nbformat.NotebookNode) -> bool:
    return any(o.get("output_type") == "error" for o in cell.get("outputs", []))
