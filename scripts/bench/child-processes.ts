import { spawn, type ChildProcess } from 'node:child_process';

/** How much of a child's stderr is kept, to say why it failed. */
const STDERR_TAIL_CHARS = 4_000;
const stderrTails = new WeakMap<ChildProcess, string>();

/**
 * A TypeScript entry point in a Node process of its own (through tsx), run from the repository
 * root; stderr drained, its tail kept for waitForExit's error. NODE_OPTIONS passes through, so
 * `NODE_OPTIONS='--cpu-prof --cpu-prof-dir=DIR' npm run bench:scale` profiles the worker too.
 */
export function spawnNode(args: readonly string[], env: Readonly<Record<string, string>>): ChildProcess {
  const passed = process.env.NODE_OPTIONS === undefined ? {} : { NODE_OPTIONS: process.env.NODE_OPTIONS };
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...passed, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  stderrTails.set(child, '');
  child.stderr.on('data', (chunk: Buffer) => stderrTails.set(child, ((stderrTails.get(child) ?? '') + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS)));
  return child;
}

/** Resolves when the child exits with code 0; rejects naming `what`, with the tail of its stderr, on any other exit or when it cannot be started. */
export function waitForExit(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      reject(new Error(`${what} could not be run: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${what} exited with ${signal ?? String(code)}; its stderr ended with:\n${stderrTails.get(child) ?? ''}`));
    });
  });
}

/** SIGTERM to each child, SIGKILL after 20 s; resolves when all have exited. */
export async function stopAll(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) {
            resolve();
            return;
          }
          child.once('exit', () => {
            resolve();
          });
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
        }),
    ),
  );
}

/** Polls `check` every `everyMs` until it holds; throws after timeoutMs naming `what`. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resolves when the child logs a JSON line whose `msg` is `msg` on stderr; rejects after timeoutMs or if it exits first. */
export function waitForLogLine(child: ChildProcess, msg: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      reject(new Error(`no "${msg}" from the worker after ${timeoutMs} ms`));
    }, timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => {
      seen = (seen + chunk.toString('utf8')).slice(-10_000);
      if (seen.includes(`"msg":"${msg}"`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the worker exited (${String(code)}) before "${msg}"`));
    });
  });
}
