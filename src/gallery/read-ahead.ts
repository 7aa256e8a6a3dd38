/**
 * Wraps `load` so that asking for item i also starts loading the next `window - 1` items of
 * `items`: a page writer that awaits images one at a time then overlaps the store's latency
 * (a blob download each) instead of paying it once per image. Items are matched by identity;
 * each is loaded once, and its result is dropped from memory once taken.
 */
export function readAhead<T, R>(items: readonly T[], load: (item: T) => Promise<R>, window = 8): (item: T) => Promise<R> {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`window: ${window} is not a whole number ≥ 1`);
  const positions = new Map<T, number>(items.map((item, index) => [item, index]));
  const started = new Map<number, Promise<R>>();
  let next = 0;

  function start(index: number): Promise<R> {
    let promise = started.get(index);
    if (promise === undefined) {
      const item = items[index] as T;
      promise = load(item);
      // A load nobody awaits yet must not surface as an unhandled rejection; the caller that
      // takes it sees the error.
      promise.catch(() => undefined);
      started.set(index, promise);
    }
    return promise;
  }

  return (item) => {
    const index = positions.get(item);
    if (index === undefined) return load(item);
    next = Math.max(next, index);
    for (; next < Math.min(items.length, index + window); next++) void start(next);
    const promise = start(index);
    started.delete(index);
    return promise;
  };
}
