// The modules of src/ form a graph without cycles (value imports: `import type` is erased), so no
// module can see another half-initialized, whichever of them a program imports first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../src/', import.meta.url));

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Each module's value imports and re-exports of other modules of src/. */
function importGraph() {
  const graph = new Map();
  for (const file of sources(root)) {
    const text = readFileSync(file, 'utf8');
    const deps = [];
    for (const match of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?[^'"]*?from\s+'(\.[^']+)'/gm)) {
      if (match[1]) continue;
      deps.push(normalize(join(dirname(file), match[2].replace(/\.js$/, '.ts'))));
    }
    graph.set(file, deps);
  }
  return graph;
}

/** The cycles of the graph, as Tarjan's strongly connected components of more than one module. */
function cycles(graph) {
  let index = 0;
  const stack = [];
  const onStack = new Set();
  const indexOf = new Map();
  const low = new Map();
  const found = [];
  const visit = (v) => {
    indexOf.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), indexOf.get(w)));
      }
    }
    if (low.get(v) === indexOf.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(relative(root, w));
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indexOf.has(v)) visit(v);
  return found;
}

test('src/ has no import cycles', () => {
  const graph = importGraph();
  assert.ok(graph.size > 50, `read ${graph.size} modules`);
  assert.deepEqual(cycles(graph), []);
});

test('the cycle finder finds a cycle', () => {
  const a = join(root, 'a.ts');
  const b = join(root, 'b.ts');
  const c = join(root, 'c.ts');
  assert.deepEqual(cycles(new Map([[a, [b]], [b, [a]], [c, [a]]])), [['a.ts', 'b.ts']]);
});
