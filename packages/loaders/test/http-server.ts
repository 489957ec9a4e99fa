// A local HTTP server for the loading tests: files by URL path, plus responses that go wrong on purpose.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The project's HF-layout GQA model (packages/models/gqa, formerly models/gqa at the repository root). */
export const GQA_DIR = ['../../models/gqa/', '../../../models/gqa/']
  .map((p) => fileURLToPath(new URL(p, import.meta.url)))
  .find((p) => existsSync(`${p}config.json`)) ?? fileURLToPath(new URL('../../models/gqa/', import.meta.url));

export type Route =
  /** The bytes with their Content-Length. */
  | { readonly kind: 'file'; readonly bytes: Uint8Array }
  /** The bytes in chunked encoding, no Content-Length. */
  | { readonly kind: 'chunked'; readonly bytes: Uint8Array }
  /** Content-Length of all the bytes, then only the first `sent`, then the connection closes. */
  | { readonly kind: 'truncated'; readonly bytes: Uint8Array; readonly sent: number }
  /** Content-Length of all the bytes, the first `sent`, then nothing until the client goes away. */
  | { readonly kind: 'stall'; readonly bytes: Uint8Array; readonly sent: number };

export interface TestServer {
  readonly base: string;
  /** Every request's path, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

function respond(route: Route | undefined, res: ServerResponse): void {
  if (!route) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  const { bytes } = route;
  switch (route.kind) {
    case 'file':
      res.writeHead(200, { 'content-length': bytes.length, 'content-type': 'application/octet-stream' }).end(bytes);
      return;
    case 'chunked':
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      for (let at = 0; at < bytes.length; at += 100_000) res.write(bytes.subarray(at, at + 100_000));
      res.end();
      return;
    case 'truncated':
      res.writeHead(200, { 'content-length': bytes.length });
      res.write(bytes.subarray(0, route.sent), () => res.destroy());
      return;
    case 'stall':
      res.writeHead(200, { 'content-length': bytes.length });
      res.write(bytes.subarray(0, route.sent));
      return;
    default:
      route satisfies never;
  }
}

/** Serves `routes` (URL path -> response) on 127.0.0.1 at an ephemeral port. */
export async function serve(routes: ReadonlyMap<string, Route>): Promise<TestServer> {
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    respond(routes.get(path), res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Routes `/<prefix>/<name>` for every listed file of a folder. */
export function folderRoutes(prefix: string, dir: string, names: readonly string[]): [string, Route][] {
  return names.map((n) => [`/${prefix}/${n}`, { kind: 'file', bytes: new Uint8Array(readFileSync(dir + n)) }]);
}
