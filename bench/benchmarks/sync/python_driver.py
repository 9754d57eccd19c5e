"""Measures CPython's multiprocessing for the sync benchmark, on the harness's requests (see
lib/driver.mjs): the same cases as node-driver.mjs. Spawned children re-import this module, as
they do any main module, so its top level imports only what the measurement itself needs."""
import multiprocessing as mp
import time

LIMIT_S = 30


def uncontended(mode, n, batches):
    """Uncontended mp.Lock acquire()+release() pairs in this process: ns per pair, per batch."""
    if mode != 'sync':
        raise ValueError('unknown mode %s' % mode)
    lock = mp.Lock()
    results = []
    for _ in range(batches):
        t0 = time.monotonic_ns()
        for _ in range(n):
            lock.acquire()
            lock.release()
        t1 = time.monotonic_ns()
        results.append((t1 - t0) / n)
    return results


def count_with_lock(lock, counter, n, gate, ready, stamps, slot):
    """One contending worker: ready, wait at the gate, n x lock/increment/unlock; stamps its span."""
    ready.release()
    if not gate.acquire(timeout=LIMIT_S):
        raise RuntimeError('the gate never opened')
    gate.release()
    t0 = time.monotonic_ns()
    for _ in range(n):
        lock.acquire()
        counter[0] += 1
        lock.release()
    t1 = time.monotonic_ns()
    stamps[2 * slot] = t0
    stamps[2 * slot + 1] = t1


def contended(method, n):
    """Two children x n lock/increment/unlock on a RawArray('i', 1) counter under an mp.Lock."""
    ctx = mp.get_context(method)
    lock = ctx.Lock()
    gate = ctx.Lock()
    counter = ctx.RawArray('i', 1)
    ready = ctx.Semaphore(0)
    stamps = ctx.RawArray('d', 4)
    gate.acquire()
    children = [ctx.Process(target=count_with_lock, args=(lock, counter, n, gate, ready, stamps, slot)) for slot in (0, 1)]
    try:
        for p in children:
            p.start()
        for _ in children:
            if not ready.acquire(timeout=LIMIT_S):
                raise RuntimeError('children ready: not within %s s' % LIMIT_S)
    finally:
        gate.release()
    for p in children:
        p.join()
    for p in children:
        if p.exitcode != 0:
            raise RuntimeError('contended %s: %s ended with exit code %s' % (method, p.name, p.exitcode))
    total = counter[0]
    if total != 2 * n:
        raise RuntimeError('contended %s: the counter is %d, not %d: updates were lost' % (method, total, 2 * n))
    s = stamps
    wall = max(s[1], s[3]) - min(s[0], s[2])
    overlap = min(s[1], s[3]) - max(s[0], s[2])
    return {'nsPerIteration': wall / (2 * n), 'wallMs': wall / 1e6, 'overlap': overlap / wall, 'total': total}


def semaphore_pong(a, b, total):
    for i in range(total):
        if not a.acquire(timeout=LIMIT_S):
            raise RuntimeError('no ping after %d round trips' % i)
        b.release()


def event_pong(ping, pong, total):
    for i in range(total):
        if not ping.wait(timeout=LIMIT_S):
            raise RuntimeError('no ping after %d round trips' % i)
        ping.clear()
        pong.set()


def pingpong(kind, method, n, warmup):
    """Round trips between this process and one child: `warmup` untimed, then `n` timed (us each)."""
    ctx = mp.get_context(method)
    total = warmup + n
    if kind == 'semaphore':
        a, b = ctx.Semaphore(0), ctx.Semaphore(0)
        child = ctx.Process(target=semaphore_pong, args=(a, b, total))
    elif kind == 'event':
        a, b = ctx.Event(), ctx.Event()
        child = ctx.Process(target=event_pong, args=(a, b, total))
    else:
        raise ValueError('unknown kind %s' % kind)
    child.start()
    t0 = None
    try:
        for i in range(total):
            if i == warmup:
                t0 = time.monotonic_ns()
            if kind == 'semaphore':
                a.release()
                ok = b.acquire(timeout=LIMIT_S)
            else:
                a.set()
                ok = b.wait(timeout=LIMIT_S)
                b.clear()
            if not ok:
                raise RuntimeError('%s %s: no answer after %d round trips' % (kind, method, i))
    except BaseException:
        child.kill()
        child.join()
        raise
    t1 = time.monotonic_ns()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError('%s ping-pong %s: child ended with exit code %s' % (kind, method, child.exitcode))
    return {'usPerRoundTrip': (t1 - t0) / 1e3 / n}


if __name__ == '__main__':
    from bench_serve import serve
    serve({'uncontended': uncontended, 'contended': contended, 'pingpong': pingpong})
