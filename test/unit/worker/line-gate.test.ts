import { describe, expect, it } from 'vitest';
import { createLineGate } from '../../../src/worker/line-gate.js';

describe('createLineGate: the jobs of one line in a process ask for their turn one after another', () => {
  it('gives the next job of a line its turn once the one before lets it go, while other lines go on', async () => {
    const gate = createLineGate();
    const first = gate.join('east|3|backlog');
    await first.turn;
    const order: string[] = [];
    const second = gate.join('east|3|backlog');
    const secondTurn = second.turn.then(() => order.push('second'));
    // A better priority (another line) is not held behind the backlog.
    await gate.join('east|1|urgent').turn;
    order.push('urgent');
    first.letNextGo();
    await secondTurn;
    second.letNextGo();
    expect(order).toEqual(['urgent', 'second']);
  });

  it('gives a job its turn at once when the jobs before it have all let go, however often they did', async () => {
    const gate = createLineGate();
    const first = gate.join('east|2|big');
    first.letNextGo();
    first.letNextGo();
    const later = gate.join('east|2|big');
    await later.turn;
    later.letNextGo();
    const third = gate.join('east|2|big');
    await expect(third.turn).resolves.toBeUndefined();
  });

  it('says how long the line has stood still here: since a job of it last let the next go, or since this one joined', () => {
    let nowMs = 1_000;
    const gate = createLineGate(() => nowMs);
    const first = gate.join('east|2|big');
    nowMs = 1_400;
    const second = gate.join('east|2|big');
    const third = gate.join('east|2|big');
    nowMs = 1_500;
    expect(second.stillMs()).toBe(100);
    first.letNextGo();
    nowMs = 1_530;
    // The line moved at 1,500: a job far back waits on while the jobs before it move.
    expect(third.stillMs()).toBe(30);
    expect(second.stillMs()).toBe(30);
    nowMs = 12_000;
    expect(third.stillMs()).toBe(10_500);
  });

  it('keeps the line\'s clock while jobs are in it, whichever of them leaves first, and forgets the line with its last job', () => {
    let nowMs = 0;
    const gate = createLineGate(() => nowMs);
    const first = gate.join('east|2|big');
    const second = gate.join('east|2|big');
    const third = gate.join('east|2|big');
    nowMs = 5_000;
    // The tail stops waiting (its worker slot was wanted) and leaves first: the line moved.
    third.letNextGo();
    nowMs = 6_000;
    expect(second.stillMs()).toBe(1_000);
    first.letNextGo();
    second.letNextGo();
    nowMs = 20_000;
    // A job joining a line left empty counts from its own joining.
    const later = gate.join('east|2|big');
    nowMs = 20_300;
    expect(later.stillMs()).toBe(300);
  });
});
