"""Measures CPython's multiprocessing.managers for the managers benchmark, on the harness's
requests (see lib/driver.mjs); the same cases as node-driver.mjs, after the reference scripts
bench_mgr.py, bench_multi.py and bench_remote.py. Spawned children re-import this module, so its
top level only defines."""
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import time
from multiprocessing.managers import BaseManager

LIMIT_S = 60
_managers = {}


def manager_of(method):
    if method not in _managers:
        _managers[method] = mp.get_context(method).Manager()
    return _managers[method]


def cpu_ms_of(pid):
    """CPU time (user + system, every thread) process pid has used, in ms (procfs, 10 ms ticks)."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().split(') ')[1].split(' ')
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf('SC_CLK_TCK')


def cpu_ms_with(m):
    """CPU time of this process and of the manager's server, in ms."""
    return cpu_ms_of(os.getpid()) + cpu_ms_of(m._process.pid)


def ms_between(t0, t1):
    return (t1 - t0) / 1e6


def call_p50(n, call):
    """Each call awaited alone, n times: the median time of one, in µs."""
    lat = []
    for i in range(n):
        t = time.monotonic_ns()
        call(i)
        lat.append((time.monotonic_ns() - t) / 1e3)
    return statistics.median(lat)


def check_exit(p, what):
    if p.exitcode != 0:
        raise RuntimeError('%s: child ended with exit code %s' % (what, p.exitcode))


# Calls a child makes before its 'settled' dict get p50 (after the start's aftermath: a spare booting).
SETTLE_CALLS = 4000


def child_call_latency(d, l, n, out):
    call_p50(200, lambda i: d['k'])
    result = {'dictGetUs': call_p50(n, lambda i: d['k']), 'appendUs': call_p50(n, lambda i: l.append(i))}
    call_p50(SETTLE_CALLS, lambda i: d['k'])
    result['settledDictGetUs'] = call_p50(n, lambda i: d['k'])
    out.put(result)


def appender(l, n, go):
    l.append(-1)
    go.wait(LIMIT_S)
    for i in range(n):
        l.append(i)


def incrementer(lock, value, n, ready, go):
    value.value
    ready.append(1)
    go.wait(LIMIT_S)
    for _ in range(n):
        with lock:
            value.value = value.value + 1


def producer(q, n, go):
    q.put('ready')
    go.wait(LIMIT_S)
    for i in range(n):
        q.put(i)
    q.put(None)


def managerStart(method, settleMs):
    time.sleep(settleMs / 1000)
    t0 = time.monotonic_ns()
    m = mp.get_context(method).Manager()
    t1 = time.monotonic_ns()
    d = m.dict()
    d['x'] = 1
    t2 = time.monotonic_ns()
    del d
    m.shutdown()
    t3 = time.monotonic_ns()
    return {'started': ms_between(t0, t1), 'firstProxy': ms_between(t0, t2), 'shutdown': ms_between(t2, t3)}


def calls(method, latencyCalls, creates, pairs, appends, pipelined, batch):
    m = manager_of(method)
    ctx = mp.get_context(method)
    d = m.dict()
    d['k'] = 0
    l = m.list()
    call_p50(200, lambda i: d['k'])
    dict_get_us = call_p50(latencyCalls, lambda i: d['k'])
    append_us = call_p50(latencyCalls, lambda i: l.append(i))

    t = time.monotonic_ns()
    made = [m.list() for _ in range(creates)]
    create_ms = ms_between(t, time.monotonic_ns()) / creates
    del made

    t = time.monotonic_ns()
    for i in range(pairs):
        d['k'] = i
        d['k']
    dict_pairs = pairs / (ms_between(t, time.monotonic_ns()) / 1000)

    seq = m.list()
    cpu0 = cpu_ms_with(m)
    t = time.monotonic_ns()
    for i in range(appends):
        seq.append(i)
    appends_per_s = appends / (ms_between(t, time.monotonic_ns()) / 1000)
    append_cpu_us = (cpu_ms_with(m) - cpu0) * 1000 / appends
    if len(seq) != appends:
        raise RuntimeError('sequential appends: wrong count')

    out = ctx.Queue()
    child_list = m.list()
    p = ctx.Process(target=child_call_latency, args=(d, child_list, latencyCalls, out))
    p.start()
    result = out.get(timeout=LIMIT_S)
    p.join(LIMIT_S)
    check_exit(p, 'child call latency')
    return {'dictGetUs': dict_get_us, 'appendUs': append_us, 'createMs': create_ms, 'dictPairsPerS': dict_pairs,
            'appendsPerS': appends_per_s, 'appendCpuUs': append_cpu_us, 'childDictGetUs': result['dictGetUs'], 'childAppendUs': result['appendUs'], 'childSettledDictGetUs': result['settledDictGetUs']}


