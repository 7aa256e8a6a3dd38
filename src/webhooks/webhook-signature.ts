import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries a delivery's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const WEBHOOK_SIGNATURE_HEADER = 'imgbatch-signature';

/**
 * How far a signature's timestamp may be from the receiver's clock, seconds, by default: wide
 * enough for clock skew and a slow network, narrow enough that a captured delivery cannot be
 * replayed much later. The same scheme (timestamp bound into the MAC) as Stripe's webhooks.
 */
export const DEFAULT_SIGNATURE_TOLERANCE_S = 300;

function mac(secret: string, timestampS: number, body: string): string {
  // The timestamp is inside the MAC: an old body cannot be sent again under a fresh timestamp.
  return createHmac('sha256', secret).update(`${timestampS}.${body}`, 'utf8').digest('hex');
}

/** The `imgbatch-signature` header value for `body` (the exact bytes POSTed, as UTF-8 text) sent at `timestampS`. */
export function signWebhook(secret: string, body: string, timestampS: number): string {
  if (secret.length === 0) throw new RangeError('a webhook signing secret must not be empty');
  if (!Number.isSafeInteger(timestampS)) throw new RangeError(`timestampS: ${timestampS} is not a whole number of seconds`);
  return `t=${timestampS},v1=${mac(secret, timestampS, body)}`;
}

export type SignatureVerdict =
  | { readonly isValid: true; readonly timestampS: number }
  | { readonly isValid: false; readonly reason: 'malformed' | 'mismatch' | 'too_old' | 'too_new' };

export interface VerifyWebhookOptions {
  /** The shared secret, as configured on the imgbatch side. */
  readonly secret: string;
  /** The `imgbatch-signature` header as received. */
  readonly header: string | undefined;
  /** The raw request body as received, before any JSON parsing. */
  readonly body: string;
  /** Allowed distance between the signature's time and now, seconds. Default 300. */
  readonly toleranceS?: number;
  /** The receiver's clock, unix seconds. Default: now. */
  readonly nowS?: number;
}

/**
 * Checks a delivery's signature the way a receiver should: over the raw body, in constant
 * time, and refusing timestamps outside the tolerance (a replayed delivery). Several `v1=`
 * entries are accepted, so a sender rotating its secret can sign with both for a while.
 */
export function verifyWebhookSignature(options: VerifyWebhookOptions): SignatureVerdict {
  const { header, body, secret } = options;
  if (header === undefined || secret.length === 0) return { isValid: false, reason: 'malformed' };
  let timestampS: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    const name = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (at < 0) return { isValid: false, reason: 'malformed' };
    if (name === 't' && /^\d{1,12}$/.test(value)) timestampS = Number(value);
    else if (name === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestampS === undefined || signatures.length === 0) return { isValid: false, reason: 'malformed' };
  const expected = Buffer.from(mac(secret, timestampS, body), 'hex');
  const isMatch = signatures.some((signature) => timingSafeEqual(Buffer.from(signature, 'hex'), expected));
  if (!isMatch) return { isValid: false, reason: 'mismatch' };
  const nowS = options.nowS ?? Math.floor(Date.now() / 1000);
  const toleranceS = options.toleranceS ?? DEFAULT_SIGNATURE_TOLERANCE_S;
  if (timestampS < nowS - toleranceS) return { isValid: false, reason: 'too_old' };
  if (timestampS > nowS + toleranceS) return { isValid: false, reason: 'too_new' };
  return { isValid: true, timestampS };
}
