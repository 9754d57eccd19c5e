// The worker file for workerpool (threads and processes): registers the benchmark's task functions.
import workerpool from 'workerpool';
import { double, spin } from './targets.mjs';

workerpool.worker({ double, spin });
