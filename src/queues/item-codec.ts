/**
 * How a queue item becomes one message of bytes, and back. Each message carries a kind (one byte
 * of its header) that says how its body is framed:
 * - numbers, booleans, null and undefined: a few bytes, no serializer at all;
 * - well-formed strings: their UTF-8 bytes;
 * - a plain `Uint8Array` or `Buffer` (over an ordinary ArrayBuffer): its raw bytes, arriving as the
 *   same class with a buffer of its own;
 * - plain data (arrays, plain objects, Dates of primitives: see `isPlainData`): the structured
 *   clone's bytes alone, with no codec walk on either side;
 * - anything else: the codec's encoding (functions, errors, shareable objects, registered classes,
 *   typed arrays...) in its envelope, with the modules the receiver must load first
 *   (serialize/envelope.ts, as a Connection's send() payload).
 */
import { nodeV8 } from '../internal/builtins.js';
import { PicklingError } from '../errors.js';
import { encode, isPlainData } from '../serialize/codec.js';
import { sealEncoded, type SealOptions } from '../serialize/envelope.js';

export const K_CODEC = 0;
export const K_CLONE = 1;
export const K_U8 = 2;
export const K_BUFFER = 3;
export const K_NUMBER = 4;
export const K_STRING = 5;
export const K_NULL = 6;
export const K_UNDEFINED = 7;
export const K_TRUE = 8;
export const K_FALSE = 9;

/** A message to write: its kind, its body, and whether the body is ours (false: the caller's, or scratch). */
export interface Frame {
  kind: number;
  bytes: Uint8Array;
  owned: boolean;
}

const EMPTY = new Uint8Array(0);
const numberScratch = new Float64Array(1);
const numberBytes = new Uint8Array(numberScratch.buffer);
const decodedNumber = new Float64Array(1);
const decodedNumberBytes = new Uint8Array(decodedNumber.buffer);
/** Strings up to this many UTF-16 units are encoded into scratch (3 bytes per unit at most). */
const SHORT_STRING = 8192;
const stringScratch = Buffer.allocUnsafeSlow(SHORT_STRING * 3);

const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

const PUT: SealOptions = { refused: 'Cannot put this value in a queue' };

function codecFrame(obj: unknown): Frame {
  const { value, modules } = encode(obj, { kind: 'process' }, 'obj');
  return { kind: K_CODEC, bytes: sealEncoded(value, modules, false, PUT), owned: true };
}

/** Frames an item; throws PicklingError if it cannot be sent. A frame that is not `owned` is valid until the next call. */
export function encodeItem(obj: unknown): Frame {
  switch (typeof obj) {
    case 'number':
      numberScratch[0] = obj;
      return { kind: K_NUMBER, bytes: numberBytes, owned: false };
    case 'string':
      if (!isWellFormed(obj)) break;
      if (obj.length <= SHORT_STRING) {
        const n = stringScratch.write(obj, 0, 'utf8');
        return { kind: K_STRING, bytes: stringScratch.subarray(0, n), owned: false };
      }
      return { kind: K_STRING, bytes: Buffer.from(obj, 'utf8'), owned: true };
    case 'boolean':
      return { kind: obj ? K_TRUE : K_FALSE, bytes: EMPTY, owned: true };
    case 'undefined':
      return { kind: K_UNDEFINED, bytes: EMPTY, owned: true };
    case 'object': {
      if (obj === null) return { kind: K_NULL, bytes: EMPTY, owned: true };
      const proto = Object.getPrototypeOf(obj) as object | null;
      if (proto === Uint8Array.prototype || proto === Buffer.prototype) {
        const view = obj as Uint8Array;
        if (!(view.buffer instanceof SharedArrayBuffer)) return { kind: proto === Buffer.prototype ? K_BUFFER : K_U8, bytes: view, owned: false };
        break;
      }
      if (isPlainData(obj)) {
        try {
          return { kind: K_CLONE, bytes: nodeV8().serialize(obj), owned: true };
        } catch {
          // Refused by the clone (a Proxy, say): the codec decides, and explains.
        }
      }
      break;
    }
  }
  return codecFrame(obj);
}

/** The kinds `decodeFrame` reads without keeping their body: they may be read into scratch (a bit per kind). */
export const SCRATCH_KINDS = (1 << K_NUMBER) | (1 << K_STRING) | (1 << K_CLONE);

/**
 * Decodes a message of any kind but K_CODEC (an envelope: serialize/envelope.ts). The body of a kind in SCRATCH_KINDS
 * may be a view on a reused buffer; that of any other kind must be a fresh array of its own.
 */
export function decodeFrame(kind: number, body: Uint8Array): unknown {
  switch (kind) {
    case K_NUMBER:
      for (let i = 0; i < 8; i++) decodedNumberBytes[i] = body[i]!;
      return decodedNumber[0];
    case K_STRING:
      return (Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength)).toString('utf8');
    case K_U8:
      return body;
    case K_BUFFER:
      return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    case K_CLONE:
      return nodeV8().deserialize(body);
    case K_NULL:
      return null;
    case K_UNDEFINED:
      return undefined;
    case K_TRUE:
      return true;
    case K_FALSE:
      return false;
    default:
      throw new PicklingError(`Unknown queue message kind ${kind}: was it put by another version of multiprocessing-ts?`);
  }
}
