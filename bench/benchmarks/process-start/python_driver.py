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
    serve({'start': start, 'idleRss': idle_rss})
