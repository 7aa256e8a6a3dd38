import { z } from 'zod';
import { ConfigError } from '../errors/imgbatch-error.js';

/** How a scripted 429 carries its wait, covering every variant the real service has sent. */
export const SCRIPTED_429_HEADER_MODES = ['ms-and-seconds', 'seconds', 'http-date', 'reset-requests', 'none'] as const;

const faultStepSchema = z.discriminatedUnion('kind', [
  /** 500 with the real `server_error` body. */
  z.strictObject({ kind: z.literal('500') }),
  /** 503 `text/plain` "Service Unavailable" (a gateway answer). */
  z.strictObject({ kind: z.literal('503') }),
  /** Read the request, never answer; ends when the client disconnects or the simulator closes. */
  z.strictObject({ kind: z.literal('hang') }),
  /** Read the request, then reset the TCP connection. */
  z.strictObject({ kind: z.literal('reset') }),
  /** 401 with the real invalid-key body. */
  z.strictObject({ kind: z.literal('401') }),
  /** 403 with the real "temporarily blocked" body. */
  z.strictObject({ kind: z.literal('403') }),
  z.strictObject({
    kind: z.literal('429'),
    /** The wait the response announces (default 1000). */
    retryAfterMs: z.number().int().min(0).default(1000),
    /**
     * `ms-and-seconds`: retry-after-ms + retry-after; `seconds`: retry-after; `http-date`:
     * retry-after as an HTTP date plus `date`; `reset-requests`: only x-ratelimit-reset-requests
     * (seconds); `none`: the wait only in the message (default `ms-and-seconds`).
     */
    headers: z.enum(SCRIPTED_429_HEADER_MODES).default('ms-and-seconds'),
  }),
]);

const scriptMatchSchema = z.union([
  /** Calls whose prompt contains this text (case-sensitive). */
  z.strictObject({ promptIncludes: z.string().min(1) }),
  /** Calls whose `x-ms-client-request-id` header equals this value (the worker sends the image key). */
  z.strictObject({ clientRequestId: z.string().min(1) }),
  /** Every call to this deployment (e.g. "deployment a starts answering 401"). */
  z.strictObject({ deployment: z.string().min(1) }),
]);

/** The body of `POST /_sim/script`. */
export const scriptRequestSchema = z.strictObject({
  match: scriptMatchSchema,
  steps: z.array(faultStepSchema).min(1, 'needs at least one step'),
});

export type FaultStepInput = z.input<typeof faultStepSchema>;
export type FaultStep = z.output<typeof faultStepSchema>;
export type ScriptMatch = z.output<typeof scriptMatchSchema>;

/** What a call offers for matching against scripts. */
export interface ScriptableCall {
  readonly prompt: string | undefined;
  readonly clientRequestId: string | undefined;
  readonly deployment?: string;
}

export interface FaultScript {
  /** Queues `steps` for calls matching `match`, after any steps already queued for it. */
  add(match: ScriptMatch, steps: readonly FaultStepInput[]): void;
  /** The next step for this call, consumed; undefined once the script has run out. */
  take(call: ScriptableCall): FaultStep | undefined;
  /** Steps not yet consumed, over all scripts. */
  pendingSteps(): number;
  clear(): void;
}

function matches(match: ScriptMatch, call: ScriptableCall): boolean {
  if ('promptIncludes' in match) return call.prompt?.includes(match.promptIncludes) === true;
  if ('deployment' in match) return call.deployment === match.deployment;
  return call.clientRequestId === match.clientRequestId;
}

/**
 * Responses queued for particular calls, so a test can say "the next call for this image gets
 * a 500, then a hang" and get exactly that, whatever else runs at the same time.
 */
export function createFaultScript(): FaultScript {
  // Scripts in the order they were added; the oldest script that matches answers first.
  const scripts: { match: ScriptMatch; steps: FaultStep[] }[] = [];
  return {
    add(match, steps) {
      const parsed = scriptRequestSchema.safeParse({ match, steps });
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`);
        throw new ConfigError(`Invalid fault script: ${problems.join('; ')}`, { cause: parsed.error });
      }
      scripts.push({ match: parsed.data.match, steps: [...parsed.data.steps] });
    },
    take(call) {
      const index = scripts.findIndex((script) => matches(script.match, call));
      const script = scripts[index];
      if (script === undefined) return undefined;
      const step = script.steps.shift();
      if (script.steps.length === 0) scripts.splice(index, 1);
      return step;
    },
    pendingSteps() {
      return scripts.reduce((sum, script) => sum + script.steps.length, 0);
    },
    clear() {
      scripts.length = 0;
    },
  };
}
