/**
 * A child finds a function (or class) by importing the module that defines it. When that module
 * is a node:test test file, the import runs its tests again, in every child: each pool worker
 * reruns the suite (and fails it: "a Pool cannot be created inside a pool worker"), each Process
 * child too. Such targets are refused at the call site instead, with the fix.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const verdicts = new Map<string, boolean>();

/** Mentions node:test in a string literal: a static or dynamic import, or a require. */
const USES_NODE_TEST = /(['"`])node:test\1/;
/** A test or suite declared at the top level of the module (column 0), as test files do. */
const DECLARES_TESTS = /^(?:await\s+)?(?:test|it|describe|suite)(?:\.(?:only|skip|todo))?\s*\(/m;

function isEntry(file: string): boolean {
  const main = process.argv[1];
  return main !== undefined && resolve(main) === file;
}

/** Whether node:test has been loaded in this process (by the entry or a helper it imports). */
function nodeTestLoaded(): boolean {
  const loaded = (process as unknown as { moduleLoadList?: unknown }).moduleLoadList;
  return Array.isArray(loaded) && loaded.includes('NativeModule test');
}

/**
 * Not NODE_TEST_CONTEXT alone: `node --test` sets it on each test file's process, but every
 * program that process spawns inherits it too (an application started by an integration test).
 */
function decide(file: string): boolean {
  const entry = isEntry(file);
  // The entry of `node --test file` or `node file.test.mjs`: its tests run as it loads.
  if (entry && nodeTestLoaded()) return true;
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  if (!USES_NODE_TEST.test(source)) return false;
  // Another module that uses node:test (a helper) runs tests on import only if it declares them
  // at its top level.
  return entry || DECLARES_TESTS.test(source);
}

/** Whether importing the module at `url` (a file: URL) would run node:test tests. */
export function registersTests(url: string): boolean {
  let verdict = verdicts.get(url);
  if (verdict === undefined) {
    verdict = url.startsWith('file:') && decide(fileURLToPath(url));
    verdicts.set(url, verdict);
  }
  return verdict;
}

/** What a child's import of a test file does, for messages. */
export const TEST_FILE_CONSEQUENCE =
  'a child imports the module that defines it to find it, and importing a node:test test file runs its tests again in ' +
  'every child (where they fail, e.g. "a Pool cannot be created inside a pool worker")';
