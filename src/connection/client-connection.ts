/**
 * The connection a `Client` without an authkey returns. A listener that requires an authkey (one
 * of ours, or CPython's) speaks first: its first message is the `#CHALLENGE#` of the HMAC
 * handshake, which `recv()` would otherwise fail to read as a value ("not a value sent with
 * send()"). Here the first message is looked at before it is handed out: a challenge fails that
 * read, and every later use, with an AuthenticationError saying to pass `{ authkey }`, and closes
 * the connection. Any other first message is handed out exactly as a Connection hands it out, by
 * a Connection: it is replayed through a one-message pipe, read by the same method the caller used.
 */
import { AuthenticationError, ProcessError } from '../errors.js';
import { abortError } from '../synchronize/futex.js';
import { kWaitable } from '../process/sentinel.js';
import { isChallenge } from './auth.js';
import { Connection } from './connection.js';
import { Pipe } from './pipe.js';

function authkeyRequired(): AuthenticationError {
  return new AuthenticationError(
    "the listener requires an authkey: its first message is the challenge of the authentication handshake (CPython's #CHALLENGE#). " +
      "Fix: pass the listener's key to the client, Client(address, { authkey })",
  );
}

/** The AbortSignal among a read's arguments, if its options carry one. */
function signalIn(args: readonly unknown[]): AbortSignal | undefined {
  for (const arg of args) {
    const signal = arg !== null && typeof arg === 'object' ? (arg as { signal?: unknown }).signal : undefined;
    if (signal instanceof AbortSignal) return signal;
  }
  return undefined;
}

export class ClientConnection extends Connection {
  /** Settles once the first message has been read and checked (null: no read has started it yet). */
  #checking: Promise<void> | null = null;
  /** Holds the first message until a read takes it. */
  #replay: Connection | null = null;
  /** The first message has been checked and handed out: reads go straight to the socket. */
  #through = false;
  #refused: AuthenticationError | null = null;

  /** Checks the first message, leaving it (if it is not a challenge) in a pipe of its own. */
  #accept(first: Uint8Array): void {
    if (isChallenge(first)) {
      this.#refused = authkeyRequired();
      this.close();
      throw this.#refused;
    }
    const [reader, writer] = Pipe({ duplex: false });
    writer.sendBytes(first);
    writer.close();
    this.#replay = reader;
  }

  /** Waits for the first message to be checked; returns the pipe holding it if this read is the one to take it. */
  async #first(args: readonly unknown[]): Promise<Connection | null> {
    if (this.#refused) throw this.#refused;
    if (this.#checking === null) {
      const signal = signalIn(args);
      const checking = (async () => {
        if (signal) {
          // Wait for the message without taking it, so an abort leaves it for the next read.
          await super[kWaitable](signal);
          if (signal.aborted) throw abortError(signal);
        }
        this.#accept(await super.recvBytes());
      })();
      this.#checking = checking;
      checking.catch(() => {
        // An aborted wait took nothing: the next read checks the first message again.
        if (this.#checking === checking && this.#refused === null) this.#checking = null;
      });
    }
    await this.#checking;
    return this.#take();
  }

  #firstSync(): Connection | null {
    if (this.#refused) throw this.#refused;
    if (this.#checking === null) {
      this.#accept(super.recvBytesSync());
      this.#checking = Promise.resolve();
    } else if (!this.#through && this.#replay === null) {
      throw new ProcessError('an async recv is pending on this connection; a blocking read would race it');
    }
    return this.#take();
  }

  #take(): Connection | null {
    const replay = this.#replay;
    this.#replay = null;
    if (replay === null) this.#through = this.#checking !== null;
    return replay;
  }

  /** Reads from the pipe holding the first message, keeping it there if the read fails without taking it. */
  async #fromReplay<T>(replay: Connection, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } finally {
      replay.close();
      this.#through = true;
    }
  }

  #fromReplaySync<T>(replay: Connection, read: () => T): T {
    let taken = false;
    try {
      const value = read();
      taken = true;
      return value;
    } finally {
      // recvSync() leaves a value it cannot decode yet (its modules are not loaded) for the next read.
      if (taken || !replay.isReady()) {
        replay.close();
        this.#through = true;
      } else {
        this.#replay = replay;
      }
    }
  }

  override async recv(...args: Parameters<Connection['recv']>): ReturnType<Connection['recv']> {
    const replay = this.#through ? null : await this.#first(args);
    return replay ? this.#fromReplay(replay, () => replay.recv(...args)) : super.recv(...args);
  }

  override async recvBytes(...args: Parameters<Connection['recvBytes']>): ReturnType<Connection['recvBytes']> {
    const replay = this.#through ? null : await this.#first(args);
    return replay ? this.#fromReplay(replay, () => replay.recvBytes(...args)) : super.recvBytes(...args);
  }

  override async recvBytesInto(...args: Parameters<Connection['recvBytesInto']>): ReturnType<Connection['recvBytesInto']> {
    const replay = this.#through ? null : await this.#first(args);
    return replay ? this.#fromReplay(replay, () => replay.recvBytesInto(...args)) : super.recvBytesInto(...args);
  }

  override recvSync(...args: Parameters<Connection['recvSync']>): ReturnType<Connection['recvSync']> {
    const replay = this.#through ? null : this.#firstSync();
    return replay ? this.#fromReplaySync(replay, () => replay.recvSync(...args)) : super.recvSync(...args);
  }

  override recvBytesSync(...args: Parameters<Connection['recvBytesSync']>): ReturnType<Connection['recvBytesSync']> {
    const replay = this.#through ? null : this.#firstSync();
    return replay ? this.#fromReplaySync(replay, () => replay.recvBytesSync(...args)) : super.recvBytesSync(...args);
  }

  override recvBytesIntoSync(...args: Parameters<Connection['recvBytesIntoSync']>): ReturnType<Connection['recvBytesIntoSync']> {
    const replay = this.#through ? null : this.#firstSync();
    return replay ? this.#fromReplaySync(replay, () => replay.recvBytesIntoSync(...args)) : super.recvBytesIntoSync(...args);
  }

  override send(...args: Parameters<Connection['send']>): void {
    if (this.#refused) throw this.#refused;
    super.send(...args);
  }

  override sendBytes(...args: Parameters<Connection['sendBytes']>): void {
    if (this.#refused) throw this.#refused;
    super.sendBytes(...args);
  }

  override async poll(...args: Parameters<Connection['poll']>): ReturnType<Connection['poll']> {
    if (this.#refused) throw this.#refused;
    return this.#replay !== null || super.poll(...args);
  }

  override pollSync(...args: Parameters<Connection['pollSync']>): ReturnType<Connection['pollSync']> {
    if (this.#refused) throw this.#refused;
    return this.#replay !== null || super.pollSync(...args);
  }

  override isReady(): boolean {
    return this.#replay !== null || super.isReady();
  }

  override [kWaitable](signal?: AbortSignal): Promise<void> {
    return this.#replay !== null ? Promise.resolve() : super[kWaitable](signal);
  }

  override close(): void {
    this.#replay?.close();
    this.#replay = null;
    super.close();
  }
}
