// The kernel's own view of CPU affinity and nice values, read from /proc: what the affinity and
// priority tests compare the package's calls with (never the package's own getters).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** "0-2,5" -> [0, 1, 2, 5]. */
export function parseCpuList(text) {
  return text
    .trim()
    .split(',')
    .filter(Boolean)
    .flatMap((part) => {
      const [first, last = first] = part.split('-').map(Number);
      return Array.from({ length: last - first + 1 }, (_, i) => first + i);
    });
}

/** The CPUs thread `tid` of process `pid` may run on (`Cpus_allowed_list`). */
export function threadCpus(pid, tid) {
  const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
  return parseCpuList(/^Cpus_allowed_list:\s*(.*)$/m.exec(status)[1]);
}

/** Thread `tid`'s nice value: field 19 of its stat line (after the parenthesised name). */
export function threadNice(pid, tid) {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** Every thread of process `pid`: { tid: { cpus, nice } }. */
export function processThreads(pid) {
  const view = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      view[tid] = { cpus: threadCpus(pid, tid), nice: threadNice(pid, tid) };
    } catch {
      // that thread ended while we looked
    }
  }
  return view;
}

/** The calling thread's kernel id ('/proc/thread-self' -> '<pid>/task/<tid>'). */
export function ownTid() {
  return Number(readlinkSync('/proc/thread-self').split('/').at(-1));
}
