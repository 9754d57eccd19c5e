// Type-checks every `@example` of the API reference as a user's program: each fenced code block
// under an `@example` tag in src/ becomes a module that imports 'multiprocessing-ts' (the built
// dist/index.d.ts, found through the package's own name) and is compiled in strict mode with
// skipLibCheck off, so an example that no longer matches the API fails the docs build.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, 'out', 'doc-examples');

if (!existsSync(join(root, 'dist', 'index.d.ts'))) {
  console.error('dist/index.d.ts is missing: run `npm run build` first.');
  process.exit(1);
}

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The fenced blocks under `@example` tags of one file, with the line each starts on. */
function examplesOf(text) {
  const lines = text.split('\n');
  const found = [];
  let inExample = false;
  let block = null;
  lines.forEach((line, index) => {
    const comment = /^\s*\*(?: ?)(.*)$/.exec(line);
    if (!comment || /^\s*\*\//.test(line)) {
      inExample = false;
      block = null;
      return;
    }
    const body = comment[1];
    if (block) {
      if (/^```\s*$/.test(body)) {
        found.push(block);
        block = null;
      } else {
        block.code.push(body);
      }
      return;
    }
    if (/^@example\b/.test(body)) inExample = true;
    else if (/^@\w/.test(body)) inExample = false;
    else if (inExample && /^```(ts|typescript)\s*$/.test(body)) block = { line: index + 1, code: [] };
  });
  return found;
}

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const origins = new Map();
let count = 0;
for (const file of sourceFiles(join(root, 'src')).sort()) {
  const where = relative(root, file);
  examplesOf(readFileSync(file, 'utf8')).forEach((example, n) => {
    const name = `${where.replace(/^src\//, '').replace(/\.ts$/, '').replaceAll('/', '-')}-${n + 1}.ts`;
    origins.set(name, `${where}:${example.line}`);
    writeFileSync(join(outDir, name), `${example.code.join('\n')}\nexport {};\n`);
    count++;
  });
}

writeFileSync(
  join(outDir, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023', 'ESNext.Disposable'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: false,
      noEmit: true,
      types: ['node'],
    },
    include: ['*.ts'],
  }),
);

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', '.', '--pretty', 'false'], { cwd: outDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
} catch (error) {
  const report = String(error.stdout).replace(/^([\w.-]+\.ts)\((\d+),(\d+)\)/gm, (_, name, line) => {
    return `${origins.get(name) ?? name} (example line ${line})`;
  });
  console.error(`The @example code does not compile against dist/index.d.ts:\n${report}`);
  process.exit(1);
}
console.log(`${count} @example blocks compile against dist/index.d.ts.`);
