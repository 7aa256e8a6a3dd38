// The container image's HEALTHCHECK: `node dist/cli/container-healthcheck.js [pid]`. One image
// runs `serve`, `simulate` and `worker`, and Docker gives a HEALTHCHECK no way to know which, so
// this reads the command line of the container's main process (PID 1, or the pid given) and
// probes what that command serves. Exit 0 is healthy, 1 unhealthy, as Docker expects
// (https://docs.docker.com/reference/dockerfile/#healthcheck).
import { readFile } from 'node:fs/promises';
import { healthProbeTarget } from './health-probe-target.js';

/** Docker's own default HEALTHCHECK timeout is 30 s; answer well inside it. */
const PROBE_TIMEOUT_MS = 5_000;

async function check(pid: string): Promise<{ healthy: boolean; reason: string }> {
  let cmdline: string;
  try {
    cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
  } catch (cause) {
    return { healthy: false, reason: `cannot read the command line of process ${pid}: ${(cause as Error).message}` };
  }
  const target = healthProbeTarget(cmdline.split('\0').filter((arg) => arg !== ''));
  if (target.kind === 'running') return { healthy: true, reason: `${target.command ?? 'process'} ${pid} is running (nothing to probe)` };
  try {
    const response = await fetch(target.url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await response.body?.cancel();
    return { healthy: response.ok, reason: `GET ${target.url}: ${response.status}` };
  } catch (cause) {
    return { healthy: false, reason: `GET ${target.url}: ${(cause as Error).message}` };
  }
}

const pid = process.argv[2] ?? '1';
if (!/^\d+$/.test(pid)) {
  process.stderr.write(`usage: container-healthcheck [pid] (got "${pid}")\n`);
  // Not 2: Docker reserves that exit code.
  process.exit(1);
}
const result = await check(pid);
process.stdout.write(`${result.healthy ? 'healthy' : 'unhealthy'}: ${result.reason}\n`);
process.exitCode = result.healthy ? 0 : 1;
