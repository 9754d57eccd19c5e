// The start methods every part compares, and the bare floors of the parts that start several.
export const METHOD_CASES = [
  { id: 'ts-spawn', label: 'multiprocessing-ts spawn', lang: 'node', params: { method: 'spawn' } },
  { id: 'ts-forkserver', label: 'multiprocessing-ts forkserver', lang: 'node', params: { method: 'forkserver' } },
  { id: 'ts-thread', label: 'multiprocessing-ts thread', lang: 'node', params: { method: 'thread' } },
  { id: 'py-spawn', label: 'CPython spawn', lang: 'python', params: { method: 'spawn' } },
  { id: 'py-forkserver', label: 'CPython forkserver', lang: 'python', params: { method: 'forkserver' } },
  { id: 'py-fork', label: 'CPython fork', lang: 'python', params: { method: 'fork' } },
];

export const FLOOR_CASES = [
  { id: 'node-process', label: 'floor: bare `node file.mjs` processes, no package', lang: 'node', params: { kind: 'bare-process', method: 'node' } },
  { id: 'node-worker', label: 'floor: bare `new Worker(file.mjs)`s, no package', lang: 'node', params: { kind: 'bare-worker', method: 'worker' } },
];
