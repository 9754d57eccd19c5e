// Measures multiprocessing-ts's managers for the managers benchmark, on the harness's requests
// (see lib/driver.mjs). One manager per start method serves every call-level case (steady state).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import * as mp from '../../lib/package.mjs';
import { serve } from '../../lib/serve.mjs';
import { msBetween, now } from '../../lib/timing.mjs';
import { appender, callP50, childCallLatency, incrementer, p50, producer } from './targets.mjs';

const LIMIT_MS = 60_000;
const managers = new Map();
const serverPids = new Map();

/** The long-lived manager of `method` (started on first use). */
async function managerOf(method) {
  if (!managers.has(method)) {
    const before = new Set(mp.activeChildren());
    managers.set(method, await mp.getContext(method).Manager());
    // Its server: the child this start added (none for a thread, which runs in this process).
    const server = mp.activeChildren().find((p) => !before.has(p) && p.name.startsWith('SyncManager-'));
    serverPids.set(method, server && method !== 'thread' ? server.pid : process.pid);
  }
  return managers.get(method);
}

/** CPU time (user + system, every thread) process `pid` has used, in ms (procfs, 10 ms ticks). */
function cpuMsOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** CPU time of this process and of the manager's server (once if they are one), in ms. */
function cpuMsWith(method) {
  const server = serverPids.get(method);
  return cpuMsOf(process.pid) + (server === process.pid ? 0 : cpuMsOf(server));
}

function checkExit(p, what) {
  if (p.exitCode !== 0) throw new Error(`${what}: child ended with exit code ${p.exitCode}`);
}

async function release(...proxies) {
  await Promise.all(proxies.map((p) => p[Symbol.asyncDispose]()));
}

/** `Manager()` of `method` until a dict proxy has taken its first set; then its shutdown (ms). */
async function managerStart({ method, settleMs }) {
  await sleep(settleMs);
  const t0 = now();
  const manager = await mp.getContext(method).Manager();
  const t1 = now();
  const d = await manager.dict();
  await d.set('x', 1);
  const t2 = now();
  await manager.shutdown();
  const t3 = now();
  return { started: msBetween(t0, t1), firstProxy: msBetween(t0, t2), shutdown: msBetween(t2, t3) };
}

/** Call-level cases from this process, and the call latencies from one child (`method`). */
async function calls({ method, latencyCalls, creates, pairs, appends, pipelined, batch }) {
  const manager = await managerOf(method);
  const d = await manager.dict();
  await d.set('k', 0);
  const l = await manager.list();
  await callP50(200, () => d.get('k'));
  const dictGetUs = await callP50(latencyCalls, () => d.get('k'));
  const appendUs = await callP50(latencyCalls, (i) => l.append(i));

  const made = [];
  let t = now();
  for (let i = 0; i < creates; i++) made.push(await manager.list());
  const createMs = msBetween(t, now()) / creates;
  await release(...made);

  t = now();
  for (let i = 0; i < pairs; i++) {
    await d.set('k', i);
    await d.get('k');
  }
  const dictPairsPerS = pairs / (msBetween(t, now()) / 1000);

  const seq = await manager.list();
  const cpu0 = cpuMsWith(method);
  t = now();
  for (let i = 0; i < appends; i++) await seq.append(i);
  const appendsPerS = appends / (msBetween(t, now()) / 1000);
  const appendCpuUs = ((cpuMsWith(method) - cpu0) * 1000) / appends;
  if ((await seq.len()) !== appends) throw new Error('sequential appends: wrong count');

  const piped = await manager.list();
  t = now();
  for (let i = 0; i < pipelined; i += batch) {
    const inFlight = [];
    for (let j = i; j < Math.min(pipelined, i + batch); j++) inFlight.push(piped.append(j));
    await Promise.all(inFlight);
  }
  const pipelinedPerS = pipelined / (msBetween(t, now()) / 1000);
  if ((await piped.len()) !== pipelined) throw new Error('pipelined appends: wrong count');

  const out = await manager.dict();
  const childList = await manager.list();
  const child = new (mp.getContext(method).Process)({ target: childCallLatency, args: [d, childList, latencyCalls, out] });
  child.start();
  await child.join({ timeout: LIMIT_MS });
  checkExit(child, 'child call latency');
  const fromChild = await out.get('result');
  await release(d, l, seq, piped, out, childList);
  return { dictGetUs, appendUs, createMs, dictPairsPerS, appendsPerS, appendCpuUs, pipelinedPerS, childDictGetUs: fromChild.dictGetUs, childAppendUs: fromChild.appendUs, childSettledDictGetUs: fromChild.settledDictGetUs };
}

