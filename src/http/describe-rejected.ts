import type { RejectedRequest } from '../job/prepare-jobs.js';

/** A refused input as the API sends it: its location, its CSV `row` or JSON `index` (as the reader of the input numbered it), and its issues. */
export interface DescribedRejection {
  readonly location: string;
  readonly row?: number;
  readonly index?: number;
  readonly issues: ReadonlyArray<{ readonly field: string; readonly reason: string }>;
}

export function describeRejected(rejected: readonly RejectedRequest[]): DescribedRejection[] {
  return rejected.map((r) => ({ location: r.location, ...r.position, issues: r.issues.map(({ field, reason }) => ({ field, reason })) }));
}

/** Every issue of every refused input, flat, each with its row or index: the `issues` of a 400. */
export function flatIssues(rejected: readonly RejectedRequest[]): Array<{ location: string; row?: number; index?: number; field: string; reason: string }> {
  return rejected.flatMap((r) => r.issues.map((issue) => ({ location: issue.location ?? r.location, ...r.position, field: issue.field, reason: issue.reason })));
}
