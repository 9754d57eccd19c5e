/**
 * Where a value sits inside what is being sent, written as the code that reaches it
 * (`args[1].conn.socket`, `iterable[3].get("k")`), for the messages of values that cannot be
 * sent. Found only after a refusal, by searching again: sending pays nothing for it.
 */

/**
 * How the caller names what it sends: one name for the whole value ('obj'); or, when it sends an
 * array of separate things, a name per element (['target', 'args']) or a function of the index
 * (map items: `(i) => \`iterable[${i}]\``). A null name leaves that value unnamed when it is the
 * refused one itself (a Process target names itself well enough).
 */
export type Label = string | null | readonly (string | null)[] | ((index: number) => string);

type Step = { kind: 'index'; index: number } | { kind: 'key'; key: string } | { kind: 'map-value'; key: unknown; at: number } | { kind: 'map-key'; at: number } | { kind: 'set'; at: number };

function isIdentifier(key: string): boolean {
  return /^[A-Za-z_$][\w$]*$/.test(key);
}

/** A Map key as code, when it is a primitive that can be written so. */
function keyCode(key: unknown): string | null {
  switch (typeof key) {
    case 'string':
      return JSON.stringify(key);
    case 'number':
    case 'boolean':
      return String(key);
    case 'bigint':
      return `${key}n`;
    default:
      return key === null || key === undefined ? String(key) : null;
  }
}

function render(step: Step): string {
  switch (step.kind) {
    case 'index':
      return `[${step.index}]`;
    case 'key':
      return isIdentifier(step.key) ? `.${step.key}` : `[${JSON.stringify(step.key)}]`;
    case 'map-value': {
      const key = keyCode(step.key);
      return key === null ? `[...values()][${step.at}]` : `.get(${key})`;
    }
    case 'map-key':
      return `[...keys()][${step.at}]`;
    case 'set':
      return `[...values()][${step.at}]`;
  }
}

/** The children of a value the codec walks into, with the step that reaches each. */
function* children(value: object): Generator<[Step, unknown]> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (i in value) yield [{ kind: 'index', index: i }, value[i]];
    return;
  }
  if (value instanceof Map) {
    let at = 0;
    for (const [key, item] of value) {
      yield [{ kind: 'map-key', at }, key];
      yield [{ kind: 'map-value', key, at }, item];
      at++;
    }
    return;
  }
  if (value instanceof Set) {
    let at = 0;
    for (const item of value) yield [{ kind: 'set', at: at++ }, item];
    return;
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date || value instanceof RegExp) return;
  for (const key of Object.keys(value)) {
    let item: unknown;
    try {
      item = (value as Record<string, unknown>)[key];
    } catch {
      continue;
    }
    yield [{ kind: 'key', key }, item];
  }
  if (value instanceof Error) {
    if ('cause' in value) yield [{ kind: 'key', key: 'cause' }, value.cause];
    if (value instanceof AggregateError) yield [{ kind: 'key', key: 'errors' }, value.errors];
  }
}

/**
 * The path from `root` to the first place (in the order the codec walks) holding `target`,
 * written with `label`; null if it is not found, or if it is the root itself and unnamed.
 */
export function pathTo(root: unknown, target: unknown, label: Label): string | null {
  const seen = new Set<object>();
  const steps: Step[] = [];
  const search = (value: unknown): boolean => {
    if (Object.is(value, target)) return true;
    // A value nested deeper than any message should name is left unnamed (and the stack safe).
    if (steps.length >= MAX_DEPTH) return false;
    if (value === null || typeof value !== 'object' || seen.has(value)) return false;
    seen.add(value);
    for (const [step, child] of children(value)) {
      steps.push(step);
      if (search(child)) return true;
      steps.pop();
    }
    return false;
  };
  if (!search(root)) return null;
  if (typeof label === 'string' || label === null) {
    if (steps.length === 0) return label;
    return `${label ?? 'value'}${renderAll(steps)}`;
  }
  const [first, ...rest] = steps;
  if (first === undefined || first.kind !== 'index') return null;
  const name = typeof label === 'function' ? label(first.index) : label[first.index];
  if (name === undefined) return null;
  if (name === null) return rest.length === 0 ? null : `[${first.index}]${renderAll(rest)}`;
  return `${name}${renderAll(rest)}`;
}

/** How deep the search for a refused value goes. */
const MAX_DEPTH = 200;
/** Steps shown at each end of a long path (the middle is counted, not written). */
const SHOWN = 8;

function renderAll(steps: readonly Step[]): string {
  if (steps.length <= 2 * SHOWN + 1) return steps.map(render).join('');
  const hidden = steps.length - 2 * SHOWN;
  return `${steps.slice(0, SHOWN).map(render).join('')}…(${hidden} more steps)…${steps.slice(-SHOWN).map(render).join('')}`;
}
