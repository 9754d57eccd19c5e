"""Measures CPython's multiprocessing for the connection benchmark, on the harness's requests (see
lib/driver.mjs): Pipe round trips with a child, and bytes moved from a child Client to a Listener
over loopback TCP. Spawned children re-import this module, as they do any main module, so its top
level imports only what the measurement itself needs."""
import multiprocessing as mp
import time
from multiprocessing.connection import Client, Listener


def echo(conn):
    while True:
        value = conn.recv()
        if value is None:
            break
        conn.send(value)
    conn.close()


def trip_stats(trips):
    s = sorted(trips)
    at = lambda q: s[min(len(s) - 1, round((len(s) - 1) * q))]
    return {'p50': at(0.5), 'p90': at(0.9), 'p99': at(0.99), 'mean': sum(trips) / len(trips)}


def pingpong(method, n, warmup):
    """Pipe round trips with a child: `warmup` untimed, then `n` timed one by one (us each)."""
    ctx = mp.get_context(method)
    mine, theirs = ctx.Pipe()
    child = ctx.Process(target=echo, args=(theirs,))
    child.start()
    theirs.close()
    trips = []
    clock = time.monotonic_ns
    try:
        for i in range(warmup + n):
            message = [i, 'ping']
            t0 = clock()
            mine.send(message)
            back = mine.recv()
            t1 = clock()
            if back[0] != i:
                raise RuntimeError('round trip %d came back as %r' % (i, back))
            if i >= warmup:
                trips.append((t1 - t0) / 1e3)
        mine.send(None)
    except BaseException:
        child.kill()
        raise
    finally:
        child.join()
        mine.close()
    if child.exitcode != 0:
        raise RuntimeError('echo child ended with exit code %s' % child.exitcode)
    return trip_stats(trips)


def send_with_client(address, authkey, size, count, per_window):
    """Sends count x size bytes with send_bytes; every per_window messages the receiver acknowledges
    with one byte, and this side runs at most one window ahead (as node-driver's senders)."""
    conn = Client(address, authkey=authkey)
    payload = bytes([7]) * size
    for i in range(1, count + 1):
        conn.send_bytes(payload)
        if i % per_window == 0 and i > per_window:
            conn.recv_bytes()
    conn.close()


def throughput(size, count, perWindow):
    """A spawn child sends count x size bytes to a Listener here (loopback TCP): time from the
    accepted (authenticated) connection to the last byte received."""
    authkey = b'bench key'
    listener = Listener(('127.0.0.1', 0), authkey=authkey)
    ctx = mp.get_context('spawn')
    child = ctx.Process(target=send_with_client, args=(listener.address, authkey, size, count, perWindow))
    child.start()
    try:
        conn = listener.accept()
        t0 = time.monotonic_ns()
        received = 0
        for i in range(1, count + 1):
            message = conn.recv_bytes()
            if len(message) != size:
                raise RuntimeError('message %d has %d bytes, not %d' % (i, len(message), size))
            received += len(message)
            if i % perWindow == 0:
                conn.send_bytes(b'\x01')
        t1 = time.monotonic_ns()
        conn.close()
    finally:
        listener.close()
        child.join()
    if child.exitcode != 0:
        raise RuntimeError('sender ended with exit code %s' % child.exitcode)
    return {'seconds': (t1 - t0) / 1e9, 'bytes': received}


if __name__ == '__main__':
    from bench_serve import serve
    serve({'pingpong': pingpong, 'throughput': throughput})
