import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcessUsage {
  /** CPU time so far, user + system, ms (/proc/<pid>/stat utime + stime). */
  readonly cpuMs: number;
  /** Peak resident set so far, bytes (/proc/<pid>/status VmHWM). */
  readonly peakRssBytes: number;
}

let ticksPerSecond: number | undefined;

function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    const read = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    ticksPerSecond = Number.isFinite(read) && read > 0 ? read : 100;
  }
  return ticksPerSecond;
}

/** What a live process (Linux) has used, from /proc. */
export function readProcessUsage(pid: number): ProcessUsage {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwmKb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
  return { cpuMs: (ticks * 1000) / clockTicksPerSecond(), peakRssBytes: hwmKb * 1024 };
}
