// Runs a fixture script as its own Node program and collects what it prints: for behaviour
// that only shows at process level (exit of the main program, stderr output, orphans).
import { spawn } from 'node:child_process';

export function runScript(file, { args = [], execArgv = [], env = {}, timeout = 30_000, cwd } = {}) {
  return runCommand(process.execPath, [...execArgv, file, ...args], { env: { ...process.env, ...env }, timeout, cwd });
}

/**
 * Runs any command (no shell) with exactly the environment given, and collects what it prints:
 * { code, signal, stdout, stderr, pid }. Rejects if it runs past `timeout` ms (it is killed).
 */
export function runCommand(command, args, { env = process.env, timeout = 30_000, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeout} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeout);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, pid: child.pid });
    });
  });
}

/** Whether a pid is alive (signal 0 probes without sending). */
export function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
