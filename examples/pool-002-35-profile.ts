// 002-35: profiling main() with a Pool; as with cProfile, only this process is profiled.
// Differs: Node's own profiler (node:inspector) replaces cProfile; the table lists the functions
// of this file and of the package that took samples, in the same columns as pstats' standard order.
import { Session } from 'node:inspector/promises';
import { Pool, isMain } from 'multiprocessing-ts';

export function square(x: number): number {
  return x * x;
}

async function main(): Promise<void> {
  const data = Array.from({ length: 1000 }, (_, i) => i);
  await using pool = new Pool({ processes: 4 });
  await pool.map(square, data);
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

if (isMain(import.meta)) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const started = performance.now();
  await main();
  const seconds = (performance.now() - started) / 1000;
  const { profile } = (await session.post('Profiler.stop')) as { profile: { nodes: ProfileNode[]; samples?: number[] } };
  session.disconnect();

  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    if (!url.startsWith('file:') || !node.hitCount) continue;
    const key = `${url.split('/').pop()}:${lineNumber + 1}(${functionName || '<anonymous>'})`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + node.hitCount);
  }
  const samples = profile.samples?.length ?? 0;
  console.log(`${samples} samples in ${seconds.toFixed(3)} seconds`);
  console.log('Ordered by: standard name');
  console.log('samples  filename:lineno(function)');
  for (const [name, hits] of [...byFunction].sort(([a], [b]) => a.localeCompare(b))) {
    console.log(`${String(hits).padStart(7)}  ${name}`);
  }
}
