import { Connection, type ConnectionOptions } from '@temporalio/client';
import type { Logger } from '../log';

/**
 * Notices at once that the connection to Temporal broke. A call in flight when the server dies
 * does not fail by itself: the client retries the refused connection until the call's deadline
 * (10 s). The gRPC channel, though, knows within milliseconds: it leaves READY when the socket
 * closes, and lands in TRANSIENT_FAILURE when reconnecting is refused. Watching it lets the
 * reachability tracker fail the calls in flight (reachability.ts `lost`).
 */

/** grpc-js's ConnectivityState values (the package is the SDK's, not a dependency of ours). */
const IDLE = 0;
const READY = 2;
const TRANSIENT_FAILURE = 3;
const SHUTDOWN = 4;

/** While the channel cannot connect, calls in flight (the outage's trial calls) fail this often. */
const STILL_DOWN_EVERY_MS = 500;

/**
 * Reconnect quickly after an outage: grpc-js's default backoff grows to 2 minutes, which would
 * keep an API away from a Temporal that answers again long before.
 */
export const CHANNEL_ARGS: ConnectionOptions['channelArgs'] = {
  'grpc.initial_reconnect_backoff_ms': 250,
  'grpc.max_reconnect_backoff_ms': 2_000,
};

/** The SDK's client Connection, with its gRPC channel in view (the SDK keeps it protected). */
export class WatchableConnection extends Connection {
  /** Connection's static constructors build `new this(...)`: typed as the base class, they make this one. */
  static async open(options: ConnectionOptions): Promise<WatchableConnection> {
    return (await WatchableConnection.connect(options)) as WatchableConnection;
  }

  static sentinel(options: ConnectionOptions): WatchableConnection {
    return WatchableConnection.lazy(options) as WatchableConnection;
  }

  channel() {
    return this.client.getChannel();
  }
}

type Channel = ReturnType<WatchableConnection['channel']>;

/**
 * Calls `onState` with each state the channel enters, and keeps an idle channel connecting, so a
 * dead server shows as a refused reconnect rather than a quiet IDLE. Returns a function that
 * stops watching.
 */
export function watchChannel(channel: Channel, onState: (state: number) => void): () => void {
  let watching = true;
  const follow = (state: number) => {
    if (!watching || state === SHUTDOWN) return;
    onState(state);
    if (state === IDLE) state = channel.getConnectivityState(true);
    channel.watchConnectivityState(state, Infinity, (err) => {
      if (!err) follow(channel.getConnectivityState(false));
    });
  };
  follow(channel.getConnectivityState(true));
  return () => {
    watching = false;
  };
}

/**
 * Watches the connection to Temporal at `address`: the client's own channel when it has one (the
 * API role), else a sentinel channel to the same address (a worker's NativeConnection keeps its
 * channel in Rust, out of reach). `onBroken` runs each time the channel cannot connect; the log
 * says so once per time it was up, naming the address.
 */
export function watchTemporal(connection: object, address: string, log: Logger, onBroken: () => void): () => Promise<void> {
  const sentinel = connection instanceof WatchableConnection ? undefined : WatchableConnection.sentinel({ address, channelArgs: CHANNEL_ARGS });
  const channel = (sentinel ?? (connection as WatchableConnection)).channel();
  let up = true;
  // grpc-js keeps a channel that cannot connect in TRANSIENT_FAILURE ("sticky") across its retries,
  // so the state changes once per outage; the trial calls of the outage (reachability.ts) would
  // each wait out their deadline. Repeating the break while the channel stays down fails them too.
  let stillDown: NodeJS.Timeout | undefined;
  const stop = watchChannel(channel, (state) => {
    clearInterval(stillDown);
    if (state === READY) up = true;
    if (state !== TRANSIENT_FAILURE) return;
    if (up) log.warn('lost the connection to Temporal; failing the calls in flight', { address });
    up = false;
    onBroken();
    stillDown = setInterval(onBroken, STILL_DOWN_EVERY_MS).unref();
  });
  return async () => {
    stop();
    clearInterval(stillDown);
    await sentinel?.close();
  };
}
