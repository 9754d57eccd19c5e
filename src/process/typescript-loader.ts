/**
 * TypeScript in worker threads. `child_process` children inherit `--import tsx` through execArgv,
 * but on Node 20 a loader registered on the main thread does not reach worker threads, so the
 * thread runtime registers tsx itself when the parent runs under it.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';

interface TsxManifest {
  exports?: Record<string, { import?: string | { default?: string } } | undefined>;
}

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
      // The ESM build of tsx's API: its CommonJS build cannot register hooks from a worker.
      const manifest = createRequire(from).resolve('tsx/package.json');
      const exported = (JSON.parse(readFileSync(manifest, 'utf8')) as TsxManifest).exports?.['./esm/api']?.import;
      const entry = typeof exported === 'string' ? exported : exported?.default;
      if (!entry) continue;
      cached = new URL(entry, pathToFileURL(manifest)).href;
      return cached;
    } catch {
      // try the next place tsx might be installed
    }
  }
  return cached;
}