def wait_len(l, n):
    while len(l) < n:
        time.sleep(0.005)


def multiAppend(method, procs, n, batch):
    m = manager_of(method)
    ctx = mp.get_context(method)
    l = m.list()
    go = m.Event()
    children = [ctx.Process(target=appender, args=(l, n, go)) for _ in range(procs)]
    for c in children:
        c.start()
    wait_len(l, procs)
    t0 = time.monotonic_ns()
    go.set()
    for c in children:
        c.join(LIMIT_S)
    elapsed = ms_between(t0, time.monotonic_ns())
    for c in children:
        check_exit(c, 'appender')
    items = l[:]
    exact = len(items) == procs * (n + 1) and sorted(x for x in items if x >= 0) == sorted(list(range(n)) * procs)
    if not exact:
        raise RuntimeError('%d appenders: %d items, expected %d' % (procs, len(items), procs * (n + 1)))
    return {'perS': procs * n / (elapsed / 1000), 'exact': exact}


def lockValue(method, procs, n):
    m = manager_of(method)
    ctx = mp.get_context(method)
    lock = m.Lock()
    value = m.Value('i', 0)
    ready = m.list()
    go = m.Event()
    children = [ctx.Process(target=incrementer, args=(lock, value, n, ready, go)) for _ in range(procs)]
    for c in children:
        c.start()
    wait_len(ready, procs)
    t0 = time.monotonic_ns()
    go.set()
    for c in children:
        c.join(LIMIT_S)
    elapsed = ms_between(t0, time.monotonic_ns())
    for c in children:
        check_exit(c, 'incrementer')
    if value.value != procs * n:
        raise RuntimeError('Lock+Value: %d, expected %d' % (value.value, procs * n))
    return {'perS': procs * n / (elapsed / 1000), 'exact': True}


def queue(method, n):
    m = manager_of(method)
    ctx = mp.get_context(method)
    q = m.Queue()
    go = m.Event()
    p = ctx.Process(target=producer, args=(q, n, go))
    p.start()
    if q.get(timeout=LIMIT_S) != 'ready':
        raise RuntimeError('queue: no ready marker')
    t0 = time.monotonic_ns()
    go.set()
    count = total = 0
    while True:
        item = q.get(timeout=LIMIT_S)
        if item is None:
            break
        count += 1
        total += item
    elapsed = ms_between(t0, time.monotonic_ns())
    p.join(LIMIT_S)
    check_exit(p, 'producer')
    if count != n or total != n * (n - 1) // 2:
        raise RuntimeError('queue: %d items, expected %d' % (count, n))
    return {'perS': n / (elapsed / 1000)}


class MathManager(BaseManager):
    pass


MathManager.register('Math')
_remote = {}


def remote_port(authkey):
    """The remote server: python remote_server.py, a process of its own; its port."""
    if 'port' not in _remote:
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'remote_server.py')
        child = subprocess.Popen([sys.executable, script, authkey], stdout=subprocess.PIPE, text=True)
        _remote['child'] = child
        _remote['port'] = int(child.stdout.readline())
    return _remote['port']


def remote(connects, creates, remoteCalls, authkey):
    address = ('127.0.0.1', remote_port(authkey))
    key = authkey.encode()
    connect_ms = []
    for _ in range(connects):
        m = MathManager(address=address, authkey=key)
        t = time.monotonic_ns()
        m.connect()
        connect_ms.append(ms_between(t, time.monotonic_ns()))
    m = MathManager(address=address, authkey=key)
    m.connect()
    create_ms = []
    for _ in range(creates):
        t = time.monotonic_ns()
        math = m.Math()
        create_ms.append(ms_between(t, time.monotonic_ns()))
        del math
    math = m.Math()
    if math.add(1, 2) != 3:
        raise RuntimeError('remote add: wrong answer')
    call_us = call_p50(remoteCalls, lambda i: math.add(i, 1))
    return {'connectMs': statistics.median(connect_ms), 'createMs': statistics.median(create_ms), 'callUs': call_us}


if __name__ == '__main__':
    from bench_serve import serve
    try:
        serve({'managerStart': managerStart, 'calls': calls, 'multiAppend': multiAppend, 'lockValue': lockValue,
               'queue': queue, 'remote': remote})
    finally:
        for manager in _managers.values():
            manager.shutdown()
        if 'child' in _remote:
            _remote['child'].terminate()
            _remote['child'].wait()
