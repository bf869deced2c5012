"""Work handed from a writer to the build's scheduler, and what it hands back.

A writer describes each piece of work as a ``Task`` (a function, its arguments, the cache
key of its result, and hints for placing it) and gives it to an ``Executor``, which
returns a ``concurrent.futures.Future``: the builder's scheduler (``builder.Scheduler``)
takes the result from the cache, or runs the task in a worker process, or here.
"""
from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

from .errors import BuildError, failure


@dataclass(frozen=True)
class Task:
    fn: Callable
    args: tuple
    key: str | None = None     # its result's cache key; None: never cached
    cost: float = 1.0          # relative work, to share it between the workers
    tag: str | None = None     # later tasks with this ``home`` run in the same worker
    home: str | None = None    # run in the worker of the task tagged so (it holds a layout)
    where: Path | str | None = None    # the book's file it works on, which a failure names
    local: bool = False        # run in this process (it needs what only this one has)
    spare: bool = False        # in a worker if they are idle, else here (they are busy)


class Executor(Protocol):
    """Runs tasks (``builder.Scheduler``): results from the cache where it has them."""

    def submit(self, task: Task) -> Future:
        """The task's result, to come."""

    def submit_all(self, tasks: list[Task], label: str, last: bool = False) -> list[Future]:
        """Several tasks, placed together (the costliest first); ``label``: what the
        progress line says (``{}``: how many are rendered). ``last``: the batch the
        outputs wait for; other work (handouts) is queued behind it."""

    def cached(self, key: str) -> bool:
        """Whether a task's result would come from the cache."""


def gather(futures: Iterable[Future], root: Path | None = None) -> list:
    """The futures' results in order, or one error with every failure among them."""
    values, failed = [], []
    for future in futures:
        try:
            values.append(future.result())
        except Exception as exc:
            failed.append(failure(exc, None, root))
    if failed:
        raise BuildError.joined(failed)
    return values
