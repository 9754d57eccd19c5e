"""The driver side of driver.mjs for Python: answers the harness's requests with handlers[op]."""
import json
import sys
import traceback

MARK = '@bench:'


def serve(handlers):
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            handler = handlers.get(request['op'])
            if handler is None:
                raise KeyError('unknown op %s' % request['op'])
            answer = {'result': handler(**request.get('params', {}))}
        except Exception:
            answer = {'error': traceback.format_exc()}
        sys.stdout.write(MARK + json.dumps(answer) + '\n')
        sys.stdout.flush()


def memory_of(pid):
    """Bytes resident for pid, as procfs.mjs's memoryOf: vmRss, rssAnon, rssFile, pss."""
    def field(path, name):
        try:
            with open(path) as f:
                for row in f:
                    if row.startswith(name + ':'):
                        return int(row.split()[1]) * 1024
        except OSError:
            pass
        return None
    status = '/proc/%d/status' % pid
    return {
        'vmRss': field(status, 'VmRSS'),
        'rssAnon': field(status, 'RssAnon'),
        'rssFile': field(status, 'RssFile'),
        'pss': field('/proc/%d/smaps_rollup' % pid, 'Pss'),
    }
