import type { ModelCapabilities } from './model-table.js';

/** A model retiring within this many days is still served, with a warning at enqueue and in `status`. */
export const RETIRING_NOTICE_DAYS = 30;

const DAY_MS = 86_400_000;

/** Where a model stands on a given day. */
export type LifecycleStatus =
  /** No retirement announced, or it is more than RETIRING_NOTICE_DAYS away. */
  | { readonly kind: 'in_service' }
  /** Retires within RETIRING_NOTICE_DAYS: work is taken, with a warning. */
  | { readonly kind: 'retiring'; readonly retiresOn: string; readonly daysLeft: number }
  /** Its retirement day has come: Azure's deployments of it stop working, so new work is refused. */
  | { readonly kind: 'retired'; readonly retiresOn: string };

/** The UTC calendar day of an instant, `2026-12-06`. */
export function isoDay(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10);
}

/**
 * Where the model stands on the UTC day of `nowMs`. Retired from its retirement day on: Azure
 * announces days, not hours, and a call on that day may already fail.
 */
export function lifecycleOf(model: Pick<ModelCapabilities, 'lifecycle'>, nowMs: number): LifecycleStatus {
  const { retiresOn } = model.lifecycle;
  if (retiresOn === undefined) return { kind: 'in_service' };
  // The start of nowMs's UTC day, as Date.parse(isoDay(nowMs)) gives it, without the strings:
  // every job is checked, on every run.
  const daysLeft = Math.round((Date.parse(retiresOn) - Math.floor(nowMs / DAY_MS) * DAY_MS) / DAY_MS);
  if (daysLeft <= 0) return { kind: 'retired', retiresOn };
  if (daysLeft <= RETIRING_NOTICE_DAYS) return { kind: 'retiring', retiresOn, daysLeft };
  return { kind: 'in_service' };
}

function replacement(model: Pick<ModelCapabilities, 'lifecycle'>, verb: string): string {
  const next = model.lifecycle.replacedBy;
  return next.length === 0 ? `${verb} another model` : `${verb} ${next.join(' or ')}`;
}

/**
 * Why new work for a retired model is refused, naming the date and what replaces it:
 * `gpt-image-1 was retired on Azure on 2026-10-23 (its deployments no longer answer); use gpt-image-2 instead`.
 */
export function retiredReason(model: Pick<ModelCapabilities, 'id' | 'lifecycle'>, retiresOn: string): string {
  return `${model.id} was retired on Azure on ${retiresOn} (its deployments no longer answer); ${replacement(model, 'use')} instead`;
}

/** The warning for a model close to retirement: `gpt-image-1.5 retires on Azure on 2026-12-16, in 10 days; move to gpt-image-2`. */
export function retiringWarning(model: Pick<ModelCapabilities, 'id' | 'lifecycle'>, retiresOn: string, daysLeft: number): string {
  return `${model.id} retires on Azure on ${retiresOn}, in ${daysLeft} day${daysLeft === 1 ? '' : 's'}: calls after that fail; ${replacement(model, 'move to')}`;
}

/** A model's lifecycle in a few words for `status`: `GA, retires 2027-10-21`, `RETIRING 2026-12-16 (10 days)`, `RETIRED 2026-10-23: use gpt-image-2`. */
export function describeLifecycle(model: Pick<ModelCapabilities, 'lifecycle'>, nowMs: number): string {
  const status = lifecycleOf(model, nowMs);
  const stage = { ga: 'GA', preview: 'preview', unconfirmed: 'status unconfirmed' }[model.lifecycle.stage];
  switch (status.kind) {
    case 'in_service':
      return model.lifecycle.retiresOn === undefined ? stage : `${stage}, retires ${model.lifecycle.retiresOn}`;
    case 'retiring':
      return `RETIRING ${status.retiresOn} (${status.daysLeft} day${status.daysLeft === 1 ? '' : 's'}): ${replacement(model, 'move to')}`;
    case 'retired':
      return `RETIRED ${status.retiresOn}: ${replacement(model, 'use')}`;
  }
}
