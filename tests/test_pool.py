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
        [bound] = pool.submit_batch([Task(time.sleep, (0,), home="slow0"),
                                     Task(time.sleep, (0,), home="slow1")])[:1]
        bound.result(timeout=120)
        assert pool.idle()
    assert sorted(workers.count(w) for w in (0, 1)) in ([2, 3], [1, 4]), workers
