/**
 * Which request ids a batch has used, and where each was first used, for millions of ids.
 *
 * Why not a `Map<string, string>`: at 1,000,000 CSV rows such a map holds ~85 MB of small heap
 * objects, and because it keeps growing while the ingest allocates garbage fast, V8 grows the
 * heap to a multiple of it (measured with `npm run bench:ingest`: 510 MB peak RSS with the map,
 * 250 MB without). Here ids and locations are UTF-8 bytes in one growing buffer and the hash
 * table is a typed array, so the garbage collector never traces them: ~30 bytes per id plus its
 * text, and exact (ids are compared byte for byte, never only by hash).
 */
export interface RequestIdIndex {
  /** Where `id` was first used, or undefined when it is new. */
  locationOf(id: string): string | undefined;
  /** Records `id` as used at `location`; an id already recorded keeps its first location. */
  add(id: string, location: string): void;
  /** Ids recorded. */
  readonly size: number;
}

const INITIAL_ENTRIES = 1024;
const INITIAL_ARENA_BYTES = 64 * 1024;
/** Lengths are stored in 16 bits; request ids are at most 128 characters, locations a few dozen. */
const MAX_TEXT_BYTES = 0xffff;

function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    hash ^= bytes[i] ?? 0;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function grown<T extends Uint16Array | Uint32Array>(array: T, make: (length: number) => T): T {
  const next = make(array.length * 2);
  next.set(array);
  return next;
}

export function createRequestIdIndex(): RequestIdIndex {
  // Entry e: its id is arena[starts[e], starts[e] + idLengths[e]), its location follows it.
  let arena = Buffer.allocUnsafe(INITIAL_ARENA_BYTES);
  let arenaUsed = 0;
  let starts = new Uint32Array(INITIAL_ENTRIES);
  let idLengths = new Uint16Array(INITIAL_ENTRIES);
  let locationLengths = new Uint16Array(INITIAL_ENTRIES);
  let hashes = new Uint32Array(INITIAL_ENTRIES);
  let count = 0;
  // Open addressing, linear probing; a slot holds entry + 1 (0 = empty). Kept at most half full.
  let slots = new Uint32Array(INITIAL_ENTRIES * 2);

  function ensureArena(bytes: number): void {
    if (arenaUsed + bytes <= arena.length) return;
    let size = arena.length * 2;
    while (arenaUsed + bytes > size) size *= 2;
    const next = Buffer.allocUnsafe(size);
    arena.copy(next, 0, 0, arenaUsed);
    arena = next;
  }

  function insertSlot(entry: number): void {
    const mask = slots.length - 1;
    let slot = (hashes[entry] ?? 0) & mask;
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = entry + 1;
  }

  function sameId(entry: number, start: number, length: number): boolean {
    if (idLengths[entry] !== length) return false;
    const other = starts[entry] ?? 0;
    return arena.compare(arena, start, start + length, other, other + length) === 0;
  }

  /** Writes `id` at the end of the arena (not yet kept) and finds its entry, or -1. */
  function find(id: string): { readonly entry: number; readonly start: number; readonly idLength: number; readonly hash: number } {
    ensureArena(id.length * 3);
    const start = arenaUsed;
    const idLength = arena.write(id, start, 'utf8');
    if (idLength > MAX_TEXT_BYTES) throw new RangeError(`a request id of ${idLength} bytes is over the index's limit of ${MAX_TEXT_BYTES}`);
    const hash = fnv1a(arena, start, start + idLength);
    const mask = slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const occupant = slots[slot] ?? 0;
      if (occupant === 0) return { entry: -1, start, idLength, hash };
      const entry = occupant - 1;
      if (hashes[entry] === hash && sameId(entry, start, idLength)) return { entry, start, idLength, hash };
    }
  }

  return {
    get size() {
      return count;
    },
    locationOf(id) {
      const { entry } = find(id);
      if (entry < 0) return undefined;
      const at = (starts[entry] ?? 0) + (idLengths[entry] ?? 0);
      return arena.toString('utf8', at, at + (locationLengths[entry] ?? 0));
    },
    add(id, location) {
      // Room for the id and the location together, so the id written by find() stays put.
      ensureArena(id.length * 3 + Math.min(location.length * 3, MAX_TEXT_BYTES));
      const { entry, start, idLength, hash } = find(id);
      if (entry >= 0) return;
      // A location longer than the limit is cut (it is only ever shown in a message).
      const locationLength = arena.write(location, start + idLength, MAX_TEXT_BYTES, 'utf8');
      if (count === starts.length) {
        starts = grown(starts, (n) => new Uint32Array(n));
        idLengths = grown(idLengths, (n) => new Uint16Array(n));
        locationLengths = grown(locationLengths, (n) => new Uint16Array(n));
        hashes = grown(hashes, (n) => new Uint32Array(n));
      }
      starts[count] = start;
      idLengths[count] = idLength;
      locationLengths[count] = locationLength;
      hashes[count] = hash;
      arenaUsed = start + idLength + locationLength;
      count++;
      if (count * 2 > slots.length) {
        slots = new Uint32Array(slots.length * 2);
        for (let each = 0; each < count; each++) insertSlot(each);
      } else {
        insertSlot(count - 1);
      }
    },
  };
}
