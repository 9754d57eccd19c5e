// CPython as the reference: which interpreter, its version, and drivers running on it.
import { execFileSync } from 'node:child_process';
import { Driver } from './driver.mjs';

/** The interpreter to compare against: $PYTHON, else python3 on PATH. */
export function pythonExecutable() {
  return process.env.PYTHON || 'python3';
}

/** "3.11.7", or null when no interpreter is there. */
export function pythonVersion() {
  try {
    return execFileSync(pythonExecutable(), ['-c', 'import platform; print(platform.python_version())'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    return null;
  }
}

/** Starts `script` (which calls bench_serve.serve) as a driver; bench/lib is on its import path. */
export function startPythonDriver(label, script, { cwd } = {}) {
  if (pythonVersion() === null) throw new Error(`no Python interpreter at ${pythonExecutable()}: install python3 or set PYTHON=/path/to/python3`);
  const libDir = new URL('.', import.meta.url).pathname;
  return new Driver(label, pythonExecutable(), ['-u', script], {
    cwd,
    // No bytecode files written beside the bench scripts (the standard library's are already there).
    env: { ...process.env, PYTHONPATH: [libDir, process.env.PYTHONPATH].filter(Boolean).join(':'), PYTHONDONTWRITEBYTECODE: '1' },
  });
}
