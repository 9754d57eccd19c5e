// The worker file for poolifier's thread pool: the benchmark's task functions by name.
import { ThreadWorker } from 'poolifier';
import { double, spin } from './targets.mjs';

export default new ThreadWorker({ double, spin });
