// Compile-time checks of the AbortSignal options of Process.join, Listener.accept, Client and
// wait(), and of wait()'s two forms.
import { Client, Listener, Pipe, Process, wait, type AcceptOptions, type Connection, type WaitObjectsOptions } from '../../dist/index.js';

export function idle(): void {}

export async function cancellable(signal: AbortSignal): Promise<void> {
  const p = new Process({ target: idle });
  p.start();
  await p.join({ timeout: 100, signal });
  // @ts-expect-error joinSync cannot be aborted
  p.joinSync({ signal });
  // @ts-expect-error the timeout is an option, in milliseconds
  await p.join(5);

  const listener = new Listener();
  const acceptOptions: AcceptOptions = { signal };
  const served: Connection = await listener.accept(acceptOptions);
  const client: Connection = await Client(listener.address, { authkey: Buffer.from('k'), handshakeTimeout: 1000, signal });
  // @ts-expect-error the authkey is an option
  await Client(listener.address, Buffer.from('k'));

  const [a] = Pipe();
  const ready: Connection[] = await wait([a, client, served], 100);
  const waitOptions: WaitObjectsOptions = { timeout: 100, signal };
  await wait([a], waitOptions);
  await wait([a], 100, { signal });
  await wait([a], null, { signal });
  // @ts-expect-error with an options object there is no third argument
  await wait([a], { timeout: 1 }, { signal });
  void ready;
  p.sentinel;
  await wait([p.sentinel], { signal });
}
