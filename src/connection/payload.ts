/**
 * The payload of a message made by `Connection.send()` (CPython's `_ForkingPickler.dumps` and
 * `loads` around `_send_bytes`/`_recv_bytes`): a value to bytes, and back.
 *
 * A payload is v8's serialization of [modules, value] (it starts with 0xFF); or, for a value
 * that JSON rebuilds exactly, 'j' + its JSON text (the value as the user gave it: no encoding
 * walk on either side), or 'J' + the JSON text of an encoded value that needs no modules
 * (decoded on arrival). JSON is several times cheaper to make and to read for the small
 * messages that dominate round trips.
 */
import { nodeV8 } from '../internal/builtins.js';
import { PicklingError, ProcessError } from '../errors.js';
import { checkModulesAllowed, decode, encode, modulesReady, prepareDecode, type ModuleNeed } from '../serialize/codec.js';
import { jsonExact } from '../serialize/json-exact.js';
import type { StreamWriter } from './stream-writer.js';

const JSON_PREFIX = 'J';
const JSON_TAG = 0x4a;
const PLAIN_JSON_TAG = 0x6a;
/** Room for making a small plain-JSON payload (reused: what a send does not write at once is copied). */
const SCRATCH_SIZE = 16384;
let scratch: Buffer | undefined;

const NO_MODULES: ModuleNeed[] = [];

function sendError(error: unknown): PicklingError {
  return new PicklingError(`Cannot send this value to another process: ${(error as Error).message}`, { cause: error });
}

/** Writes the payload of `obj` as one message. Values that cannot be sent throw before anything is written. */
export function writePayload(writer: StreamWriter, obj: unknown): void {
  if (jsonExact(obj)) {
    // Plain JSON data: sent as it is, rebuilt as it is (encode and decode would only copy it).
    let json: string;
    try {
      json = JSON.stringify(obj);
    } catch (error) {
      throw sendError(error);
    }
    if (json.length * 3 + 1 <= SCRATCH_SIZE) {
      const room = (scratch ??= Buffer.allocUnsafeSlow(SCRATCH_SIZE));
      room[0] = PLAIN_JSON_TAG;
      const n = room.write(json, 1);
      writer.write(room.subarray(0, n + 1), true);
    } else {
      writer.write(Buffer.from('j' + json), false);
    }
    return;
  }
  const { value, modules } = encode(obj, { kind: 'process' });
  let payload: Buffer;
  try {
    payload = modules.length === 0 && jsonExact(value) ? Buffer.from(JSON_PREFIX + JSON.stringify(value)) : nodeV8().serialize([modules, value]);
  } catch (error) {
    throw sendError(error);
  }
  writer.write(payload, false);
}

/** [modules, value, plain] from a payload; plain values need no decoding. */
function openPayload(payload: Buffer): [ModuleNeed[], unknown, boolean] {
  try {
    const first = payload.length > 0 ? payload[0] : -1;
    if (first === PLAIN_JSON_TAG) return [NO_MODULES, JSON.parse(payload.toString('utf8', 1)), true];
    if (first === JSON_TAG) return [NO_MODULES, JSON.parse(payload.toString('utf8', 1)), false];
    const [modules, value] = nodeV8().deserialize(payload) as [ModuleNeed[], unknown];
    return [modules, value, false];
  } catch (error) {
    throw new ProcessError(`received a message that is not a value sent with send(): ${(error as Error).message}`, { cause: error });
  }
}

/** The value of a payload, once the modules it needs are imported. */
export async function loadPayload(payload: Buffer): Promise<unknown> {
  const [modules, value, plain] = openPayload(payload);
  if (plain) return value;
  if (modules.length > 0 && !modulesReady(modules)) await prepareDecode(modules);
  return decode(value);
}

/**
 * The value of a payload whose modules are loaded already. Otherwise `putBack` is called (for
 * `await recv()` to take the message) and this throws; a payload naming modules it may not make
 * this process import throws and is dropped.
 */
export function loadPayloadSync(payload: Buffer, putBack: () => void): unknown {
  const [modules, value, plain] = openPayload(payload);
  if (plain) return value;
  checkModulesAllowed(modules);
  if (!modulesReady(modules)) {
    putBack();
    throw new ProcessError(
      `recvSync(): the next value needs modules this thread has not loaded (${modules.map((m) => m.url).join(', ')}); use await recv()`,
    );
  }
  return decode(value);
}
