// 002-22: the same worker started with each start method.
import { getContext, isMain, type StartMethod } from 'multiprocessing-ts';

export function worker(): void {
  console.log('Worker Function');
}

if (isMain(import.meta)) {
  const methods: StartMethod[] = ['spawn', 'forkserver', 'thread'];
  for (const context of methods) {
    console.log(`Using ${context} start method`);
    // Differs: the original calls set_start_method() twice (an error) and uses 'fork', which V8 cannot do; here each round takes its method's context.
    const ctx = getContext(context);
    const p = new ctx.Process({ target: worker });
    p.start();
    await p.join();
  }
}
