/**
 * The envelope of a value that travels as bytes (CPython's `ForkingPickler.dumps`/`loads`): the
 * value, encoded by the codec, with the modules the receiver must load before it can be rebuilt
 * (pickle carries those inside its bytes). One format for `Connection.send()`/`recv()`, the
 * pool's link to a worker process, and the queue items only the codec can encode; each transport
 * keeps its own framing around it.
 *
 * The first byte tells the forms apart:
 * - 'j' (0x6a) + JSON text: a value taken as it is (a value JSON rebuilds exactly, as the user
 *   gave it: no codec walk on either side; or a value its receiver decodes itself, part by part);
 * - 'J' (0x4a) + JSON text: an encoded value that needs no modules, decoded on arrival;
 * - v8's serialization of [modules, value] (or [modules, value, true] for a value taken as it
 *   is), which always starts with v8's version tag 0xFF: any other.
 * JSON is several times cheaper to make and to read for the small messages that dominate round
 * trips. CPython never reads these bytes: a CPython peer exchanges raw bytes (`sendBytes`).
 *
 * `Serializer` is the seam for other formats (CPython's `listener_client[serializer]`); the
 * default one is this envelope.
 */
import { nodeV8 } from '../internal/builtins.js';
import { PicklingError } from '../errors.js';
import { checkModulesAllowed, decode, encode, modulesReady, prepareDecode, type ModuleNeed, type Sender } from './codec.js';
import { jsonExact } from './json-exact.js';

/** Turns values into bytes and back, for a transport that carries bytes. */
export interface Serializer {
  /** The bytes of `value` (a fresh array the caller owns); throws a PicklingError if it cannot travel. */
  dumps(value: unknown): Uint8Array;
  /** The value `bytes` hold, once the modules it needs are imported (only modules a peer may name). */
  loads(bytes: Uint8Array): Promise<unknown>;
  /**
   * The value `bytes` hold, without waiting: throws a PicklingError naming the modules it needs
   * when they are not loaded in this process yet (`loads` imports them).
   */
  loadsSync(bytes: Uint8Array): unknown;
}

/** An envelope read: the value (still encoded unless `asIs`) and the modules to load first. */
export interface Envelope {
  value: unknown;
  modules: readonly ModuleNeed[];
  /** The receiver takes the value as it is (no decoding here). */
  asIs: boolean;
}

export interface SealOptions {
  /** Bytes left free at the start of the result, for a transport's header (the envelope follows them). */
  headroom?: number;
  /** JSON text longer than this is not used: the value goes through v8 instead. */
  maxJson?: number;
  /** Serialization failures throw a PicklingError saying this, then why (otherwise they throw as they are). */
  refused?: string;
}

const AS_IS_TAG = 0x6a; // 'j'
const ENCODED_TAG = 0x4a; // 'J'
const NO_MODULES: readonly ModuleNeed[] = [];
const NO_OPTIONS: SealOptions = {};

function refusal(error: unknown, refused: string | undefined): unknown {
  return refused === undefined ? error : new PicklingError(`${refused}: ${(error as Error).message}`, { cause: error });
}

/** `tag` + `json` after `headroom` free bytes; into `scratch` when it fits (a view on it, valid until its next use). */
function jsonBytes(tag: number, json: string, headroom: number, scratch: Buffer | undefined): Buffer {
  if (scratch !== undefined && headroom + 1 + json.length * 3 <= scratch.length) {
    scratch[headroom] = tag;
    const n = scratch.write(json, headroom + 1);
    return scratch.subarray(0, headroom + 1 + n);
  }
  const bytes = Buffer.allocUnsafe(headroom + 1 + Buffer.byteLength(json));
  bytes[headroom] = tag;
  bytes.write(json, headroom + 1);
  return bytes;
}

/** Zeros standing for a header's room (copied into the serializer's buffer). */
let room = Buffer.alloc(0);

/** v8's serialization of `message` after `headroom` free bytes (written in place: no copy behind a header). */
function v8Bytes(message: unknown, headroom: number): Buffer {
  const v8 = nodeV8();
  if (headroom === 0) return v8.serialize(message);
  const serializer = new v8.DefaultSerializer();
  if (room.length !== headroom) room = Buffer.alloc(headroom);
  serializer.writeRawBytes(room);
  serializer.writeHeader();
  serializer.writeValue(message);
  return serializer.releaseBuffer();
}

