/**
 * Write rate limits: each authenticated user may send at most WRITE_RATE_PER_MINUTE writes (POST, PUT, PATCH, DELETE
 * under /api) per minute, as a token bucket: full at `perMinute` tokens, refilled continuously at `perMinute` a
 * minute, one token per write, whatever its answer. An empty bucket answers 429 TOO_MANY_REQUESTS with `Retry-After`
 * (whole seconds until a token is back) and nothing reaches the route. Reads are not limited here (heavy reads have
 * their own bound, api/limits.ts); failed sign-ins are throttled apart (api/auth/throttle.ts).
 *
 * The buckets live in this process: with several API instances each counts alone, so a deployment of N instances
 * behind a balancer allows up to N × the rate; put the limit at the gateway, or share the counters, when that matters.
 * The default (600 a minute, a burst of 600) is far above what a person does in the browser and above the decisions
 * `npm run bench:api` sends for one user (about 130 in its 10 s measure): it stops runaway scripts, not people.
 */
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { actorOf } from './auth';
import { AppError } from './errors';

export const DEFAULT_WRITE_RATE_PER_MINUTE = 600;

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const ZWriteRateEnv = z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_WRITE_RATE_PER_MINUTE);

/** WRITE_RATE_PER_MINUTE, else 600; an invalid value throws (at start-up). */
export function writeRateFromEnv(env: NodeJS.ProcessEnv): number {
  return ZWriteRateEnv.parse(env.WRITE_RATE_PER_MINUTE || undefined);
}

/** One user's bucket: `tokens` as of `at` (ms). */
type TBucket = { tokens: number; at: number };

export class WriteBuckets {
  private readonly buckets = new Map<string, TBucket>();
  private readonly perMs: number;
  private takes = 0;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = perMinute / 60_000;
  }

  /** Takes a token for `key`: 0 when granted, else the whole seconds until one is back (at least 1). */
  take(key: string): number {
    const now = this.now();
    if (++this.takes % 10_000 === 0) this.sweep(now);
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    const tokens = Math.min(this.perMinute, bucket.tokens + Math.max(0, now - bucket.at) * this.perMs);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: now });
      return 0;
    }
    this.buckets.set(key, { tokens, at: now });
    return Math.max(1, Math.ceil((1 - tokens) / this.perMs / 1000));
  }

  /** Users idle long enough to be full again need no bucket: forget them, so the map stays bounded. */
  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.perMs >= this.perMinute) this.buckets.delete(key);
    }
  }

  get size(): number {
    return this.buckets.size;
  }
}

/** After `authenticate`: counts the caller's writes and refuses beyond the rate. */
export function writeRateLimit(perMinute: number, now?: () => number): RequestHandler {
  const buckets = new WriteBuckets(perMinute, now);
  return (req, res, next) => {
    if (!WRITE_METHODS.has(req.method)) {
      next();
      return;
    }
    const wait = buckets.take(actorOf(res).userId);
    if (wait > 0) {
      res.setHeader('Retry-After', String(wait));
      throw new AppError('TOO_MANY_REQUESTS', `操作过于频繁，请${wait}秒后再试`);
    }
    next();
  };
}
