/**
 * Small pool messages (one task, one result) are mostly numbers, strings and arrays. For those,
 * JSON is several times cheaper than a structured clone on both ends; it is used only when it
 * gives back exactly what was sent (no undefined, -0, NaN, Infinity, holes, or non-plain objects),
 * everything else goes through v8's serializer. v8's output always starts with 0xFF, JSON's never.
 */

const MAX_DEPTH = 32;

function plainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Whether JSON.parse(JSON.stringify(value)) rebuilds `value` exactly. */
export function jsonExact(value: unknown, depth = 0): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === undefined || !jsonExact(item, depth + 1)) return false;
        }
        return true;
      }
      if (!plainObject(value) || Object.getOwnPropertySymbols(value).length > 0) return false;
      for (const key in value) {
        if (!Object.prototype.hasOwnProperty.call(value, key)) return false;
        if (key === 'toJSON' || key === '__proto__') return false;
        const item = (value as Record<string, unknown>)[key];
        if (item === undefined || !jsonExact(item, depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

const V8_VERSION_TAG = 0xff;

export function isV8Payload(payload: Uint8Array): boolean {
  return payload[0] === V8_VERSION_TAG;
}
