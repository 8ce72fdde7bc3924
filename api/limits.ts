/**
 * Backpressure for the API, so that one slow request cannot starve the workflows and health checks that share the
 * process (issue 10: a 30 s read kept the stack busy, abandoned requests kept it busy 93–136 s more).
 *
 * - `requestDeadline`: a GET still running after `requestTimeoutMs` answers 503 UNAVAILABLE with `Retry-After`; its
 *   later result is dropped (headers, body and errors alike). Decisions (POST, …) get no deadline of ours: a Temporal
 *   update has its own timeout semantics (an update the API stopped waiting for may still be accepted, so answering
 *   503 would lie about it); for them the guard only makes sure a late answer on a closed connection cannot throw.
 * - `heavyReadLimiter`: at most `maxConcurrentReads` heavy reads in flight (list, detail, stats, inbox), a short FIFO
 *   queue behind them, 503 + `Retry-After: 1` beyond it. A slot is held until the handler's work ends (its answer, or
 *   its late answer after the deadline, or its answer into a connection the client closed), not merely until the
 *   client stopped waiting: otherwise timed-out or abandoned queries would pile up behind the bound. A handler that
 *   never answers gives its slot back one deadline after its own. A queued request whose client leaves (or whose
 *   deadline passes) is dropped from the queue and never runs.
 */
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { TErrorBody } from './errors';

export interface TApiLimits {
  /** Server-side deadline of a GET, in ms. */
  requestTimeoutMs: number;
  /** Heavy reads running at once. */
  maxConcurrentReads: number;
  /** Heavy reads waiting for a slot; beyond that, 503. */
  maxQueuedReads: number;
  /**
   * How long a decision waits for its workflow's answer before the API answers 503 with the request id. Generous:
   * a decision's answer includes its projection, which retries a struggling database for up to a minute; 30 s is
   * past what a healthy stack needs by two orders of magnitude, and short of what a person waits before retrying.
   */
  decisionTimeoutMs: number;
}

export const DEFAULT_API_LIMITS: TApiLimits = {
  requestTimeoutMs: 15_000,
  maxConcurrentReads: 8,
  maxQueuedReads: 32,
  decisionTimeoutMs: 30_000,
};

const ZLimitsEnv = z.object({
  API_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(DEFAULT_API_LIMITS.requestTimeoutMs),
  API_MAX_CONCURRENT_READS: z.coerce.number().int().min(1).max(1000).default(DEFAULT_API_LIMITS.maxConcurrentReads),
  API_MAX_QUEUED_READS: z.coerce.number().int().min(0).max(10_000).default(DEFAULT_API_LIMITS.maxQueuedReads),
  API_DECISION_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(DEFAULT_API_LIMITS.decisionTimeoutMs),
});

/** Limits from API_REQUEST_TIMEOUT_MS, API_MAX_CONCURRENT_READS, API_MAX_QUEUED_READS; invalid values throw. */
export function apiLimitsFromEnv(env: NodeJS.ProcessEnv): TApiLimits {
  const parsed = ZLimitsEnv.parse({
    API_REQUEST_TIMEOUT_MS: env.API_REQUEST_TIMEOUT_MS || undefined,
    API_MAX_CONCURRENT_READS: env.API_MAX_CONCURRENT_READS || undefined,
    API_MAX_QUEUED_READS: env.API_MAX_QUEUED_READS || undefined,
    API_DECISION_TIMEOUT_MS: env.API_DECISION_TIMEOUT_MS || undefined,
  });
  return {
    requestTimeoutMs: parsed.API_REQUEST_TIMEOUT_MS,
    maxConcurrentReads: parsed.API_MAX_CONCURRENT_READS,
    maxQueuedReads: parsed.API_MAX_QUEUED_READS,
    decisionTimeoutMs: parsed.API_DECISION_TIMEOUT_MS,
  };
}

export const UNAVAILABLE_MESSAGE = '服务繁忙，请稍后再试';

/** Per-response state shared by the deadline and the limiter. */
class ResponseGuard {
  timedOut = false;
  private workDone = false;
  private readonly onDone: (() => void)[] = [];
  private capTimer: NodeJS.Timeout | undefined;

  /** The handler's work ended (answered, failed, or answered late): release what it held, once. */
  finish(): void {
    if (this.workDone) return;
    this.workDone = true;
    if (this.capTimer) clearTimeout(this.capTimer);
    for (const fn of this.onDone.splice(0)) fn();
  }

  whenDone(fn: () => void): void {
    if (this.workDone) fn();
    else this.onDone.push(fn);
  }

  /** Nobody is waiting any more: give what the handler holds back after `ms` at the latest. */
  capAfter(ms: number): void {
    if (this.workDone || this.capTimer) return;
    this.capTimer = setTimeout(() => this.finish(), ms);
    this.capTimer.unref();
  }
}

const GUARD = Symbol('zhenggai.responseGuard');
type TGuarded = Response & { [GUARD]?: ResponseGuard };

function guardOf(res: Response): ResponseGuard | undefined {
  return (res as TGuarded)[GUARD];
}

/** Writes a 503 UNAVAILABLE through the given (unwrapped) primitives. */
function writeUnavailable(
  res: Response,
  retryAfterSeconds: number,
  raw: { setHeader: Response['setHeader']; end: Response['end'] },
): void {
  const body: TErrorBody = { error: { code: 'UNAVAILABLE', message: UNAVAILABLE_MESSAGE } };
  const json = JSON.stringify(body);
  res.statusCode = 503;
  raw.setHeader.call(res, 'Retry-After', String(retryAfterSeconds));
  raw.setHeader.call(res, 'Content-Type', 'application/json; charset=utf-8');
  raw.setHeader.call(res, 'Content-Length', String(Buffer.byteLength(json)));
  raw.setHeader.call(res, 'Cache-Control', 'no-store');
  (raw.end as (this: Response, chunk: string) => Response).call(res, json);
}