/** `procs` children (`method`) append `n` each to one list at once, `batch` in flight (1: awaited one by one). */
async function multiAppend({ method, procs, n, batch }) {
  const manager = await managerOf(method);
  const list = await manager.list();
  const go = await manager.Event();
  const Process = mp.getContext(method).Process;
  const children = Array.from({ length: procs }, () => new Process({ target: appender, args: [list, n, go, batch] }));
  for (const c of children) c.start();
  while ((await list.len()) < procs) await sleep(5);
  const t0 = now();
  await go.set();
  await Promise.all(children.map((c) => c.join({ timeout: LIMIT_MS })));
  const elapsed = msBetween(t0, now());
  for (const c of children) checkExit(c, 'appender');
  const items = await list.copy();
  const counts = new Map();
  for (const x of items) if (x >= 0) counts.set(x, (counts.get(x) ?? 0) + 1);
  const exact = items.length === procs * (n + 1) && counts.size === n && [...counts.values()].every((k) => k === procs);
  await release(list, go);
  if (!exact) throw new Error(`${procs} appenders: ${items.length} items, expected ${procs * (n + 1)}`);
  return { perS: (procs * n) / (elapsed / 1000), exact };
}

/** `procs` children add 1 to a managed Value `n` times each under a managed Lock. */
async function lockValue({ method, procs, n }) {
  const manager = await managerOf(method);
  const lock = await manager.Lock();
  const value = await manager.Value('i', 0);
  const ready = await manager.list();
  const go = await manager.Event();
  const Process = mp.getContext(method).Process;
  const children = Array.from({ length: procs }, () => new Process({ target: incrementer, args: [lock, value, n, ready, go] }));
  for (const c of children) c.start();
  while ((await ready.len()) < procs) await sleep(5);
  const t0 = now();
  await go.set();
  await Promise.all(children.map((c) => c.join({ timeout: LIMIT_MS })));
  const elapsed = msBetween(t0, now());
  for (const c of children) checkExit(c, 'incrementer');
  const total = await value.get();
  await release(lock, value, ready, go);
  if (total !== procs * n) throw new Error(`Lock+Value: ${total}, expected ${procs * n}`);
  return { perS: (procs * n) / (elapsed / 1000), exact: true };
}

/** A child puts `n` ints on a managed Queue, this process takes them. */
async function queue({ method, n }) {
  const manager = await managerOf(method);
  const q = await manager.Queue();
  const go = await manager.Event();
  const child = new (mp.getContext(method).Process)({ target: producer, args: [q, n, go] });
  child.start();
  if ((await q.get({ timeout: LIMIT_MS })) !== 'ready') throw new Error('queue: no ready marker');
  const t0 = now();
  await go.set();
  let count = 0;
  let sum = 0;
  for (;;) {
    const item = await q.get({ timeout: LIMIT_MS });
    if (item === null) break;
    count++;
    sum += item;
  }
  const elapsed = msBetween(t0, now());
  await child.join({ timeout: LIMIT_MS });
  checkExit(child, 'producer');
  await release(q, go);
  if (count !== n || sum !== (n * (n - 1)) / 2) throw new Error(`queue: ${count} items, expected ${n}`);
  return { perS: n / (elapsed / 1000) };
}

class MathManager extends mp.BaseManager {}
MathManager.register('Math');

let remoteServer = null;

/** The remote server: `node remote-server.mjs`, a process of its own; resolves with its port. */
function remotePort(authkey) {
  remoteServer ??= new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL('./remote-server.mjs', import.meta.url)), authkey], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the remote server exited (code ${code})`)));
    createInterface({ input: child.stdout }).once('line', (line) => resolve({ child, port: Number(line) }));
  });
  return remoteServer.then((s) => s.port);
}

/** The time one connect() to the remote server takes in a new process (ms). */
function connectOnce(port, authkey, mode) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL('./connect-once.mjs', import.meta.url)), String(port), authkey, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`connect-once exited with code ${code}`))));
  });
}

/** Against the remote server over TCP: connect() p50 (each in a new process), proxy creation p50 (ms), call p50 (µs). */
async function remote({ connects, creates, remoteCalls, authkey }) {
  const address = ['127.0.0.1', await remotePort(authkey)];
  const key = Buffer.from(authkey);
  const connectMs = [];
  // Each in a new process: this one keeps its connection to the server for every later connect().
  const firstConnectMs = [];
  for (let i = 0; i < connects; i++) {
    firstConnectMs.push(await connectOnce(address[1], authkey, 'first'));
    connectMs.push(await connectOnce(address[1], authkey, 'loaded'));
  }
  const m = new MathManager({ address, authkey: key });
  await m.connect();
  const createMs = [];
  for (let i = 0; i < creates; i++) {
    const t = now();
    const math = await m.Math();
    createMs.push(msBetween(t, now()));
    await math[Symbol.asyncDispose]();
  }
  const math = await m.Math();
  if ((await math.add(1, 2)) !== 3) throw new Error('remote add: wrong answer');
  const callUs = await callP50(remoteCalls, (i) => math.add(i, 1));
  await math[Symbol.asyncDispose]();
  await m.shutdown();
  return { connectMs: p50(connectMs), firstConnectMs: p50(firstConnectMs), createMs: p50(createMs), callUs };
}

await serve({ managerStart, calls, multiAppend, lockValue, queue, remote });
for (const manager of managers.values()) await manager.shutdown();
if (remoteServer) (await remoteServer).child.kill();
