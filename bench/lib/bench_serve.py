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
    """Bytes resident for pid, as procfs.mjs's memoryOf: vmRss, rssAnon, rssFile, pss, private."""
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
    rollup = '/proc/%d/smaps_rollup' % pid
    private_clean = field(rollup, 'Private_Clean')
    private_dirty = field(rollup, 'Private_Dirty')
    return {
        'vmRss': field(status, 'VmRSS'),
        'rssAnon': field(status, 'RssAnon'),
        'rssFile': field(status, 'RssFile'),
        'pss': field(rollup, 'Pss'),
        'private': None if private_clean is None or private_dirty is None else private_clean + private_dirty,
    }
