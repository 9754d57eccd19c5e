// The floor under every Node start: a plain Node process or Worker that only records when its
// first line runs (CLOCK_MONOTONIC), without the package. Path: argv[2] or workerData.
import { writeFileSync } from 'node:fs';
import { isMainThread, workerData } from 'node:worker_threads';

const now = process.hrtime.bigint();
writeFileSync(isMainThread ? process.argv[2] : workerData, String(now));
