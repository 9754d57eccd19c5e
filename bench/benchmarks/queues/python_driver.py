"""Measures CPython's multiprocessing for the queue benchmark, on the harness's requests (see
lib/driver.mjs): the same cases as node-driver.mjs. Spawned children re-import this module, as
they do any main module, so its top level imports only what the measurement itself needs."""
import multiprocessing as mp
import time

LIMIT_S = 60


def weigh(item):
    if isinstance(item, int):
        return item
    if isinstance(item, str):
        return len(item)
    if isinstance(item, bytes):
        return len(item) + item[0] + item[-1]
    raise TypeError('unexpected item %r' % type(item))


def consume(q, n, ready, stamps):
    """Takes n items; says it is ready first; stamps its last get and the items' total weight."""
    cpu0 = time.process_time()
    ready.set()
    total = 0
    for _ in range(n):
        total += weigh(q.get(timeout=LIMIT_S))
    stamps[0] = time.monotonic_ns()
    stamps[1] = total
    stamps[2] = (time.process_time() - cpu0) * 1e3


def maker(item, size):
    if item == 'int':
        return lambda i: i
    if item == 'str':
        return lambda i: 'item-%d' % i
    if item == 'bytes':
        data = bytes((i * 31 + 7) & 255 for i in range(size))
        return lambda i: data
    raise ValueError('unknown item kind %s' % item)


def throughput(item, mode, method, n, size):
    """One sample: a child (method) takes n items this process puts into an mp.Queue."""
    if mode != 'sync':
        raise ValueError('unknown mode %s' % mode)
    ctx = mp.get_context(method)
    q = ctx.Queue()
    ready = ctx.Event()
    stamps = ctx.RawArray('d', 3)
    make = maker(item, size)
    expected = sum(weigh(make(i)) for i in range(n))
    child = ctx.Process(target=consume, args=(q, n, ready, stamps))
    child.start()
    try:
        if not ready.wait(LIMIT_S):
            raise RuntimeError('the consumer was not ready after %s s' % LIMIT_S)
        cpu0 = time.process_time()
        t0 = time.monotonic_ns()
        for i in range(n):
            q.put(make(i))
        child.join(LIMIT_S)
        if child.exitcode is None:
            raise RuntimeError('the consumer did not finish')
        cpu = (time.process_time() - cpu0) * 1e3
    except BaseException:
        child.kill()
        child.join()
        raise
    if child.exitcode != 0:
        raise RuntimeError('%s %s: the consumer ended with exit code %s' % (item, method, child.exitcode))
    if stamps[1] != expected:
        raise RuntimeError('%s %s: items weigh %s, not %s: lost or damaged' % (item, method, stamps[1], expected))
    seconds = (stamps[0] - t0) / 1e9
    # CPU time of both processes (this one's includes its feeder thread and its wait for the child's exit).
    return {'itemsPerSecond': n / seconds, 'mbPerSecond': n * size / 1e6 / seconds if item == 'bytes' else None, 'seconds': seconds,
            'cpuMs': cpu + stamps[2]}


if __name__ == '__main__':
    from bench_serve import serve
    serve({'throughput': throughput})
