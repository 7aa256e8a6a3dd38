import type { RejectedRequest } from '../job/prepare-jobs.js';
import { formatFieldIssue } from '../errors/imgbatch-error.js';

/** One line per problem: `row 7: n: 0 is below the minimum of 1`. */
export function formatRejections(rejected: readonly RejectedRequest[]): string[] {
  return rejected.flatMap((r) => r.issues.map((issue) => formatFieldIssue({ ...issue, location: issue.location ?? r.location })));
}
