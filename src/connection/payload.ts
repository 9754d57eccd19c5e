/**
 * The payload of a message made by `Connection.send()` (CPython's `_ForkingPickler.dumps` and
 * `loads` around `_send_bytes`/`_recv_bytes`): the value's envelope (serialize/envelope.ts).
 */
import { ProcessError } from '../errors.js';
import { SEND_TO_PROCESS, loadEnvelope, modulesLoaded, openEnvelope, rebuildValue, sealValue, type Envelope } from '../serialize/envelope.js';
import type { StreamWriter } from './stream-writer.js';

/** Room for making a small payload (reused: what a send does not write at once is copied). */
const SCRATCH_SIZE = 16384;
let scratch: Buffer | undefined;

/**
 * Writes the payload of `obj` as one message (`gathered`: with StreamWriter.writeGathered).
 * Values that cannot be sent throw before anything is written.
 */
export function writePayload(writer: StreamWriter, obj: unknown, gathered = false): void {
  const room = (scratch ??= Buffer.allocUnsafeSlow(SCRATCH_SIZE));
  const payload = sealValue(obj, SEND_TO_PROCESS, room);
  if (gathered) writer.writeGathered(payload, payload.buffer === room.buffer);
  else writer.write(payload, payload.buffer === room.buffer);
}

function openPayload(payload: Buffer): Envelope {
  try {
    return openEnvelope(payload);
  } catch (error) {
    throw new ProcessError(`received a message that is not a value sent with send(): ${(error as Error).message}`, { cause: error });
  }
}

/** The value of a payload, once the modules it needs are imported. */
export function loadPayload(payload: Buffer): Promise<unknown> {
  return loadEnvelope(openPayload(payload));
}

/**
 * The value of a payload whose modules are loaded already. Otherwise `putBack` is called (for
 * `await recv()` to take the message) and this throws; a payload naming modules it may not make
 * this process import throws and is dropped.
 */
export function loadPayloadSync(payload: Buffer, putBack: () => void): unknown {
  const envelope = openPayload(payload);
  if (!modulesLoaded(envelope)) {
    putBack();
    throw new ProcessError(
      `recvSync(): the next value needs modules this thread has not loaded (${envelope.modules.map((m) => m.url).join(', ')}); use await recv()`,
    );
  }
  return rebuildValue(envelope);
}

/** What loadPayloadNow returns for a payload whose modules are not loaded yet. */
export const NOT_LOADED: unique symbol = Symbol('mp.notLoaded');

/**
 * The value of a payload whose modules are loaded already; otherwise `putBack` is called (for
 * `await recv()` to take the message, importing them) and NOT_LOADED is returned.
 */
export function loadPayloadNow(payload: Buffer, putBack: () => void): unknown {
  const envelope = openPayload(payload);
  if (!modulesLoaded(envelope)) {
    putBack();
    return NOT_LOADED;
  }
  return rebuildValue(envelope);
}
