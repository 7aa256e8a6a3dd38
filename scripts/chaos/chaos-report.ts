import type { ImageOutcome } from '../../src/batch/image-outcome.js';
import type { CallOutcome, CallRecord } from '../../src/simulator/call-stats.js';
import type { ImageRecord } from '../../src/storage/image-record.js';

/** An image file found in the batch's output folder. */
export interface StoredFile {
  readonly path: string;
  readonly bytes: Uint8Array;
}

/** Everything the run left behind, read after the workers stopped. */
export interface ChaosEvidence {
  /** Every image key the batch was meant to make. */
  readonly imageKeys: readonly string[];
  /** The simulator's own record of every call. */
  readonly calls: readonly CallRecord[];
  /** The store's records, by image key. */
  readonly records: ReadonlyMap<string, ImageRecord>;
  /** Image files in the output folder (not records, not unfinished writes). */
  readonly files: readonly StoredFile[];
  /** Unfinished writes (`.*.tmp`) left by killed workers. */
  readonly tempFiles: number;
  /** The batch registry's outcome and last error per image key. */
  readonly outcomes: ReadonlyMap<string, ImageOutcome>;
  readonly errors: Readonly<Record<string, string>>;
  /** Which worker was SIGKILLed when, epoch ms. */
  readonly kills: ReadonlyArray<{ readonly atMs: number; readonly worker: number }>;
  /** The simulator's request id of each answered call -> the worker that sent it. */
  readonly callers: ReadonlyMap<string, number>;
  /** The bytes the simulator makes for a record's prompt: what its file must hold. */
  readonly expectedBytes: (record: ImageRecord) => Uint8Array;
}

export interface ChaosReport {
  readonly images: number;
  readonly stored: number;
  readonly filtered: number;
  /** Images the registry ended as failed or rejected, with a reason. */
  readonly failedWithReason: number;
  /** Images neither stored, filtered nor failed with a reason. */
  readonly lost: number;
  /** Successful (image-making) calls for a key that already had one. */
  readonly duplicates: number;
  /**
   * Duplicates whose earlier successful call's worker was not killed between that call and the
   * next one for the image: paid twice with no crash to explain it (a bug). Must be 0.
   */
  readonly unexplainedDuplicates: number;
  /** Stored files that differ from their record (missing, other size, other bytes), and image files no record points at. */
  readonly mismatch: number;
  /** Images whose registry outcome disagrees with the store (informational: the store is the truth). */
  readonly outcomeDisagreements: number;
  readonly tempFiles: number;
  readonly calls: number;
  readonly callsByOutcome: Readonly<Partial<Record<CallOutcome, number>>>;
  /** A few examples of each problem, for the reader of a failed run. */
  readonly examples: { readonly lost: readonly string[]; readonly duplicates: readonly string[]; readonly unexplained: readonly string[]; readonly mismatch: readonly string[]; readonly disagreements: readonly string[] };
}

/** Calls that produced (and billed) images. */
const IMAGE_MAKING: readonly CallOutcome[] = ['ok', 'partial'];
const EXAMPLES = 10;
/** How long after its worker's kill a call may still reach the simulator: the proxy forwards what the worker had sent. */
const SENT_BEFORE_KILL_GRACE_MS = 1_000;
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

/**
 * The chaos run's verdict, from the simulator's record of calls and what the store and the
 * batch registry hold. Pure: the caller reads the evidence.
 */
