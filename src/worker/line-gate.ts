/**
 * Within one worker process, the jobs of one line (a set of deployments, a priority and a
 * batch) ask the limiter's waiting room for their turn one after another: a job asks once the
 * job of its line before it in this process has its slot (or parked, or gave up). It then
 * stands right behind that job, and its turn is usually near enough to take a slot at once:
 * one ask (about 7 Redis commands when the room is empty) instead of two, a first that only
 * says "not yet" and one at its turn. Order is kept: a job's place among its batch's is what
 * its batch's next tag gives it whenever it enters (waiting-room.lua), and a better priority or
 * another batch is another line, never held here.
 */
export interface LineGate {
  /**
   * Joins the line behind the jobs of it that joined before in this process: `turn` settles when
   * the one before lets the next go (at once when none is there); `letNextGo` lets the next one
   * go (calling it again does nothing). A job that stops waiting for its turn must still call it.
   * `stillMs`: how long the line has not moved here, ms: since a job of it last let the next go,
   * or since this one joined if that is later.
   */
  join(line: string): { readonly turn: Promise<void>; readonly letNextGo: () => void; readonly stillMs: () => number };
}

/** `now`: the clock `stillMs` is by. */
export function createLineGate(now: () => number = Date.now): LineGate {
  // Per line, what the next job to join waits for: the last one's letNextGo.
  const tails = new Map<string, Promise<void>>();
  // Per line, the jobs in it here that have not let the next go yet, and when one last did:
  // both go with the line's last job (a tail that leaves first must not take the line's clock
  // from the jobs still in it).
  const members = new Map<string, number>();
  const movedAt = new Map<string, number>();
  return {
    join(line) {
      const joinedAt = now();
      members.set(line, (members.get(line) ?? 0) + 1);
      const before = tails.get(line) ?? Promise.resolve();
      let open = (): void => undefined;
      const released = new Promise<void>((resolve) => {
        open = resolve;
      });
      tails.set(line, released);
      let isReleased = false;
      return {
        turn: before,
        letNextGo() {
          if (isReleased) return;
          isReleased = true;
          open();
          if (tails.get(line) === released) tails.delete(line);
          const left = (members.get(line) ?? 1) - 1;
          if (left > 0) {
            members.set(line, left);
            movedAt.set(line, now());
          } else {
            members.delete(line);
            movedAt.delete(line);
          }
        },
        stillMs: () => now() - Math.max(joinedAt, movedAt.get(line) ?? joinedAt),
      };
    },
  };
}
