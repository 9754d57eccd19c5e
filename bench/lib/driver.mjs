// A measuring process driven by the harness: it stays alive across rounds (so its cases are
// measured in steady state) and answers one JSON request at a time. Requests go to its stdin as
// JSON lines; answers come back on stdout as lines starting with MARK. Anything else a driver or
// its children print is passed through to stderr, so it never corrupts an answer.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export const MARK = '@bench:';

export class Driver {
  #child;
  #pending = null;
  #exited;
  #stderrTail = [];

  /** Starts `command args` with environment `env` (default: this one's); `label` prefixes what it prints. */
  constructor(label, command, args, { cwd, env = process.env } = {}) {
    this.label = label;
    this.#child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.pid = this.#child.pid;
    this.#exited = new Promise((resolve) => this.#child.once('exit', (code, signal) => resolve({ code, signal })));
    this.#exited.then(({ code, signal }) => {
      const pending = this.#pending;
      this.#pending = null;
      pending?.reject(new Error(`${label} driver exited (code ${code}, signal ${signal})\n${this.#stderrTail.join('\n')}`));
    });
    createInterface({ input: this.#child.stdout }).on('line', (line) => this.#onLine(line));
    createInterface({ input: this.#child.stderr }).on('line', (line) => {
      this.#stderrTail.push(line);
      if (this.#stderrTail.length > 40) this.#stderrTail.shift();
      process.stderr.write(`  [${label}] ${line}\n`);
    });
  }

  #onLine(line) {
    if (!line.startsWith(MARK)) {
      if (line.trim()) process.stderr.write(`  [${this.label} stdout] ${line}\n`);
      return;
    }
    const pending = this.#pending;
    this.#pending = null;
    if (!pending) return;
    const answer = JSON.parse(line.slice(MARK.length));
    if (answer.error) pending.reject(new Error(`${this.label}: ${answer.error}`));
    else pending.resolve(answer.result);
  }

  /** Sends one request and waits for its answer (at most `timeoutMs`). */
  call(op, params = {}, { timeoutMs = 120_000 } = {}) {
    if (this.#pending) throw new Error(`${this.label}: one request at a time`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending = null;
        reject(new Error(`${this.label}: ${op} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending = {
        resolve: (value) => (clearTimeout(timer), resolve(value)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      };
      this.#child.stdin.write(`${JSON.stringify({ op, params })}\n`);
    });
  }

  /** Asks the driver to exit; kills it if it has not within `timeoutMs`. */
  async close(timeoutMs = 10_000) {
    this.#child.stdin.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
    await this.#exited;
    clearTimeout(timer);
  }
}
