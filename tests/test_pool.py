"""How the build's work is shared between the worker processes (``pool``)."""
from __future__ import annotations

import time

from studyguide.pool import Pool
from studyguide.tasks import Task


def test_free_tasks_go_to_the_worker_that_comes_free():
    """A batch of free tasks (the parts' layouts) is handed out as the workers come
    free, the costliest first: a task estimated long that ends at once does not leave
    its worker idle while the other works through the rest. Placed all at once by their
    estimates, the five slow tasks all went to the second worker."""
    tasks = [Task(time.sleep, (0.05,), cost=100, tag="quick")] + \
        [Task(time.sleep, (0.4,), cost=1, tag=f"slow{i}") for i in range(5)]
    with Pool(2) as pool:
        for future in pool.submit_batch(tasks):
            assert future.result(timeout=120) is None
        workers = [pool._homes[task.tag] for task in tasks[1:]]
        # a task bound to a tag's worker still runs there
        for bound in pool.submit_batch([Task(time.sleep, (0,), home="slow0"),
                                        Task(time.sleep, (0,), home="slow1")]):
            bound.result(timeout=120)
        waited = time.monotonic()        # (a future's callbacks run after its waiters wake)
        while not pool.idle() and time.monotonic() - waited < 10:
            time.sleep(0.01)
        assert pool.idle()
    assert sorted(workers.count(w) for w in (0, 1)) in ([2, 3], [1, 4]), workers


def test_a_worker_that_dies_fails_the_tasks_waiting_for_it():
    """A worker that dies (killed, out of memory) fails the task it ran and, as it can
    take no more, every task of the batch still waiting to be handed out: none is left
    unanswered, which would leave the build waiting for ever."""
    import os
    from concurrent.futures import wait
    from concurrent.futures.process import BrokenProcessPool
    tasks = [Task(os._exit, (3,), cost=100)] + \
        [Task(time.sleep, (0.2,), cost=1) for _ in range(6)]
    with Pool(2) as pool:
        futures = pool.submit_batch(tasks)
        done, pending = wait(futures, timeout=120)
    assert not pending
    assert isinstance(futures[0].exception(), BrokenProcessPool)
    failed = [f for f in futures[1:] if f.exception() is not None]
    assert failed and all(isinstance(f.exception(), BrokenProcessPool) for f in failed)
