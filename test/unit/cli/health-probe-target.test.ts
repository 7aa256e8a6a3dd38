import { describe, expect, it } from 'vitest';
import { healthProbeTarget } from '../../../src/cli/health-probe-target.js';

describe('healthProbeTarget', () => {
  it.each([
    {
      name: 'serve on every interface is probed on the loopback address',
      argv: ['node', '/app/bin/imgbatch', 'serve', '--host', '0.0.0.0', '--port', '8080'],
      target: { kind: 'http', url: 'http://127.0.0.1:8080/healthz' },
    },
    { name: 'serve with no flags uses its own defaults', argv: ['node', '/app/bin/imgbatch', 'serve'], target: { kind: 'http', url: 'http://127.0.0.1:8080/healthz' } },
    {
      name: 'serve with --flag=value forms',
      argv: ['node', '/usr/lib/node_modules/imgbatch/bin/imgbatch.js', 'serve', '--host=10.1.2.3', '--port=9000'],
      target: { kind: 'http', url: 'http://10.1.2.3:9000/healthz' },
    },
    { name: 'serve on an IPv6 address', argv: ['node', '/app/bin/imgbatch', 'serve', '--host', '::1', '--port', '8080'], target: { kind: 'http', url: 'http://[::1]:8080/healthz' } },
    {
      name: 'serve behind an init process (docker run --init)',
      argv: ['/sbin/docker-init', '--', '/app/bin/imgbatch', 'serve', '--port', '8081'],
      target: { kind: 'http', url: 'http://127.0.0.1:8081/healthz' },
    },
    { name: 'serve from source', argv: ['node', '--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '7000'], target: { kind: 'http', url: 'http://127.0.0.1:7000/healthz' } },
    {
      name: 'simulate on a known port answers /_sim/health',
      argv: ['node', '/app/bin/imgbatch', 'simulate', '--config', '/config/simulator.json', '--port', '8090'],
      target: { kind: 'http', url: 'http://127.0.0.1:8090/_sim/health' },
    },
    { name: 'simulate on a port it picked itself has nothing to probe', argv: ['node', '/app/bin/imgbatch', 'simulate'], target: { kind: 'running', command: 'simulate' } },
    { name: 'a worker has no endpoint: running is healthy', argv: ['node', '/app/bin/imgbatch', 'worker', '--concurrency', '8'], target: { kind: 'running', command: 'worker' } },
    { name: 'a one-off command is healthy while it runs', argv: ['node', '/app/bin/imgbatch', 'run', 'jobs/example.csv'], target: { kind: 'running', command: 'run' } },
    { name: 'a process that is not imgbatch', argv: ['/bin/sh', '-c', 'sleep 100'], target: { kind: 'running', command: undefined } },
  ])('$name', ({ argv, target }) => {
    expect(healthProbeTarget(argv)).toEqual(target);
  });
});
