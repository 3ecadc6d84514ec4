import { createApiServer } from '../../src/api/limits';
import type { AddressInfo } from 'node:net';
import type express from 'express';

/** An extra app (other keys, limits or policy) on an ephemeral loopback port. */
export async function listen(app: express.Express): Promise<{ base: string; close: () => Promise<void> }> {
  const server = createApiServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
