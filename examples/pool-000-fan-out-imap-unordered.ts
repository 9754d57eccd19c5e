// 000 (prose): a pool of 8 downloading images. Here eight workers fetch pages from a local HTTP
// server (so it runs offline) and report each as soon as it arrives, with imapUnordered.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, isMain } from 'multiprocessing-ts';

export async function download(url: string): Promise<{ url: string; bytes: number }> {
  const response = await fetch(url);
  const body = new Uint8Array(await response.arrayBuffer());
  return { url, bytes: body.length };
}

if (isMain(import.meta)) {
  const server = createServer((request, response) => {
    const size = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('size') ?? 0);
    response.end(Buffer.alloc(size, 120));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const urls = Array.from({ length: 16 }, (_, i) => `http://127.0.0.1:${port}/image-${i}.png?size=${1024 * (i + 1)}`);

  let total = 0;
  {
    await using pool = new Pool({ processes: 8 });
    for await (const { url, bytes } of pool.imapUnordered(download, urls)) {
      total += bytes;
      console.log(`downloaded ${new URL(url).pathname} (${bytes} bytes)`);
    }
  }
  server.close();
  console.log(`${urls.length} files, ${total} bytes`);
}
