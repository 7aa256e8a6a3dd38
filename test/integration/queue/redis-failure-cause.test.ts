import { afterEach, describe, expect, it } from 'vitest';
import { describeRedisFailure } from '../../../src/queue/describe-redis-failure.js';
import { createRedisClient, type RedisClient } from '../../../src/queue/redis-connection.js';
import { freePort } from '../../helpers/free-port.js';
import { rejection } from '../../helpers/rejection.js';
import { waitFor } from '../../helpers/wait-for.js';

describe('describeRedisFailure on connections that cannot reach Redis', () => {
  let connections: RedisClient[] = [];
  afterEach(() => {
    for (const connection of connections) connection.disconnect();
    connections = [];
  });

  function connect(port: number): RedisClient {
    const connection = createRedisClient(`redis://127.0.0.1:${port}`, 'producer');
    connections.push(connection);
    return connection;
  }

  it("names the failed connection's own problem, not the last problem another connection had", async () => {
    const [firstPort, secondPort] = [await freePort(), await freePort()];
    expect(firstPort).not.toBe(secondPort);
    const first = connect(firstPort);
    const failure = await rejection(first.ping());
    first.disconnect();

    // A second connection fails later, elsewhere: its problem is the process's latest.
    const second = connect(secondPort);
    let secondProblem: unknown;
    second.on('error', (error) => {
      secondProblem = error;
    });
    await waitFor(() => Promise.resolve(secondProblem), 5_000, () => 'the second connection to fail');

    const message = describeRedisFailure(failure);
    expect(message).toMatch(new RegExp(`^Redis could not be reached or used: .*ECONNREFUSED 127\\.0\\.0\\.1:${firstPort}`));
    expect(message).not.toContain(String(secondPort));
  });
});
