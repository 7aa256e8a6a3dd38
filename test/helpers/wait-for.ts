/**
 * Polls `check` until it returns a value (not undefined); throws with `describe()` after
 * timeoutMs, so a failure says what was still missing.
 */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs: number, describe: () => string, pollMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
