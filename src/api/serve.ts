import type { RequestListener } from 'node:http';
import { createApiServer } from './limits';

/** Listens on `host:port`; answers the API's URL and how to close it (open connections too). */
export async function serveApi(app: RequestListener, host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = createApiServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const bound = (server.address() as { port: number }).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
