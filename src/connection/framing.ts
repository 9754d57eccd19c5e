/**
 * CPython's message framing on a byte stream: a 4-byte big-endian signed length, or for
 * messages over 0x7fffffff bytes, 0xffffffff followed by an 8-byte big-endian length.
 * Receivers accept the 12-byte form for any size.
 */

/** Largest length written with the 4-byte header. */
export const MAX_SHORT_LENGTH = 0x7fffffff;

/** The header for a message of `length` bytes. */
export function encodeHeader(length: number): Buffer {
  if (length <= MAX_SHORT_LENGTH) {
    const header = Buffer.allocUnsafe(4);
    header.writeInt32BE(length, 0);
    return header;
  }
  const header = Buffer.allocUnsafe(12);
  header.writeInt32BE(-1, 0);
  header.writeBigUInt64BE(BigInt(length), 4);
  return header;
}

export type HeaderResult =
  /** More bytes are needed to know the length. */
  | { kind: 'partial' }
  /** The body is `length` bytes after `headerSize` header bytes. */
  | { kind: 'header'; headerSize: number; length: number };

/** Reads a header from the first bytes of `data`, if they hold one. */
export function parseHeader(data: Buffer): HeaderResult {
  if (data.length < 4) return { kind: 'partial' };
  const short = data.readInt32BE(0);
  if (short === -1) {
    if (data.length < 12) return { kind: 'partial' };
    const long = data.readBigUInt64BE(4);
    const length = long > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(long);
    return { kind: 'header', headerSize: 12, length };
  }
  // CPython treats any other negative length as an empty message (it consumes only the header).
  return { kind: 'header', headerSize: 4, length: short < 0 ? 0 : short };
}