/**
 * Registered before the routes it protects. Wraps the response so that the end of the handler's work is known and a
 * late answer is dropped; arms the deadline on GET/HEAD.
 */
export function requestDeadline(limits: Pick<TApiLimits, 'requestTimeoutMs'>): RequestHandler {
  const retryAfter = Math.max(1, Math.ceil(limits.requestTimeoutMs / 1000));
  return (req: Request, res: Response, next: NextFunction) => {
    if ((res as TGuarded)[GUARD]) {
      next();
      return;
    }
    const guard = new ResponseGuard();
    (res as TGuarded)[GUARD] = guard;
    const raw = { setHeader: res.setHeader, end: res.end, writeHead: res.writeHead, write: res.write };

    // After the deadline answered, everything the handler still writes is dropped (setHeader would otherwise throw
    // ERR_HTTP_HEADERS_SENT inside the route); its end marks the end of its work.
    res.setHeader = function (this: Response, ...args: Parameters<Response['setHeader']>) {
      if (guard.timedOut) return this;
      return raw.setHeader.apply(this, args);
    } as Response['setHeader'];
    res.writeHead = function (this: Response, ...args: unknown[]) {
      if (guard.timedOut) return this;
      return (raw.writeHead as (...a: unknown[]) => Response).apply(this, args);
    } as Response['writeHead'];
    res.write = function (this: Response, ...args: unknown[]) {
      if (guard.timedOut) return true;
      return (raw.write as (...a: unknown[]) => boolean).apply(this, args);
    } as Response['write'];
    res.end = function (this: Response, ...args: unknown[]) {
      guard.finish();
      if (guard.timedOut) return this;
      return (raw.end as (...a: unknown[]) => Response).apply(this, args);
    } as Response['end'];

    let timer: NodeJS.Timeout | undefined;
    if (req.method === 'GET' || req.method === 'HEAD') {
      timer = setTimeout(() => {
        timer = undefined;
        if (res.headersSent || res.writableEnded) return;
        // In this order: Node's end() calls this.writeHead(), which must still pass through.
        writeUnavailable(res, retryAfter, raw);
        guard.timedOut = true;
        guard.capAfter(limits.requestTimeoutMs);
      }, limits.requestTimeoutMs);
      timer.unref();
    }
    res.on('close', () => {
      if (timer) clearTimeout(timer);
      // The client left before the handler answered: its slot comes back when the handler ends, or after a deadline.
      guard.capAfter(limits.requestTimeoutMs);
    });
    next();
  };
}

/**
 * Registered just before the error middleware: an error raised by a handler whose answer was already given (the
 * deadline's 503, or a closed connection) ends its work quietly instead of reaching Express's final handler, which
 * would destroy the keep-alive socket.
 */
export function lateErrorSink(): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    const guard = guardOf(res);
    if (guard && (guard.timedOut || res.writableEnded || res.destroyed)) {
      guard.finish();
      return;
    }
    next(err);
  };
}

interface TQueued {
  start(): void;
  gone(): boolean;
}

export interface THeavyReadLimiter extends RequestHandler {
  /** For tests and logs. */
  stats(): { inFlight: number; queued: number };
}

/** At most `maxConcurrentReads` requests in flight through it, `maxQueuedReads` waiting, 503 beyond. */
export function heavyReadLimiter(limits: Pick<TApiLimits, 'maxConcurrentReads' | 'maxQueuedReads'>): THeavyReadLimiter {
  let inFlight = 0;
  const queue: TQueued[] = [];

  const release = (): void => {
    inFlight--;
    while (inFlight < limits.maxConcurrentReads && queue.length > 0) {
      const next = queue.shift()!;
      if (!next.gone()) next.start();
    }
  };

  const middleware = ((req: Request, res: Response, next: NextFunction) => {
    const guard = guardOf(res);
    const start = (): void => {
      inFlight++;
      let released = false;
      const once = (): void => {
        if (released) return;
        released = true;
        release();
      };
      if (guard) guard.whenDone(once);
      // Without the deadline's guard (mounted alone), the response's end is the only signal there is.
      else res.on('close', once);
      next();
    };
    if (inFlight < limits.maxConcurrentReads) {
      start();
      return;
    }
    if (queue.length >= limits.maxQueuedReads) {
      writeUnavailable(res, 1, { setHeader: res.setHeader, end: res.end });
      return;
    }
    const entry: TQueued = { start, gone: () => res.writableEnded || res.destroyed || req.destroyed };
    queue.push(entry);
    res.on('close', () => {
      const at = queue.indexOf(entry);
      if (at >= 0) queue.splice(at, 1);
    });
  }) as THeavyReadLimiter;
  middleware.stats = () => ({ inFlight, queued: queue.length });
  return middleware;
}

/** The routes whose reads scan or aggregate many rows. */
export const HEAVY_READ_PATHS = [
  '/api/tasks',
  '/api/tasks/:id',
  '/api/campaigns/:id/stats',
  '/api/inbox',
  // A whole campaign's ledger (seconds at 10⁴ tasks) and a notice's document read every task of the campaign.
  '/api/campaigns/:id/ledger.xlsx',
  '/api/notices/:id/document.docx',
];
