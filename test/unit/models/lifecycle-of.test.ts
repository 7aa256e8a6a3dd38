import { describe, expect, it } from 'vitest';
import { describeLifecycle, isoDay, lifecycleOf, retiredReason, retiringWarning } from '../../../src/models/lifecycle-of.js';
import type { ModelLifecycle } from '../../../src/models/model-table.js';

function model(lifecycle: ModelLifecycle): { id: string; lifecycle: ModelLifecycle } {
  return { id: 'gpt-image-1.5', lifecycle };
}

const RETIRES = model({ stage: 'ga', retiresOn: '2027-06-16', replacedBy: ['gpt-image-2'] });
const at = (iso: string): number => Date.parse(iso);

describe('lifecycleOf', () => {
  it.each([
    ['2027-06-16T00:00:00Z', { kind: 'retired', retiresOn: '2027-06-16' }],
    ['2027-06-16T23:59:59Z', { kind: 'retired', retiresOn: '2027-06-16' }],
    ['2028-01-01T12:00:00Z', { kind: 'retired', retiresOn: '2027-06-16' }],
    ['2027-06-15T23:59:59Z', { kind: 'retiring', retiresOn: '2027-06-16', daysLeft: 1 }],
    ['2027-05-17T08:00:00Z', { kind: 'retiring', retiresOn: '2027-06-16', daysLeft: 30 }],
    ['2027-05-16T08:00:00Z', { kind: 'in_service' }],
    ['2026-12-06T08:00:00Z', { kind: 'in_service' }],
  ])('on %s the model is %j', (now, status) => {
    expect(lifecycleOf(RETIRES, at(now))).toEqual(status);
  });

  it('a model without a retirement date is in service on any day', () => {
    expect(lifecycleOf(model({ stage: 'unconfirmed', replacedBy: [] }), at('2099-01-01T00:00:00Z'))).toEqual({ kind: 'in_service' });
  });

  it('counts UTC days', () => {
    expect(isoDay(at('2026-12-06T23:30:00-05:00'))).toBe('2026-12-07');
  });
});

describe('the words for a lifecycle', () => {
  it('names the date and the replacement of a retired model', () => {
    expect(retiredReason(RETIRES, '2027-06-16')).toBe('gpt-image-1.5 was retired on Azure on 2027-06-16 (its deployments no longer answer); use gpt-image-2 instead');
    expect(retiredReason(model({ stage: 'ga', replacedBy: ['a', 'b'] }), '2027-06-16')).toContain('use a or b instead');
    expect(retiredReason(model({ stage: 'ga', replacedBy: [] }), '2027-06-16')).toContain('use another model instead');
  });

  it('warns of a retirement with the days left', () => {
    expect(retiringWarning(RETIRES, '2027-06-16', 1)).toBe('gpt-image-1.5 retires on Azure on 2027-06-16, in 1 day: calls after that fail; move to gpt-image-2');
  });

  it.each([
    ['2026-12-06T08:00:00Z', RETIRES, 'GA, retires 2027-06-16'],
    ['2027-06-06T08:00:00Z', RETIRES, 'RETIRING 2027-06-16 (10 days): move to gpt-image-2'],
    ['2027-06-20T08:00:00Z', RETIRES, 'RETIRED 2027-06-16: use gpt-image-2'],
    ['2026-12-06T08:00:00Z', model({ stage: 'unconfirmed', replacedBy: [] }), 'status unconfirmed'],
    ['2026-12-06T08:00:00Z', model({ stage: 'preview', replacedBy: [] }), 'preview'],
  ])('on %s, for status: %j reads %s', (now, which, text) => {
    expect(describeLifecycle(which, at(now))).toBe(text);
  });
});
