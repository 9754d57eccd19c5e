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

/**
 * Starts a script that keeps running (a server, a long job) and follows what it prints.
 * `waitFor(regex, stream)` resolves with the first match of `regex` in what it has printed on that
 * stream (now or later), and rejects, with the output so far, if the script ends first. `exited` resolves as runScript does;
 * past `timeout` the script is killed. `detached`: in its own process group (pgid = pid), so a
 * test can signal the whole group, as Ctrl-C in a terminal does. `stop()` kills what is left.
 */
export function startScript(file, { args = [], env = {}, cwd, detached = false, timeout = 60_000 } = {}) {
  const child = spawn(process.execPath, [file, ...args], {
    env: { ...process.env, ...env },
    cwd,
    detached,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  const waiters = [];
  let closed = false;
  const settle = () => {
    for (const waiter of waiters.slice()) {
      const match = waiter.regex.exec(output[waiter.stream]);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  };
  child.stdout.on('data', (chunk) => {
    output.stdout += chunk;
    settle();
  });
  child.stderr.on('data', (chunk) => {
    output.stderr += chunk;
    settle();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
  const exited = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      closed = true;
      for (const waiter of waiters.splice(0)) {
        waiter.reject(new Error(`${file} ended (${code ?? signal}) before printing ${waiter.regex}\nstdout: ${output.stdout}\nstderr: ${output.stderr}`));
      }
      resolve({ code, signal, ...output, pid: child.pid });
    });
  });
  return {
    pid: child.pid,
    exited,
    waitFor(regex, stream = 'stdout') {
      return new Promise((resolve, reject) => {
        if (closed) {
          const match = regex.exec(output[stream]);
          return match ? resolve(match) : reject(new Error(`${file} has ended without printing ${regex}`));
        }
        waiters.push({ regex, stream, resolve, reject });
        settle();
      });
    },
    stop() {
      // After the script ended its pid may belong to another process; its group stays its own
      // while any member (a leftover child) is alive.
      if (closed && !detached) return;
      try {
        process.kill(detached ? -child.pid : child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

/** Whether any process is left in process group `pgid` (signal 0 probes without sending). */
export function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
