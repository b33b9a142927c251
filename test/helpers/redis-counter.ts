// Counts what a connection sends to Redis, without MONITOR (which the shared Redis of the tests and benches
// would fill with every other process's commands): each command, and each round trip, where a pipeline
// (or a MULTI) is one round trip however many commands it carries and a command sent alone is one.
import type { Redis } from 'ioredis';

export interface RedisCounter {
  readonly commands: number;
  readonly roundTrips: number;
  /** Commands per name (upper case), e.g. `SADD`, `EVALSHA`. */
  readonly byName: ReadonlyMap<string, number>;
  /** The keys of each command that named more than one (a Lua script's KEYS): what a cluster needs in one slot. */
  readonly multiKey: ReadonlyArray<readonly string[]>;
  reset(): void;
  /** Puts the connection's own sendCommand back. */
  stop(): void;
}

export function countRedis(redis: Redis): RedisCounter {
  const original = redis.sendCommand.bind(redis);
  // ioredis hands every command of one pipeline the same stream object (`isPipeline: true`).
  let pipelines = new WeakSet<object>();
  const byName = new Map<string, number>();
  const multiKey: string[][] = [];
  const counter = {
    commands: 0,
    roundTrips: 0,
    byName,
    multiKey,
    reset() {
      counter.commands = 0;
      counter.roundTrips = 0;
      byName.clear();
      multiKey.length = 0;
      pipelines = new WeakSet();
    },
    stop() {
      // The wrapper is the instance's own property: removing it uncovers ioredis' method again.
      Reflect.deleteProperty(redis, 'sendCommand');
    },
  };
  redis.sendCommand = (...args: Parameters<Redis['sendCommand']>) => {
    const [command, stream] = args;
    counter.commands++;
    const name = command.name.toUpperCase();
    byName.set(name, (byName.get(name) ?? 0) + 1);
    const keys = command.getKeys();
    if (keys.length > 1) multiKey.push(keys.map(String));
    const s = stream as { isPipeline?: boolean } | undefined;
    if (!s?.isPipeline) counter.roundTrips++;
    else if (!pipelines.has(s)) {
      pipelines.add(s);
      counter.roundTrips++;
    }
    return original(...args);
  };
  return counter;
}