export function buildChaosReport(evidence: ChaosEvidence): ChaosReport {
  const examples = { lost: [] as string[], duplicates: [] as string[], unexplained: [] as string[], mismatch: [] as string[], disagreements: [] as string[] };
  const note = (list: string[], text: string): void => {
    if (list.length < EXAMPLES) list.push(text);
  };

  const callsByOutcome: Partial<Record<CallOutcome, number>> = {};
  const imageCallsPerKey = new Map<string, CallRecord[]>();
  for (const call of evidence.calls) {
    callsByOutcome[call.outcome] = (callsByOutcome[call.outcome] ?? 0) + 1;
    if (!IMAGE_MAKING.includes(call.outcome)) continue;
    const key = call.clientRequestId ?? `(no request id: ${call.prompt ?? '?'})`;
    const list = imageCallsPerKey.get(key) ?? [];
    list.push(call);
    imageCallsPerKey.set(key, list);
  }
  // Only the death of the worker that made a call loses its answer (the image in its memory or
  // on its way to the store): a kill of any other worker explains nothing. A call sent just
  // before the kill may reach the simulator (through the worker's proxy) a moment after it.
  const wasLostToItsWorkersKill = (call: CallRecord, next: CallRecord): boolean => {
    const worker = evidence.callers.get(call.requestId);
    return worker !== undefined && evidence.kills.some((kill) => kill.worker === worker && kill.atMs >= call.arrivedAtMs - SENT_BEFORE_KILL_GRACE_MS && kill.atMs <= next.arrivedAtMs);
  };
  let duplicates = 0;
  let unexplainedDuplicates = 0;
  for (const [key, calls] of imageCallsPerKey) {
    if (calls.length <= 1) continue;
    duplicates += calls.length - 1;
    // Every call but the last was paid for an image that never reached the store.
    const unexplained = calls.slice(0, -1).filter((call, i) => !wasLostToItsWorkersKill(call, calls[i + 1] ?? call)).length;
    unexplainedDuplicates += unexplained;
    // Who called when, so a failed run's reader can lay the calls beside the run's log.
    const who = calls.map((call) => `worker ${String(evidence.callers.get(call.requestId) ?? '?')} at ${new Date(call.arrivedAtMs).toISOString().slice(11, 23)}`).join(', ');
    // The unexplained ones apart: they are the bug a failed run reports, and get crowded out of the rest.
    note(unexplained > 0 ? examples.unexplained : examples.duplicates, `${key}: ${calls.length} successful calls (${who})${unexplained > 0 ? `, ${unexplained} not explained by a kill` : ''}`);
  }

  const filesByPath = new Map(evidence.files.map((file) => [file.path, file]));
  const claimedPaths = new Set<string>();
  let mismatch = 0;
  let stored = 0;
  let filtered = 0;
  let failedWithReason = 0;
  let lost = 0;
  let outcomeDisagreements = 0;
  for (const key of evidence.imageKeys) {
    const record = evidence.records.get(key);
    const outcome = evidence.outcomes.get(key);
    let isDone = false;
    if (record?.status === 'stored') {
      const file = record.location === undefined ? undefined : filesByPath.get(record.location);
      if (record.location !== undefined) claimedPaths.add(record.location);
      if (file === undefined) {
        mismatch++;
        note(examples.mismatch, `${key}: record says stored at ${record.location ?? '(no location)'}, no such file`);
      } else if (file.bytes.byteLength !== record.sizeBytes) {
        mismatch++;
        note(examples.mismatch, `${key}: file has ${file.bytes.byteLength} bytes, record says ${String(record.sizeBytes)}`);
      } else if (!sameBytes(file.bytes, evidence.expectedBytes(record))) {
        mismatch++;
        note(examples.mismatch, `${key}: file is not the image made for its prompt`);
      } else {
        stored++;
        isDone = true;
      }
    } else if (record?.status === 'filtered') {
      filtered++;
      isDone = true;
    }
    if (record !== undefined && outcome !== record.status) {
      outcomeDisagreements++;
      note(examples.disagreements, `${key}: store says ${record.status}, registry ${outcome ?? '(none)'}`);
    }
    if (isDone) continue;
    const error = evidence.errors[key];
    if ((outcome === 'failed' || outcome === 'rejected') && error !== undefined && error !== '') {
      failedWithReason++;
      continue;
    }
    lost++;
    note(examples.lost, `${key}: record ${record?.status ?? 'none'}, registry ${outcome ?? 'none'}${error === undefined ? '' : ` (${error})`}`);
  }
  for (const file of evidence.files) {
    if (claimedPaths.has(file.path)) continue;
    mismatch++;
    note(examples.mismatch, `${file.path}: no stored record points at this file`);
  }

  return {
    images: evidence.imageKeys.length,
    stored,
    filtered,
    failedWithReason,
    lost,
    duplicates,
    unexplainedDuplicates,
    mismatch,
    outcomeDisagreements,
    tempFiles: evidence.tempFiles,
    calls: evidence.calls.length,
    callsByOutcome,
    examples,
  };
}
