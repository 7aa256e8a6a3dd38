import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors/imgbatch-error.js';
import { checkBatchNameTemplate, checkConsecutiveRuns, isKnownTimeZone, renderBatchName } from '../../../src/schedule/batch-name-template.js';

// 2025-01-31 23:30:05 UTC: already 1 February in Paris (UTC+1) and still 31 January in New York.
const LATE_EVENING_UTC = Date.UTC(2025, 0, 31, 23, 30, 5);

describe('renderBatchName', () => {
  it('fills {date} with the day in the schedule’s time zone, not the machine’s', () => {
    expect(renderBatchName('banners-{date}', LATE_EVENING_UTC, 'UTC', 's')).toBe('banners-2025-01-31');
    expect(renderBatchName('banners-{date}', LATE_EVENING_UTC, 'Europe/Paris', 's')).toBe('banners-2025-02-01');
    expect(renderBatchName('banners-{date}', LATE_EVENING_UTC, 'America/New_York', 's')).toBe('banners-2025-01-31');
  });

  it('fills {time}, {datetime} and {name} with characters a batch id may hold (no ":")', () => {
    expect(renderBatchName('{name}-{datetime}', LATE_EVENING_UTC, 'Europe/Paris', 'nightly')).toBe('nightly-2025-02-01T00-30-05');
    expect(renderBatchName('b-{date}-{time}', LATE_EVENING_UTC, 'UTC', 's')).toBe('b-2025-01-31-23-30-05');
  });

  it('gives the same name for the same due time, however often it is rendered', () => {
    const names = new Set([1, 2, 3].map(() => renderBatchName('x-{datetime}', LATE_EVENING_UTC, 'Asia/Tokyo', 's')));
    expect([...names]).toEqual(['x-2025-02-01T08-30-05']);
  });

  it('uses 00 for midnight, not 24', () => {
    expect(renderBatchName('x-{datetime}', Date.UTC(2025, 5, 1, 0, 0, 0), 'UTC', 's')).toBe('x-2025-06-01T00-00-00');
  });

  it('refuses a name that is not a valid batch id', () => {
    expect(() => renderBatchName('bad name {date}', LATE_EVENING_UTC, 'UTC', 's')).toThrow(ValidationError);
  });
});

describe('checkBatchNameTemplate', () => {
  it('accepts templates with {date} or {datetime}', () => {
    expect(checkBatchNameTemplate('banners-{date}')).toEqual([]);
    expect(checkBatchNameTemplate('{name}-{datetime}')).toEqual([]);
  });

  it('refuses a template without a date: every run would fold into the first one', () => {
    expect(checkBatchNameTemplate('banners')).toEqual(['must contain {date} or {datetime}, so each run gets a batch of its own']);
    expect(checkBatchNameTemplate('banners-{time}')).toHaveLength(1);
  });

  it('names unknown placeholders and what is allowed', () => {
    expect(checkBatchNameTemplate('b-{date}-{week}')).toEqual(['{week} is not a placeholder (allowed: {date}, {time}, {datetime}, {name})']);
  });

  it('refuses literal text that cannot be part of a batch id', () => {
    const [problem] = checkBatchNameTemplate('banners/{date}');
    expect(problem).toMatch(/^gives batch ids like "banners\/2025-01-31", which may hold only letters/);
  });
});

describe('checkConsecutiveRuns', () => {
  const hourly = [9, 10, 11].map((h) => Date.UTC(2025, 0, 31, h, 0, 0));

  it('refuses {date} for runs due the same day: the later would add nothing; suggests {datetime}', () => {
    expect(checkConsecutiveRuns('banners-{date}', hourly, 'Europe/Paris', 's')).toEqual([
      'gives two consecutive runs (due 2025-01-31 10:00:00 and 2025-01-31 11:00:00 in Europe/Paris) the same batch "banners-2025-01-31", ' +
        'so the later would add nothing and the pattern would make fewer batches than runs; use {datetime} (date and time to the second), e.g. "banners-{datetime}"',
    ]);
  });

  it('accepts {date} for daily runs and {datetime} for runs a second apart', () => {
    expect(checkConsecutiveRuns('banners-{date}', [1, 2, 3].map((d) => Date.UTC(2025, 0, d, 1, 0, 0)), 'Europe/Paris', 's')).toEqual([]);
    expect(checkConsecutiveRuns('x-{datetime}', [1, 2, 3].map((s) => Date.UTC(2025, 0, 31, 9, 0, s)), 'Europe/Paris', 's')).toEqual([]);
    expect(checkConsecutiveRuns('x-{date}-{time}', [1, 2, 3].map((s) => Date.UTC(2025, 0, 31, 9, 0, s)), 'UTC', 's')).toEqual([]);
  });

  it('says to use a zone without DST when even {datetime} repeats because the clock went back', () => {
    // 00:00 and 01:00 UTC on 2025-10-26 are both 02:00:00 in Paris (before and after 03:00 CEST -> 02:00 CET).
    const [problem] = checkConsecutiveRuns('x-{datetime}', [Date.UTC(2025, 9, 26, 0, 0, 0), Date.UTC(2025, 9, 26, 1, 0, 0)], 'Europe/Paris', 's');
    expect(problem).toMatch(/the same batch "x-2025-10-26T02-00-00".*set "tz" to a zone without DST, such as "UTC"$/);
  });
});

describe('isKnownTimeZone', () => {
  it('knows IANA names and UTC, not made-up ones', () => {
    expect(isKnownTimeZone('Europe/Paris')).toBe(true);
    expect(isKnownTimeZone('UTC')).toBe(true);
    expect(isKnownTimeZone('Mars/Olympus_Mons')).toBe(false);
  });
});
