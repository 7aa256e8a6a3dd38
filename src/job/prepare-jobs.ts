import type { z } from 'zod';
import { ValidationError, type FieldIssue } from '../errors/imgbatch-error.js';
import { fanOut } from './fan-out.js';
import type { ResolvedEdit } from './edit-input.js';
import type { ImageJobData } from './image-job.js';
import { imageRequestSchema, type ImageRequest } from './image-request.js';
import { createRequestIdIndex } from './request-id-index.js';
import { BUILT_IN_CATALOGUE, type ModelCatalogue } from '../models/model-catalogue.js';
import { lifecycleOf, retiredReason, retiringWarning } from '../models/lifecycle-of.js';

/**
 * Where an input sits in what the client sent, as numbers: the CSV row as a spreadsheet shows it
 * (the header is row 1), or the index in a JSON `requests` array. Set by whoever reads the
 * input, so an HTTP client gets `{row, field, reason}` or `{index, field, reason}` without
 * anything parsing `location` back.
 */
export type InputPosition = { readonly row: number } | { readonly index: number };

/** One request as it arrived, with where it came from for error messages. */
export interface RequestInput {
  readonly request: unknown;
  /** e.g. `row 12` (CSV) or `requests[3]` (API); names the input in every error. */
  readonly location: string;
  /** The same place as numbers; absent for inputs of no row or index. */
  readonly position?: InputPosition;
  /** Request id to use when the request has none, e.g. `row-12`. */
  readonly defaultId: string;
  /**
   * Problems found before validation (a prompt template cell the row leaves empty); when
   * present, the input is rejected with them and not validated further.
   */
  readonly issues?: readonly FieldIssue[];
  /** The input as the user wrote it (a CSV row's header and cells), carried to a rejects file. */
  readonly original?: OriginalRow;
  /** The request's input images, checked and copied by the enqueue (resolveEditInputs); absent for a generation. */
  readonly edit?: ResolvedEdit;
}

/** A CSV row as written: `columns` is the file's header (shared by all rows), `values` the row's cells. */
export interface OriginalRow {
  readonly columns: readonly string[];
  readonly values: readonly string[];
}

export interface RejectedRequest {
  readonly location: string;
  /** The input's `position`, when it had one. */
  readonly position?: InputPosition;
  readonly issues: readonly FieldIssue[];
  readonly original?: OriginalRow;
}

export type PreparedRequest =
  | { readonly kind: 'accepted'; readonly jobs: readonly ImageJobData[] }
  | { readonly kind: 'rejected'; readonly rejection: RejectedRequest };

/** A model accepted requests use that Azure retires soon (within RETIRING_NOTICE_DAYS); one per model. */
export interface ModelNotice {
  readonly model: string;
  readonly retiresOn: string;
  readonly daysLeft: number;
  readonly replacedBy: readonly string[];
  /** Accepted requests for the model. */
  readonly requests: number;
  /** e.g. `gpt-image-1.5 retires on Azure on 2026-12-16, in 10 days: calls after that fail; move to gpt-image-2`. */
  readonly message: string;
}

export interface JobPreparer {
  /** Validates one request and fans it out, or says why not. */
  prepare(input: RequestInput): PreparedRequest;
  /** The models of accepted requests that retire soon, in order of first use. */
  notices(): ModelNotice[];
}

function zodIssues(location: string, error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    location,
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(request)',
    reason: issue.message,
  }));
}

/** Ids are ASCII (see image-request.ts), so lower-casing is the whole of case folding. */
function foldCase(id: string): string {
  return id.toLowerCase();
}

/** Between an id and the location of its first use in the index; ids never hold a NUL. */
const SEPARATOR = '\u0000';

/**
 * Why `id` may not be used, given what the index holds for its case-folded form: an id used
 * twice, or two ids that differ only in case. The second matters because result files are named
 * after ids, and on a case-insensitive filesystem (Windows, macOS by default) `Mug` and `mug`
 * would be one file: the second image would overwrite the first, or be taken for it.
 */
