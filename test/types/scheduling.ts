// Compile-time checks of CPU affinity and priority: getAffinity/setAffinity, the Process options
// and methods, and Pool's affinity option.
import { Pool, Process, ThreadPool, getAffinity, setAffinity } from '../../dist/index.js';

export function work(): void {}

const mine: number[] = getAffinity();
const theirs: number[] = getAffinity(1234);
setAffinity(0, [0, 1]);
setAffinity(1234, new Set([0]));
// @ts-expect-error cpus is required
setAffinity(0);
// @ts-expect-error cpus are numbers
setAffinity(0, ['0']);
// @ts-expect-error a pid is a number
getAffinity('self');

const p = new Process({ target: work, affinity: [0, 2], priority: 10 });
new Process({ target: work, affinity: new Set([1]), priority: null });
// @ts-expect-error priority is a nice value (a number)
new Process({ target: work, priority: 'low' });
// @ts-expect-error affinity is a set of CPU numbers
new Process({ target: work, affinity: 0 });
p.setAffinity([1]);
const cpus: number[] = p.getAffinity();
p.setPriority(5);
const nice: number = p.getPriority();

new Pool({ processes: 2, affinity: 'spread' });
new Pool({ affinity: [[0], [1]] });
new ThreadPool({ processes: 2, affinity: [new Set([0]), [1]] });
// @ts-expect-error 'spread' or CPU sets
new Pool({ processes: 2, affinity: 'packed' });
// @ts-expect-error one CPU set per worker, not one set
new Pool({ processes: 2, affinity: [0, 1] });

void [mine, theirs, cpus, nice];
