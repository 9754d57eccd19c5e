"""Measures CPython's multiprocessing for the process-start benchmark, on the harness's requests
(see lib/driver.mjs). Spawned children re-import this module, as they do any main module, so
its top level imports only what the measurement itself needs."""
import multiprocessing as mp
import os
import sys
import time


def stamp(path):
    """Records the moment the target begins, on CLOCK_MONOTONIC (as lib/timing.mjs)."""
    now = time.monotonic_ns()
    with open(path, 'w') as f:
        f.write(str(now))


def idle(ready_path, release_path, limit_s):
    with open(ready_path, 'w') as f:
        f.write(str(os.getpid()))
    deadline = time.monotonic() + limit_s
    while not os.path.exists(release_path) and time.monotonic() < deadline:
        time.sleep(0.01)


def wait_for_file(path, limit_s):
    deadline = time.monotonic() + limit_s
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError('%s did not appear within %s s' % (path, limit_s))
        time.sleep(0.002)


def noop():
    pass


def square(x):
    """A trivial pool task: the pool-churn case measures replacing workers, not the work."""
    return x * x


def take_stamp(path):
    """Reads and removes a stamp file: the CLOCK_MONOTONIC instant a target began."""
    with open(path) as f:
        first = int(f.read())
    os.unlink(path)
    return first


def check_exit(p, what):
    if p.exitcode != 0:
        raise RuntimeError('%s: child ended with exit code %s' % (what, p.exitcode))


def burst(method, n, dir, settleMs, tag):
    """n children started at once (a loop of start() calls), then all joined (ms)."""
    time.sleep(settleMs / 1000)
    ctx = mp.get_context(method)
    paths = ['%s/python-burst-%s-%s-%d' % (dir, method, tag, i) for i in range(n)]
    t0 = time.monotonic_ns()
    children = []
    for path in paths:
        p = ctx.Process(target=stamp, args=(path,))
        p.start()
        children.append(p)
    t1 = time.monotonic_ns()
    for p in children:
        p.join()
    t2 = time.monotonic_ns()
    for p in children:
        check_exit(p, '%s burst' % method)
    firsts = [take_stamp(path) for path in paths]
    return {'startCalls': (t1 - t0) / 1e6, 'firstLine': (min(firsts) - t0) / 1e6,
            'lastFirstLine': (max(firsts) - t0) / 1e6, 'join': (t2 - t0) / 1e6}


def sustained(method, n, dir, settleMs, tag):
    """n starts in a row (start, join, next): each start -> first line and -> join, the total (ms)."""
    time.sleep(settleMs / 1000)
    ctx = mp.get_context(method)
    first_line = []
    cycle = []
    t0 = time.monotonic_ns()
    for i in range(n):
        path = '%s/python-row-%s-%s-%d' % (dir, method, tag, i)
        c0 = time.monotonic_ns()
        p = ctx.Process(target=stamp, args=(path,))
        p.start()
        p.join()
        cycle.append((time.monotonic_ns() - c0) / 1e6)
        check_exit(p, '%s row' % method)
        first_line.append((take_stamp(path) - c0) / 1e6)
    return {'totalMs': (time.monotonic_ns() - t0) / 1e6, 'firstLine': first_line, 'cycle': cycle}


def pool_churn(method, processes, tasks, settleMs):
    """Pool(processes, maxtasksperchild=1): creation, map of tasks items (chunksize 1), close + join (ms)."""
    time.sleep(settleMs / 1000)
    t0 = time.monotonic_ns()
    pool = mp.get_context(method).Pool(processes, maxtasksperchild=1)
    t1 = time.monotonic_ns()
    try:
        results = pool.map(square, range(tasks), chunksize=1)
    except BaseException:
        pool.terminate()
        raise
    t2 = time.monotonic_ns()
    pool.close()
    pool.join()
    t3 = time.monotonic_ns()
    if results != [i * i for i in range(tasks)]:
        raise RuntimeError('%s pool: wrong results' % method)
    return {'create': (t1 - t0) / 1e6, 'map': (t2 - t1) / 1e6, 'closeJoin': (t3 - t2) / 1e6, 'total': (t3 - t0) / 1e6}


def info():
    return {'cpuCount': os.cpu_count()}


def start(method, dir, settleMs, tag, backToBack=False):
    """One timed start (ms); backToBack: another start/join runs just before, without the pause."""
    time.sleep(settleMs / 1000)
    path = '%s/python-%s-%s' % (dir, method, tag)
    ctx = mp.get_context(method)
    if backToBack:
        before = ctx.Process(target=noop)
        before.start()
        before.join()
    p = ctx.Process(target=stamp, args=(path,))
    t0 = time.monotonic_ns()
    p.start()
    t1 = time.monotonic_ns()
    p.join()
    t2 = time.monotonic_ns()
    if p.exitcode != 0:
        raise RuntimeError('%s child ended with exit code %s' % (method, p.exitcode))
    with open(path) as f:
        first = int(f.read())
    os.unlink(path)
    return {'startCall': (t1 - t0) / 1e6, 'firstLine': (first - t0) / 1e6, 'join': (t2 - t0) / 1e6}


idle_count = 0


def idle_rss(method, dir, settleMs):
    from bench_serve import memory_of
    global idle_count
    idle_count += 1
    tag = '%s-%d' % (method, idle_count)
    ready = '%s/py-idle-ready-%s' % (dir, tag)
    release = '%s/py-idle-release-%s' % (dir, tag)
    if method == 'python':
        # The baseline: a bare interpreter doing the same waiting, without multiprocessing.
        import subprocess
        script = ('import os, time\nopen(%r, "w").close()\n'
                  'while not os.path.exists(%r): time.sleep(0.01)\n') % (ready, release)
        child = subprocess.Popen([sys.executable, '-c', script])
        wait_for_file(ready, 20)
        time.sleep(settleMs / 1000)
        memory = memory_of(child.pid)
        open(release, 'w').close()
        child.wait()
        return memory
    p = mp.get_context(method).Process(target=idle, args=(ready, release, 60))
    p.start()
    wait_for_file(ready, 20)
    time.sleep(settleMs / 1000)
    memory = memory_of(p.pid)
    open(release, 'w').close()
    p.join()
    return memory


if __name__ == '__main__':
    from bench_serve import serve
    serve({'start': start, 'idleRss': idle_rss, 'burst': burst, 'sustained': sustained,
           'poolChurn': pool_churn, 'info': info})
