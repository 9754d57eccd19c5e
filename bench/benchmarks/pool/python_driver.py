"""Measures one CPython multiprocessing.Pool case in a fresh interpreter, as node-driver.mjs does
for the Node pools: `python3 python_driver.py '<json request>'` prints one line
`@bench:{"result": ...}` (or `{"error": ...}`). The pool uses the start method given as `mode`
('fork', CPython 3.11's default on Linux, unless told otherwise); pool start-up is never timed.
Workers started with spawn or forkserver re-import this module, so its top level only defines."""
import json
import multiprocessing as mp
import sys
import time
import traceback

MARK = '@bench:'


def double(x):
    return x * 2


def spin(n):
    """The CPU-bound task: the integer loop of targets.mjs, in Python."""
    x = 0
    for i in range(n):
        x = (x + ((i * i) ^ (x >> 3))) & 0xFFFFFFFF
    return x


def warm(pool, tasks=2000):
    results = [pool.apply_async(double, (i,)) for i in range(tasks)]
    if results[-1].get() != 2 * (tasks - 1) or [r.get() for r in results][0] != 0:
        raise RuntimeError('warm-up: wrong result')


def throughput(mode, workers, n, warmup, **_):
    """n apply_async calls submitted at once, all results collected: tasks/s."""
    with mp.get_context(mode).Pool(workers) as pool:
        warm(pool, warmup)
        t0 = time.perf_counter_ns()
        results = [pool.apply_async(double, (i,)) for i in range(n)]
        values = [r.get() for r in results]
        ns = time.perf_counter_ns() - t0
        if sum(values) != n * (n - 1):
            raise RuntimeError('throughput: wrong results')
        return {'tasksPerSecond': n / (ns / 1e9), 'ms': ns / 1e6}


def latency(mode, workers, n, warmup, **_):
    """n sequential apply() calls after warmup untimed ones: p50/p99 in microseconds."""
    with mp.get_context(mode).Pool(workers) as pool:
        warm(pool, 200)
        for i in range(warmup):
            pool.apply(double, (i,))
        us = []
        for i in range(n):
            t0 = time.perf_counter_ns()
            r = pool.apply(double, (i,))
            us.append((time.perf_counter_ns() - t0) / 1000)
            if r != 2 * i:
                raise RuntimeError('latency: wrong result')
        us.sort()
        q = lambda f: us[min(n - 1, int(f * n))]
        return {'p50': q(0.5), 'p99': q(0.99), 'mean': sum(us) / n}


def map_(mode, workers, n, **_):
    """Pool.map of n tiny items (a list built before timing) with the default chunksize: items/s."""
    with mp.get_context(mode).Pool(workers) as pool:
        warm(pool, 200)
        items = list(range(n))
        pool.map(double, items[:10000])
        t0 = time.perf_counter_ns()
        results = pool.map(double, items)
        ns = time.perf_counter_ns() - t0
        if len(results) != n or results[-1] != 2 * (n - 1):
            raise RuntimeError('map: wrong results')
        return {'itemsPerSecond': n / (ns / 1e9), 'ms': ns / 1e6}


def cpu(mode, workers, tasks, iterations, repeats=1, **_):
    """tasks x spin(iterations) serially in this process, then at once on the pool, `repeats`
    pairs back to back: the pair with the median speedup (serial / pool)."""
    with mp.get_context(mode).Pool(workers) as pool:
        warm(pool, 200)
        expected = spin(iterations)
        pool.map(spin, [iterations] * (2 * workers), chunksize=1)
        pairs = []
        for _ in range(repeats):
            t0 = time.perf_counter_ns()
            for _ in range(tasks):
                if spin(iterations) != expected:
                    raise RuntimeError('cpu: serial result changed')
            serial = (time.perf_counter_ns() - t0) / 1e6
            t1 = time.perf_counter_ns()
            results = [pool.apply_async(spin, (iterations,)) for _ in range(tasks)]
            values = [r.get() for r in results]
            parallel = (time.perf_counter_ns() - t1) / 1e6
            if any(v != expected for v in values):
                raise RuntimeError('cpu: a pool result differs from the serial one')
            pairs.append({'serialMs': serial, 'poolMs': parallel, 'speedup': serial / parallel})
        pairs.sort(key=lambda p: p['speedup'])
        mid = pairs[(len(pairs) - 1) // 2]
        return dict(mid, taskMs=mid['serialMs'] / tasks, speedups=[p['speedup'] for p in pairs])


OPS = {'throughput': throughput, 'latency': latency, 'map': map_, 'cpu': cpu}


def main():
    request = json.loads(sys.argv[1])
    try:
        op = OPS.get(request.pop('op', None))
        if op is None:
            raise KeyError('unknown op')
        request.pop('lib', None)
        answer = {'result': op(**request)}
    except Exception:
        answer = {'error': traceback.format_exc()}
    sys.stdout.write(MARK + json.dumps(answer) + '\n')
    sys.stdout.flush()


if __name__ == '__main__':
    main()
