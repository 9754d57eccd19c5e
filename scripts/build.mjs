// Builds dist/: TypeScript compiles src/ (declarations, and the modules), then esbuild bundles
// every library module into one file, dist/internal/library.cjs, which dist/boot/load-library.js
// runs with V8's code cache. Each module's own dist/<path>.js becomes a stub re-exporting its part
// of that one instance, so `import 'multiprocessing-ts'` (and tests importing internal modules)
// load two small files and one cached script instead of ~90 modules.
//
// Entry scripts stay as compiled: they run as a process's or thread's first module and import
// the stubs they need (the child entries, the resource tracker, the CLI, the loader itself).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const require = createRequire(import.meta.url);

/** Modules that run first in a process or thread, or belong to the command-line tool. */
const UNBUNDLED = [/^boot\//, /^child\/(process|thread)-entry$/, /^resource-tracker\/tracker-main$/, /^cli\//];

function modulesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return modulesUnder(path);
    return entry.name.endsWith('.js') ? [relative(dist, path).split(sep).join('/').replace(/\.js$/, '')] : [];
  });
}

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

const bundled = modulesUnder(dist)
  .filter((id) => !UNBUNDLED.some((pattern) => pattern.test(id)))
  .sort();

// Each module's export names, for its stub.
const scan = await build({
  entryPoints: bundled.map((id) => join(dist, `${id}.js`)),
  bundle: false,
  write: false,
  metafile: true,
  format: 'esm',
  outdir: join(dist, '.scan'),
  logLevel: 'error',
});
const exportsOf = new Map();
for (const info of Object.values(scan.metafile.outputs)) {
  if (!info.entryPoint) continue;
  exportsOf.set(relative(dist, join(root, info.entryPoint)).split(sep).join('/').replace(/\.js$/, ''), info.exports);
}

const entryFile = join(dist, 'library-entry.js');
writeFileSync(
  entryFile,
  [
    "import { adoptModules } from './internal/library.js';",
    ...bundled.map((id, i) => `import * as m${i} from './${id}.js';`),
    `export const modules = { ${bundled.map((id, i) => `${JSON.stringify(id)}: m${i}`).join(', ')} };`,
    'adoptModules(modules);',
    "export { attachLoader } from './internal/library.js';",
    '',
  ].join('\n'),
);
await build({
  entryPoints: [entryFile],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: join(dist, 'internal', 'library.cjs'),
  // A dependency stays a dependency (resolved from node_modules as usual).
  external: ['node-gyp-build'],
  // Every module of the bundle sees the bundle's own URL: paths are relative to dist/internal/.
  banner: { js: 'var __libraryUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { 'import.meta.url': '__libraryUrl' },
  // No keepNames: it wraps every function made at run time (closures too) in a naming call,
  // which cost pool throughput ~10%. Names change only where two modules' top-level names
  // collide; the check below keeps classes (their names show in errors and inspect()) clear of it.
  keepNames: false,
  // Mapped through TypeScript's own maps to src/ (their sources are inlined): stack traces under
  // `node --enable-source-maps` and debuggers show the TypeScript.
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
rmSync(entryFile);

// esbuild renames a top-level declaration whose name another module also uses (`Foo` -> `Foo2`).
const bundle = readFileSync(join(dist, 'internal', 'library.cjs'), 'utf8');
const renamedClasses = [...bundle.matchAll(/^(?:class ([A-Za-z_$][\w$]*\d)\b|var ([A-Za-z_$][\w$]*\d) = class\b)/gm)]
  .map((match) => match[1] ?? match[2])
  .filter((name) => bundle.includes(`class ${name.replace(/\d+$/, '')} `) || bundle.includes(`var ${name.replace(/\d+$/, '')} = class`));
if (renamedClasses.length > 0) {
  throw new Error(`two modules declare classes of the same name, which the bundle renames: ${renamedClasses.join(', ')}`);
}

for (const id of bundled) {
  const names = exportsOf.get(id) ?? [];
  const up = '../'.repeat(id.split('/').length - 1) || './';
  const lines = [`import { library } from '${up}boot/load-library.js';`];
  if (names.length > 0) {
    lines.push(`const m = library[${JSON.stringify(id)}];`);
    lines.push(`export const ${names.map((name) => `${name} = m.${name}`).join(', ')};`);
  }
  writeFileSync(join(dist, `${id}.js`), `${lines.join('\n')}\n`);
  rmSync(join(dist, `${id}.js.map`), { force: true });
}
console.log(`bundled ${bundled.length} modules into dist/internal/library.cjs`);
