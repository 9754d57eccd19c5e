"""The CPython remote server of the managers benchmark, a process of its own that nothing else
started: python remote_server.py AUTHKEY serves MathClass as 'Math' on 127.0.0.1 (a free port,
printed on stdout) with get_server().serve_forever(), until it is terminated."""
import sys
from multiprocessing.managers import BaseManager


class MathClass:
    def add(self, x, y):
        return x + y

    def mul(self, x, y):
        return x * y


class MathManager(BaseManager):
    pass


MathManager.register('Math', MathClass)

if __name__ == '__main__':
    server = MathManager(address=('127.0.0.1', 0), authkey=sys.argv[1].encode()).get_server()
    print(server.address[1], flush=True)
    server.serve_forever()
