"""CPython's side of contention.mjs: four processes append to one managed list at once."""
import multiprocessing as mp
import sys
import time

PROCESSES = 4
PER_PROCESS = 3000


def append_many(shared, n):
    for i in range(n):
        shared.append(i)


if __name__ == '__main__':
    method = sys.argv[1] if len(sys.argv) > 1 else 'fork'
    ctx = mp.get_context(method)
    manager = ctx.Manager()
    shared = manager.list()
    start = time.perf_counter()
    children = [ctx.Process(target=append_many, args=(shared, PER_PROCESS)) for _ in range(PROCESSES)]
    for p in children:
        p.start()
    for p in children:
        p.join()
    seconds = time.perf_counter() - start
    length = len(shared)
    manager.shutdown()
    assert length == PROCESSES * PER_PROCESS, length
    print(f'CPython ({method}): {round(length / seconds)} appends/s from {PROCESSES} processes')
