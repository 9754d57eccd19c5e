// The driver side of driver.mjs for Node: answers the harness's requests with `handlers[op]`.
import { createInterface } from 'node:readline';
import { MARK } from './driver.mjs';

export function serve(handlers) {
  const lines = createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  lines.on('line', (line) => {
    if (!line.trim()) return;
    queue = queue.then(async () => {
      const { op, params } = JSON.parse(line);
      let answer;
      try {
        if (!(op in handlers)) throw new Error(`unknown op ${op}`);
        answer = { result: (await handlers[op](params)) ?? null };
      } catch (error) {
        answer = { error: error?.stack ?? String(error) };
      }
      process.stdout.write(`${MARK}${JSON.stringify(answer)}\n`);
    });
  });
  return new Promise((resolve) => lines.once('close', () => queue.then(resolve)));
}
