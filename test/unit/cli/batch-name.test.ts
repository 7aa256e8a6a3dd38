import { describe, expect, it } from 'vitest';
import { batchIdFromPath } from '../../../src/cli/batch-name.js';
import { safeIdSchema } from '../../../src/job/image-request.js';

describe('batchIdFromPath', () => {
  it.each([
    ['jobs/Spring Sale.csv', 'Spring-Sale'],
    ['../../x.csv', 'x'],
    ['/abs/path/to/catalog_2025.v2.csv', 'catalog_2025.v2'],
    ['example.csv', 'example'],
    ['jobs/prompts', 'prompts'],
    ['a:b.csv', 'a-b'],
    ['.hidden.csv', 'hidden'],
    ['x...csv', 'x'],
    ['123.csv', '123'],
  ])('%j -> %j', (path, batchId) => {
    expect(batchIdFromPath(path)).toBe(batchId);
  });

  it.each([['!!!.csv'], ['@#$%.csv'], ['---.csv'], ['..csv'], [''], ['con.csv'], ['NUL.csv'], ['lpt1.csv']])(
    '%j, which leaves no safe name, becomes "batch-" and a hash of the name',
    (path) => {
      expect(batchIdFromPath(path)).toMatch(/^batch-[0-9a-f]{10}$/);
    },
  );

  it('two files with no safe name never share a batch', () => {
    expect(batchIdFromPath('!!!.csv')).not.toBe(batchIdFromPath('???.csv'));
    expect(batchIdFromPath('!!!.csv')).toBe(batchIdFromPath('other/!!!.csv'));
  });

  it('keeps accented letters as their base letter', () => {
    expect(batchIdFromPath('café crème.csv')).toBe('cafe-creme');
  });

  it('cuts a long dotted name to 100 characters without falling back to a hash', () => {
    expect(batchIdFromPath(`${'b.'.repeat(80)}.csv`)).toBe('b.'.repeat(50).slice(0, 99));
  });

  it('keeps at most 100 characters of a long name', () => {
    expect(batchIdFromPath(`${'a'.repeat(300)}.csv`)).toBe('a'.repeat(100));
  });

  it.each([
    ['jobs/Spring Sale.csv'],
    ['../../x.csv'],
    ['!!!.csv'],
    ['über straße.csv'],
    ['café.csv'],
    ['a/b/-- x --.csv'],
    ['a. .csv'],
    ['x..y.csv'],
    ['CON.tar.csv'],
    ['dot.at.end..csv'],
    ['%2e%2e%2fetc.csv'],
    ['C:\\jobs\\Spring Sale.csv'],
    ['tab\tand\nnewline.csv'],
    [`${'b.'.repeat(80)}.csv`],
    [`${'ab'.repeat(49)}...csv`],
  ])('always gives an id safeIdSchema accepts: %j', (path) => {
    expect(safeIdSchema.safeParse(batchIdFromPath(path)).success).toBe(true);
  });
});
