/**
 * The channel adapter contract and how a failed send is classified. Adapters live beside this file, one per channel.
 */
import type { TExternalChannel } from './config';
import type { TDeliveryMessage } from './render';

/**
 * - 'retry': the message was certainly not delivered (connection refused, the receiver answered with a temporary
 *   error): try again later.
 * - 'permanent': retrying cannot help (no address, the receiver refused the request itself): dead at once.
 * - 'uncertain': the message was handed over but no answer came (a timeout or a dropped connection after the body was
 *   sent): it may have arrived, so at-most-once forbids sending it again unless the channel deduplicates.
 */
export type TFailureKind = 'retry' | 'permanent' | 'uncertain';

export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    readonly kind: TFailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface TChannelAdapter {
  readonly name: TExternalChannel;
  /**
   * True when a message whose send may have happened can be sent again because the receiver drops a repeat (the
   * generic webhook: `X-Idempotency-Key`). Then an interrupted or uncertain send is retried instead of held.
   */
  readonly resendSafe: boolean;
  /** Delivers or throws (a DeliveryError to classify the failure; anything else counts as 'retry'). */
  send(message: TDeliveryMessage): Promise<void>;
  close?(): Promise<void>;
}

/** Network errors raised before a request reached the receiver: nothing was sent. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The first `code` along the cause chain (duck-typed: errors from Node's own fetch may come from another realm). */
function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; typeof e === 'object' && e !== null && depth < 4; depth++) {
    const { code, cause } = e as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') return code;
    e = cause;
  }
  return undefined;
}

/** What a failed HTTP request (fetch) means for delivery. */
export function classifyFetchError(err: unknown, what: string): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const code = errorCode(err);
  const e = err as { name?: unknown; message?: unknown } | null;
  const detail =
    typeof e?.message === 'string' ? `${String(e.name)}: ${e.message}${code ? ` (${code})` : ''}` : String(err);
  if (code && NOT_SENT_CODES.has(code)) return new DeliveryError('retry', `${what}无法连接：${detail}`, { cause: err });
  return new DeliveryError('uncertain', `${what}未应答（可能已送达）：${detail}`, { cause: err });
}

/** How long one HTTP call to a robot or webhook may take: they answer in well under a second when healthy. */
export const HTTP_TIMEOUT_MS = 10_000;

/** POSTs JSON and returns the status and the parsed body (null when it is not JSON). */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  what: string,
  timeoutMs = HTTP_TIMEOUT_MS,
): Promise<{ status: number; json: unknown; text: string }> {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
      body: payload,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw classifyFetchError(err, what);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw classifyFetchError(err, what);
  }
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, json, text };
}

/** An HTTP status as a failure kind: 2xx none; 408, 429 and 5xx temporary; any other 4xx permanent. */
export function httpStatusFailure(status: number, what: string, text: string): DeliveryError | null {
  if (status >= 200 && status < 300) return null;
  const detail = `${what}返回 HTTP ${status}：${text.slice(0, 200)}`;
  if (status === 408 || status === 429 || status >= 500) return new DeliveryError('retry', detail);
  return new DeliveryError('permanent', detail);
}
