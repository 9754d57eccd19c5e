// The worker of the CPU floor: a bare worker_thread that runs the benchmark's task named in each
// message and posts the result back. No pool, no queue, no dispatch policy: what two threads of
// this machine can do with the same loop.
import { parentPort } from 'node:worker_threads';
import { double, spin } from './targets.mjs';

const tasks = { double, spin };
parentPort.on('message', ([id, name, x]) => parentPort.postMessage([id, tasks[name](x)]));
