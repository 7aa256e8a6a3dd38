/**
 * Runs each close in turn, the next whatever became of the one before, then throws the first
 * failure: one resource that fails to close must not leave the others open. In turn rather than
 * at once because a later resource may still be in use by an earlier one (a server's in-flight
 * requests use the client).
 */
export async function closeInOrder(closes: ReadonlyArray<() => Promise<unknown>>): Promise<void> {
  const failures: unknown[] = [];
  for (const close of closes) {
    try {
      await close();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
}
