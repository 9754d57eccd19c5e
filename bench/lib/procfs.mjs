// Memory of a process as Linux reports it: VmRSS (resident, shared pages counted in full),
// RssAnon (its own heap and stacks), Pss (shared pages split among their users), and private
// (Private_Clean + Private_Dirty: pages no other process maps, what ending it would free).
import { readdirSync, readFileSync } from 'node:fs';

function kib(text, field) {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) * 1024 : NaN;
}

/** Bytes resident for `pid`: { vmRss, rssAnon, rssFile, pss, private }; NaN where not readable. */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  let pss = NaN;
  let privateBytes = NaN;
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    pss = kib(rollup, 'Pss');
    privateBytes = kib(rollup, 'Private_Clean') + kib(rollup, 'Private_Dirty');
  } catch {
    // smaps_rollup needs Linux 4.14 and ptrace access; the other numbers still stand.
  }
  return { vmRss: kib(status, 'VmRSS'), rssAnon: kib(status, 'RssAnon'), rssFile: kib(status, 'RssFile'), pss, private: privateBytes };
}

/** Pids of the live child processes of `pid` (all its threads' children). */
export function childPids(pid = process.pid) {
  const pids = [];
  for (const task of safeList(`/proc/${pid}/task`)) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text) pids.push(...text.split(/\s+/).map(Number));
    } catch {
      // The thread ended while we looked.
    }
  }
  return pids;
}

function safeList(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
