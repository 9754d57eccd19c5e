/**
 * CPython's connection authentication (`deliver_challenge` / `answer_challenge`), wire-compatible
 * with both variants: the legacy one (<= 3.11: 20 random bytes, raw 16-byte HMAC-MD5 reply) and
 * the 3.12+ one (`{sha256}` + 40 random bytes, `{digest}`-prefixed replies). As CPython 3.12+
 * does, we challenge with `{sha256}`, accept every reply 3.12+ accepts, and answer each challenge
 * in the variant it was sent in. Only raw bytes are read here: nothing is deserialized before
 * both directions have succeeded.
 */
import { nodeCrypto } from '../internal/builtins.js';

import { AuthenticationError } from '../errors.js';

/** What the handshake needs from a connection: CPython's framing of byte messages. */
export interface HandshakeChannel {
  sendBytes(buf: Uint8Array): unknown;
  recvBytes(maxLength?: number): Promise<Uint8Array>;
}

const CHALLENGE = Buffer.from('#CHALLENGE#', 'latin1');
const WELCOME = Buffer.from('#WELCOME#', 'latin1');
const FAILURE = Buffer.from('#FAILURE#', 'latin1');
/** Random bytes in a challenge (CPython 3.12+'s MESSAGE_LENGTH). */
const MESSAGE_LENGTH = 40;
const MD5ONLY_MESSAGE_LENGTH = 20;
const MD5_DIGEST_LEN = 16;
const MAX_DIGEST_LEN = 8;
/** Handshake messages longer than this are refused (CPython's recv_bytes(256)). */
const MAX_HANDSHAKE_MESSAGE = 256;

/** Digest names CPython 3.12+ accepts, with Node's names for them. */
const ALLOWED_DIGESTS: ReadonlyMap<string, string> = new Map([
  ['md5', 'md5'],
  ['sha256', 'sha256'],
  ['sha384', 'sha384'],
  ['sha3_256', 'sha3-256'],
  ['sha3_384', 'sha3-384'],
]);

/** A short printable form of a handshake message for error texts (as Python's bytes repr, roughly). */
function describe(message: Uint8Array): string {
  const shown = Buffer.from(message.subarray(0, 64));
  let text = '';
  for (const byte of shown) {
    if (byte === 0x5c) text += '\\\\';
    else if (byte === 0x27) text += "\\'";
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += '\\x' + byte.toString(16).padStart(2, '0');
  }
  return `b'${text}'${message.length > shown.length ? '...' : ''}`;
}

/**
 * The digest a challenge or reply names, and its payload: '' (legacy raw MD5) for the legacy
 * lengths 20 and 16, else the `{name}` prefix with an allowed name.
 */
function digestNameAndPayload(message: Uint8Array): [string, Uint8Array] {
  if (message.length === MD5ONLY_MESSAGE_LENGTH || message.length === MD5_DIGEST_LEN) return ['', message];
  if (message[0] === 0x7b /* { */) {
    const end = Math.min(message.length, MAX_DIGEST_LEN + 2);
    for (let i = 1; i < end; i++) {
      if (message[i] === 0x7d /* } */) {
        const name = Buffer.from(message.subarray(1, i)).toString('latin1');
        if (ALLOWED_DIGESTS.has(name)) return [name, message.subarray(i + 1)];
        break;
      }
    }
  }
  throw new AuthenticationError(
    `unsupported message length, missing digest prefix, or unsupported digest: message=${describe(message)}`,
  );
}

function hmac(authkey: Uint8Array, message: Uint8Array, digest: string): Buffer {
  return nodeCrypto().createHmac(ALLOWED_DIGESTS.get(digest) ?? digest, authkey).update(message).digest();
}

/** The reply to a challenge message M (without the #CHALLENGE# prefix), as CPython 3.12+ forms it. */
export function createResponse(authkey: Uint8Array, message: Uint8Array): Buffer {
  const [name] = digestNameAndPayload(message);
  if (name === '') return hmac(authkey, message, 'md5');
  return Buffer.concat([Buffer.from(`{${name}}`, 'latin1'), hmac(authkey, message, name)]);
}

/** Checks a reply to challenge M as CPython 3.12+ does; throws AuthenticationError if it is wrong. */
export function verifyResponse(authkey: Uint8Array, message: Uint8Array, response: Uint8Array): void {
  const [name, mac] = digestNameAndPayload(response);
  const digest = name || 'md5';
  const expected = hmac(authkey, message, digest);
  if (expected.length !== mac.length) {
    throw new AuthenticationError(`expected '${digest}' of length ${expected.length} got ${mac.length}`);
  }
  if (!nodeCrypto().timingSafeEqual(expected, mac)) throw new AuthenticationError('digest received was wrong');
}

function startsWith(message: Uint8Array, prefix: Uint8Array): boolean {
  return message.length >= prefix.length && Buffer.from(message.buffer, message.byteOffset, prefix.length).equals(prefix);
}

function equals(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** Whether a message is the challenge a listener with an authkey sends first (CPython's `#CHALLENGE#`). */
export function isChallenge(message: Uint8Array): boolean {
  return startsWith(message, CHALLENGE);
}

/** Sends a challenge, checks the reply, and sends the verdict (CPython's deliver_challenge). */
export async function deliverChallenge(channel: HandshakeChannel, authkey: Uint8Array, digestName = 'sha256'): Promise<void> {
  const message = Buffer.concat([Buffer.from(`{${digestName}}`, 'latin1'), nodeCrypto().randomBytes(MESSAGE_LENGTH)]);
  await channel.sendBytes(Buffer.concat([CHALLENGE, message]));
  const response = await channel.recvBytes(MAX_HANDSHAKE_MESSAGE);
  try {
    verifyResponse(authkey, message, response);
  } catch (error) {
    await channel.sendBytes(FAILURE);
    throw error;
  }
  await channel.sendBytes(WELCOME);
}

/** Answers the peer's challenge and reads its verdict (CPython's answer_challenge). */
export async function answerChallenge(channel: HandshakeChannel, authkey: Uint8Array, afterResponse?: () => void): Promise<void> {
  const received = await channel.recvBytes(MAX_HANDSHAKE_MESSAGE);
  if (!startsWith(received, CHALLENGE)) {
    throw new AuthenticationError(`Protocol error, expected challenge: message=${describe(received)}`);
  }
  const message = received.subarray(CHALLENGE.length);
  if (message.length < MD5ONLY_MESSAGE_LENGTH) {
    throw new AuthenticationError(`challenge too short: ${message.length} bytes`);
  }
  await channel.sendBytes(createResponse(authkey, message));
  // The peer proved its key already (this side's challenge came first): what is sent here goes
  // out with the response, and the peer finds it there once it accepts this side.
  afterResponse?.();
  const verdict = await channel.recvBytes(MAX_HANDSHAKE_MESSAGE);
  if (!equals(verdict, WELCOME)) throw new AuthenticationError('digest sent was rejected');
}

/** Validates an authkey option: bytes or nothing. */
export function checkAuthkey(authkey: unknown): Uint8Array | undefined {
  if (authkey === undefined || authkey === null) return undefined;
  if (!(authkey instanceof Uint8Array)) {
    throw new TypeError(`authkey should be a Buffer or Uint8Array, not ${authkey === null ? 'null' : typeof authkey}`);
  }
  return authkey;
}