function idClash(id: string, entry: string | undefined): string | undefined {
  if (entry === undefined) return undefined;
  const at = entry.indexOf(SEPARATOR);
  const firstId = entry.slice(0, at);
  const firstLocation = entry.slice(at + 1);
  if (firstId === id) return `"${id}" is already used by ${firstLocation}`;
  return `"${id}" differs from "${firstId}" (${firstLocation}) only in letter case; ids of one batch must differ in more than case, since on a case-insensitive filesystem both would be one file`;
}

/**
 * Validates requests one by one and fans each out into image jobs. A bad request is reported
 * with its location, field and reason; the good ones next to it still become jobs. A request
 * id used twice in one batch is an error, not a silent overwrite. A request for a retired
 * model is refused naming the date and the replacement (no call could succeed); one for a model
 * retiring soon is taken and noted. Stateful (remembers ids), so a stream of any length is
 * checked without holding it.
 */
export function createJobPreparer(options: {
  batchId: string;
  /** The models requests are checked against; default the built-in ones. */
  models?: ModelCatalogue;
  imagesPerCall?: number;
  now?: number;
  /** Says why no deployment would serve this request, or undefined when one would (self-contained runs). */
  checkServed?: (request: ImageRequest) => string | undefined;
}): JobPreparer {
  const seenIds = createRequestIdIndex();
  const notices = new Map<string, Omit<ModelNotice, 'requests'> & { requests: number }>();
  const models = options.models ?? BUILT_IN_CATALOGUE;
  const enqueuedAt = options.now ?? Date.now();
  return {
    prepare(input) {
      const reject = (issues: readonly FieldIssue[]): PreparedRequest => ({
        kind: 'rejected',
        rejection: {
          location: input.location,
          issues,
          ...(input.position !== undefined && { position: input.position }),
          ...(input.original !== undefined && { original: input.original }),
        },
      });
      if (input.issues !== undefined && input.issues.length > 0) return reject(input.issues);
      const parsed = imageRequestSchema.safeParse(input.request);
      if (!parsed.success) return reject(zodIssues(input.location, parsed.error));
      // Before asking who serves it: no deployment of a retired model can.
      const model = models.find(parsed.data.model);
      const status = model === undefined ? undefined : lifecycleOf(model, enqueuedAt);
      if (model !== undefined && status?.kind === 'retired') {
        return reject([{ location: input.location, field: 'model', reason: retiredReason(model, status.retiresOn) }]);
      }
      const unserved = options.checkServed?.(parsed.data);
      if (unserved !== undefined) return reject([{ location: input.location, field: parsed.data.pool === undefined ? 'model' : 'pool', reason: unserved }]);
      const id = parsed.data.id ?? input.defaultId;
      const clash = idClash(id, seenIds.locationOf(foldCase(id)));
      if (clash !== undefined) return reject([{ location: input.location, field: 'id', reason: clash }]);
      try {
        const jobs = fanOut(parsed.data, {
          batchId: options.batchId,
          models,
          defaultRequestId: input.defaultId,
          enqueuedAt,
          edit: input.edit,
          ...(options.imagesPerCall !== undefined && { imagesPerCall: options.imagesPerCall }),
        });
        seenIds.add(foldCase(id), `${id}${SEPARATOR}${input.location}`);
        if (model !== undefined && status?.kind === 'retiring') {
          const notice = notices.get(model.id);
          if (notice === undefined) {
            const { retiresOn, daysLeft } = status;
            notices.set(model.id, { model: model.id, retiresOn, daysLeft, replacedBy: model.lifecycle.replacedBy, requests: 1, message: retiringWarning(model, retiresOn, daysLeft) });
          } else {
            notice.requests++;
          }
        }
        return { kind: 'accepted', jobs };
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return reject(error.issues.map((issue) => ({ ...issue, location: input.location })));
      }
    },
    notices: () => [...notices.values()].map((notice) => ({ ...notice })),
  };
}
