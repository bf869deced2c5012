"""Worker processes for the renders, with affinity.

A body part is laid out in one task and its PDF written, once its page numbers are
known, in a later one; the layout stays in the memory of the process that made it
(``writers.pdf``), so the second task must run in that same process. Each worker is a
one-process executor; a task goes to the worker named by its ``home`` (the tag of an
earlier task), or else to the worker with the least work queued.
"""
from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import threading
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from .tasks import Task

# Workers are forked from a server process that has loaded WeasyPrint once (``warm``):
# they start warm, and the server's loading overlaps the main process's reading of the
# content. Where there is no fork server, each worker starts as the platform starts it.
PRELOAD = ["studyguide.writers.warm"]
# The languages whose hyphenation patterns the server loads too (a list with commas): it
# is started with the environment of the first pool, which sets this.
LANGUAGES = "STUDYGUIDE_HYPHENATION"
# The pid of the main process, for the fork server (started with the environment of the
# first pool), and the fork server's own, which the workers forked from it inherit.
MAIN_PID = "STUDYGUIDE_MAIN_PID"
SERVER_PID = "STUDYGUIDE_SERVER_PID"
PR_SET_PDEATHSIG = 1          # <linux/prctl.h>


def die_with(parent: int, main_thread: bool = False) -> None:
    """End this process as soon as ``parent`` is no longer its parent (it died, killed
    with ``kill -9`` say): a build leaves no process behind. Where the parent forked this
    process from its main thread (``main_thread``), the kernel sends SIGKILL when the
    parent ends (Linux's ``PR_SET_PDEATHSIG``, which follows the thread that forked, not
    the process); elsewhere, or without it, a daemon thread checks the parent four times a
    second. Either way, a parent gone already ends this process now."""
    if not (main_thread and _death_signal()):
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True,
                         name="parent-watch").start()
    if os.getppid() != parent:
        os._exit(1)


def _death_signal() -> bool:
    """Whether the kernel will kill this process when the thread that forked it ends."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.25)
    os._exit(1)


def _worker_started(main: int) -> None:
    """Each worker's initialiser: it dies with the process it was forked from: the fork
    server (which dies with the main process, ``warm``), forking from its main thread, or
    where there is none the main process, from whichever thread started the worker.

    Ctrl-C at a terminal interrupts every process of the build; a worker leaves it to
    the main process, which stops the workers (``Pool.stop``). Interrupted in a task, a
    worker would send the interruption back as the task's failure, to be raised in the
    executor's own thread, which would end and leave the build waiting for ever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    server = os.environ.get(SERVER_PID)
    die_with(int(server or main), main_thread=bool(server))


def _context():
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def _started() -> int:
    """A task that does nothing but say which process it ran in: submitting it starts
    a worker process."""
    return os.getpid()


def _located(where: str, fn: Callable, *args):
    """Run a task in a worker; any failure comes back as a ``BuildError`` naming the file
    the task works on (``where``), its traceback kept for ``--debug``."""
    from .errors import failure
    try:
        return fn(*args)
    except Exception as exc:
        raise failure(exc, where) from None


def _relay(inner: Future, outer: Future) -> None:
    """``inner``'s outcome given to ``outer``."""
    if inner.cancelled():
        outer.cancel()
    elif inner.exception() is not None:
        outer.set_exception(inner.exception())
    else:
        outer.set_result(inner.result())


def start_server(languages: tuple[str, ...] = ()) -> None:
    """Start the fork server loading WeasyPrint (and the hyphenation patterns of
    ``languages``), in its own process, without waiting for it: the build reads and
    checks the content meanwhile, and makes its ``Pool`` only once the content is
    good. Started already (by an earlier build in this process), it is left as it is."""
    if languages:
        os.environ[LANGUAGES] = ",".join(languages)
    os.environ[MAIN_PID] = str(os.getpid())
    if _context() is not None:
        multiprocessing.forkserver.ensure_running()


