/**
 * TypeScript in worker threads. `child_process` children inherit `--import tsx` through execArgv,
 * but on Node 20 a loader registered on the main thread does not reach worker threads, so the
 * thread runtime registers tsx itself when the parent runs under it.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

let cached: string | null | undefined;

function runsUnderTsx(): string | undefined {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return args.find((arg) => /[\\/]tsx[\\/]|^tsx(\/|$)|=tsx(\/|$)/.test(arg));
}

/** URL of tsx's ESM API module when this process runs under tsx, else null. */
export function tsxLoaderUrl(): string | null {
  if (cached !== undefined) return cached;
  cached = null;
  const hint = runsUnderTsx();
  if (!hint) return cached;
  const bases = [hint.replace(/^--[\w-]+=/, ''), process.argv[1] ?? '', `${process.cwd()}/`];
  for (const base of bases) {
    try {
      const from = base.startsWith('file:') ? base : pathToFileURL(base).href;
      cached = pathToFileURL(createRequire(from).resolve('tsx/esm/api')).href;
      return cached;
    } catch {
      // try the next place tsx might be installed
    }
  }
  return cached;
}
