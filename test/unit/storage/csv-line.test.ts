import { describe, expect, it } from 'vitest';
import { csvCell, csvLine } from '../../../src/storage/csv-line.js';

describe('csvCell', () => {
  it.each([
    ['=HYPERLINK("http://x","click")', `"'=HYPERLINK(""http://x"",""click"")"`],
    ['+1+1', "'+1+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\rcmd', `"'\rcmd"`],
  ])('neutralises a formula prefix: %j -> %j', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it.each([
    ['plain', 'plain'],
    ['a, b', '"a, b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['mid=dle', 'mid=dle'],
    ['', ''],
  ])('leaves other text as is, quoting only when needed: %j -> %j', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });
});

describe('csvLine', () => {
  it('joins cells with commas and ends with a newline', () => {
    expect(csvLine(['id', 'a, b', '=1'])).toBe(`id,"a, b",'=1\n`);
  });
});
