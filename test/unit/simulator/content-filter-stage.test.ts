import { describe, expect, it } from 'vitest';
import { contentFilterStage } from '../../../src/simulator/content-filter-stage.js';

const markers = { promptMarkers: ['gore'], outputMarkers: ['[output-filter]'], itemMarkers: ['[item-filter]'] };

describe('contentFilterStage', () => {
  it('finds markers case-insensitively', () => {
    expect(contentFilterStage('A GORE-soaked scene', markers)).toBe('prompt');
    expect(contentFilterStage('a cat [OUTPUT-FILTER]', markers)).toBe('output');
    expect(contentFilterStage('a cat [Item-Filter]', markers)).toBe('item');
  });

  it('lets a clean prompt through', () => {
    expect(contentFilterStage('a tabby cat', markers)).toBeUndefined();
  });

  it('stops at the earliest stage when several markers match', () => {
    expect(contentFilterStage('gore [output-filter] [item-filter]', markers)).toBe('prompt');
    expect(contentFilterStage('[item-filter] [output-filter]', markers)).toBe('output');
  });

  it('uses the configured lists', () => {
    expect(contentFilterStage('gore', { promptMarkers: [], outputMarkers: ['GORE'], itemMarkers: [] })).toBe('output');
  });
});
