import type { Resolvable } from 'citty';

/** A citty value as given or as its function gives it (a command is imported when first resolved, imgbatch-command.ts). */
export async function resolved<T>(value: Resolvable<T>): Promise<T> {
  return typeof value === 'function' ? (value as () => T | Promise<T>)() : value;
}