/**
 * The envelope of a value the codec encoded already. `asIs`: the receiver takes the value as
 * it is, once the modules are loaded (it decodes the parts that need it itself).
 */
export function sealEncoded(value: unknown, modules: readonly ModuleNeed[], asIs = false, options: SealOptions = NO_OPTIONS): Buffer {
  const { headroom = 0, maxJson = Infinity } = options;
  try {
    // Text is never shorter than its strings, so values past the limit skip the JSON attempt.
    if (modules.length === 0 && jsonExact(value, maxJson)) {
      const json = JSON.stringify(value);
      if (json.length <= maxJson) return jsonBytes(asIs ? AS_IS_TAG : ENCODED_TAG, json, headroom, undefined);
    }
    return v8Bytes(asIs ? [modules, value, true] : [modules, value], headroom);
  } catch (error) {
    throw refusal(error, options.refused);
  }
}

/**
 * The envelope of any value: JSON taken as it is when that rebuilds it exactly, otherwise the
 * codec's encoding. With `scratch`, a small JSON envelope is written there (the result is then a
 * view on it, valid until its next use).
 */
export function sealValue(obj: unknown, options: SealOptions = NO_OPTIONS, scratch?: Buffer): Buffer {
  if (jsonExact(obj)) {
    // Plain JSON data: sent as it is, rebuilt as it is (encode and decode would only copy it).
    let json: string;
    try {
      json = JSON.stringify(obj);
    } catch (error) {
      throw refusal(error, options.refused);
    }
    return jsonBytes(AS_IS_TAG, json, options.headroom ?? 0, scratch);
  }
  const { value, modules } = encode(obj, { kind: 'process' });
  return sealEncoded(value, modules, false, options);
}

/** Reads an envelope (without decoding its value); throws what JSON or v8 throw for other bytes. */
export function openEnvelope(bytes: Uint8Array): Envelope {
  const first = bytes.length > 0 ? bytes[0] : -1;
  if (first === AS_IS_TAG || first === ENCODED_TAG) {
    const text = (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('utf8', 1);
    return { value: JSON.parse(text), modules: NO_MODULES, asIs: first === AS_IS_TAG };
  }
  const [modules, value, asIs] = nodeV8().deserialize(bytes) as [ModuleNeed[], unknown, true?];
  return { value, modules, asIs: asIs === true };
}

/** The envelope's value, rebuilt (its modules must be loaded: see modulesLoaded, loadEnvelope). */
export function rebuildValue(envelope: Envelope, from?: 'process' | 'thread'): unknown {
  return envelope.asIs ? envelope.value : decode(envelope.value, from);
}

/** The envelope's value, once the modules it needs are imported. */
export async function loadEnvelope(envelope: Envelope, sender?: Sender): Promise<unknown> {
  if (envelope.modules.length > 0 && !modulesReady(envelope.modules, sender)) await prepareDecode(envelope.modules, sender);
  return rebuildValue(envelope);
}

/**
 * Whether the modules the envelope needs are all loaded here (rebuildValue can run now). Throws the
 * PicklingError saying why if it names a module a peer may not make this process import: such a
 * value is dropped, never kept for a later read.
 */
export function modulesLoaded(envelope: Envelope): boolean {
  if (envelope.modules.length === 0) return true;
  checkModulesAllowed(envelope.modules);
  return modulesReady(envelope.modules);
}

/** How a value sent to another process is refused (Connection.send, the default serializer). */
export const SEND_TO_PROCESS: SealOptions = { refused: 'Cannot send this value to another process' };

/** The default serializer: this envelope. */
export const defaultSerializer: Serializer = {
  dumps: (value) => sealValue(value, SEND_TO_PROCESS),
  loads: (bytes) => loadEnvelope(openEnvelope(bytes)),
  loadsSync(bytes) {
    const envelope = openEnvelope(bytes);
    if (!modulesLoaded(envelope)) {
      throw new PicklingError(`this value needs modules not loaded in this process yet (${envelope.modules.map((m) => m.url).join(', ')}); use loads()`);
    }
    return rebuildValue(envelope);
  },
};