class Pool:
    def __init__(self, workers: int, languages: tuple[str, ...] = ()):
        start_server(languages)
        context = _context()
        self._executors = [ProcessPoolExecutor(max_workers=1, mp_context=context,
                                               initializer=_worker_started,
                                               initargs=(os.getpid(),))
                           for _ in range(max(1, workers))]
        self._queued = [0.0] * len(self._executors)    # cost of the work queued
        self._pending = 0                                # tasks not yet done
        self._waiting = 0                                # tasks not yet handed out
        self._homes: dict[str, int] = {}
        self._lock = threading.Lock()      # done-callbacks run in the executors' threads
        # Start the workers now, in a thread: starting the first waits for the fork
        # server to load WeasyPrint, which this process need not wait for.
        self._started: list[Future] = []
        self._starting = threading.Thread(
            target=lambda: self._started.extend(executor.submit(_started)
                                                for executor in self._executors),
            daemon=True)
        self._starting.start()

    def submit(self, fn: Callable, *args, cost: float = 1.0, tag: str | None = None,
               home: str | None = None, worker: int | None = None,
               where: str | None = None) -> Future:
        """Run ``fn(*args)`` in a worker; ``where``: the file the task works on, which a
        failure names (``_located``)."""
        with self._lock:
            if worker is None and home is not None:
                worker = self._homes.get(home)
            if worker is None:
                worker = min(range(len(self._queued)), key=self._queued.__getitem__)
            if tag is not None:
                self._homes[tag] = worker
            self._queued[worker] += cost
            self._pending += 1
        future = (self._executors[worker].submit(_located, str(where), fn, *args) if where
                  else self._executors[worker].submit(fn, *args))
        future.add_done_callback(lambda _f, w=worker, c=cost: self._done(w, c))
        return future

    def submit_batch(self, tasks: list[Task]) -> list[Future]:
        """Submit tasks together, futures in order. Tasks bound to a worker (``home``)
        are placed first; the free ones then go, the costliest first, to the worker with
        the least work, and run ahead of the bound ones there: a free task is often the
        longest (the index, say), and one that ran last would hold up the end of the
        batch. A batch of free tasks alone (the parts' layouts) is handed out as the
        workers come free (``_hand_out``)."""
        if len(tasks) > len(self._executors) and \
                not any(self._homes.get(task.home) is not None for task in tasks):
            return self._hand_out(tasks)
        with self._lock:
            load = list(self._queued)
            placed: dict[int, int] = {}
            for i, task in enumerate(tasks):
                worker = self._homes.get(task.home)
                if worker is not None:
                    placed[i] = worker
                    load[worker] += task.cost
            free = sorted((i for i in range(len(tasks)) if i not in placed),
                          key=lambda i: -tasks[i].cost)
            for i in free:
                placed[i] = min(range(len(load)), key=load.__getitem__)
                load[placed[i]] += tasks[i].cost
        futures: dict[int, Future] = {}
        for i in [*free, *(i for i in range(len(tasks)) if i not in free)]:
            futures[i] = self.submit_task(tasks[i], worker=placed[i])
        return [futures[i] for i in range(len(tasks))]

    def _hand_out(self, tasks: list[Task]) -> list[Future]:
        """Free tasks handed out the costliest first, each worker taking the next as one
        of its own ends (two at a time: the next is sent while one runs). A task's cost
        is an estimate (a part's layout, by its HTML's length: a timeline or a
        bibliography takes longer than its length says); placed all at once, one worker
        was left with seconds of work queued while the other stood idle."""
        order = deque(sorted(range(len(tasks)), key=lambda i: -tasks[i].cost))
        outer = [Future() for _ in tasks]
        with self._lock:
            self._waiting += len(tasks)

        def next_for(worker: int) -> None:
            with self._lock:
                if not order:
                    return
                i = order.popleft()
                self._waiting -= 1
            try:
                inner = self.submit_task(tasks[i], worker=worker)
            except RuntimeError as exc:   # the pool was shut down, or a worker died
                with self._lock:
                    rest = [i, *order]
                    self._waiting -= len(order)
                    order.clear()
                for j in rest:            # every task still waiting fails with it
                    outer[j].set_exception(exc)
                return
            inner.add_done_callback(lambda done, i=i: (_relay(done, outer[i]),
                                                       next_for(worker)))
        for worker in range(len(self._executors)):
            for _ in range(2):
                next_for(worker)
        return outer

    def submit_task(self, task: Task, worker: int | None = None) -> Future:
        """``submit`` for a ``tasks.Task``."""
        return self.submit(task.fn, *task.args, cost=task.cost, tag=task.tag,
                           home=None if worker is not None else task.home, worker=worker,
                           where=str(task.where) if task.where else None)

    def idle(self) -> bool:
        """Whether no worker has work queued (or waiting to be handed out)."""
        with self._lock:
            return not self._pending and not self._waiting

    def _done(self, worker: int, cost: float) -> None:
        with self._lock:
            self._queued[worker] -= cost
            self._pending -= 1

    def shutdown(self) -> None:
        self._starting.join()
        for executor in self._executors:
            executor.shutdown(wait=True, cancel_futures=True)

    def stop(self) -> None:
        """End the workers now, their tasks unfinished (the build was interrupted):
        waiting for a running task (the index takes seconds) would keep the processor
        busy and Ctrl-C unanswered."""
        self._starting.join()
        for started in self._started:
            try:
                pid = started.result(timeout=5)
            except BaseException:        # never started, or gone already
                continue
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for executor in self._executors:
            executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, kind, *exc) -> None:
        if kind is not None and not issubclass(kind, Exception):   # Ctrl-C, SIGTERM
            self.stop()
        else:
            self.shutdown()
