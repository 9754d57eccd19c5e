// Small pieces the connection tests share.
import { Pipe } from '../../dist/index.js';

/** `payload` behind the 4-byte big-endian length header of the connection's frames. */
export function frame(payload) {
  const header = Buffer.alloc(4);
  header.writeInt32BE(payload.length);
  return Buffer.concat([header, payload]);
}

/** A test body run with both ends of a fresh Pipe, closed afterwards whatever happened. */
export function withPipe(body) {
  return async () => {
    const [a, b] = Pipe();
    try {
      await body(a, b);
    } finally {
      a.close();
      b.close();
    }
  };
}
