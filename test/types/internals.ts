// The package root exports the public API only: the package's internals are not importable from
// it, and members marked @internal are stripped from the published declarations (stripInternal).
// Each `@ts-expect-error` fails the type check if that name or member becomes visible again.
import { AsyncResult, Condition, ImapIterator, Logger, Pool, ThreadPool, getLogger } from '../../dist/index.js';
// @ts-expect-error the method key shareable objects travel by
import { kReduce } from '../../dist/index.js';
// @ts-expect-error rebuilding shareables in a receiving process
import { registerShareable } from '../../dist/index.js';
// @ts-expect-error the codec
import { encode } from '../../dist/index.js';
// @ts-expect-error the codec
import { decode } from '../../dist/index.js';
// @ts-expect-error how a value travels
import { Destination } from '../../dist/index.js';
// @ts-expect-error the pool's engine
import { PoolCore } from '../../dist/index.js';
// @ts-expect-error `ctx.Pool`'s class factory
import { poolClassFor } from '../../dist/index.js';
// @ts-expect-error settling an AsyncResult
import { settle } from '../../dist/index.js';
// @ts-expect-error attaching a primitive to existing shared memory
import { withBlock } from '../../dist/index.js';
// @ts-expect-error the queues' ring buffer
import { Channel } from '../../dist/index.js';
// @ts-expect-error the native addon
import { native } from '../../dist/index.js';
// @ts-expect-error the default context object (the package root is that context)
import { defaultContext } from '../../dist/index.js';
// @ts-expect-error checking blocking options
import { parseBlocking } from '../../dist/index.js';
// @ts-expect-error the pool's hold on a child
import { holdChild } from '../../dist/index.js';
// @ts-expect-error the typecode table
import { TYPES } from '../../dist/index.js';

export function members(condition: Condition, pool: Pool, iterator: ImapIterator<number>, result: AsyncResult<number>, logger: Logger): void {
  // @ts-expect-error the Barrier's view of a Condition's wait
  condition.waitSteps(null);
  // @ts-expect-error a Pool class's default context (set by ctx.Pool)
  void Pool.defaultContext;
  // @ts-expect-error likewise on ThreadPool
  void ThreadPool.defaultContext;
  // @ts-expect-error the pool engine's callback
  iterator.chunkDone(null, true, []);
  // @ts-expect-error the pool engine's flag
  void iterator.live;
  // @ts-expect-error the level children inherit
  void logger.configuredLevel;
  void [pool, result, getLogger];
}
