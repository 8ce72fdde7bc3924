/**
 * The access log: one JSON line per request (pino through pino-http) on stdout, for the log collector. It holds what
 * an operator needs and nothing that could be a secret or personal content:
 * - method, path (the query string dropped: a token or a searched name may sit there), status, duration (ms), the
 *   user id once authenticated, and the request id;
 * - never a header (no Cookie, no Authorization, no X-CSRF-Token), never a body.
 * The request id is the caller's `X-Request-Id` when well-formed (a proxy's id, so lines join across hops), else a
 * new UUID; it is echoed in the response's `X-Request-Id` and kept in `res.locals.requestId` for the routes.
 *
 * Level from LOG_LEVEL (fatal … trace, or silent); by default `info`, but `silent` under Jest (NODE_ENV=test) so test
 * output stays readable: LOG_LEVEL=info shows it there too. `GET /health` (polled by orchestrators) is not logged.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler, Response } from 'express';
import pino from 'pino';
import { pinoHttp } from 'pino-http';
import { z } from 'zod';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** Letters, digits and `._:-`, up to 128: a UUID, a ULID, a proxy's id; nothing that could forge a log line. */
const WELL_FORMED_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

const ZLogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
export type TLogLevel = z.infer<typeof ZLogLevel>;

/** LOG_LEVEL, else silent under Jest, else info; an invalid value throws (at start-up). */
export function logLevelFromEnv(env: NodeJS.ProcessEnv): TLogLevel {
  if (env.LOG_LEVEL) {
    const parsed = ZLogLevel.safeParse(env.LOG_LEVEL.trim().toLowerCase());
    if (!parsed.success) throw new Error(`LOG_LEVEL must be one of ${ZLogLevel.options.join(', ')}`);
    return parsed.data;
  }
  return env.NODE_ENV === 'test' ? 'silent' : 'info';
}

/** The caller's request id when well-formed, else a new one. */
export function requestIdOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && WELL_FORMED_ID.test(value) ? value : randomUUID();
}

/** The path alone: no query string, no fragment. */
export function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const cut = raw.search(/[?#]/);
  return cut === -1 ? raw : raw.slice(0, cut);
}

export interface TAccessLogOptions {
  env?: NodeJS.ProcessEnv;
  /** Where the lines go (default: process.stdout). */
  stream?: pino.DestinationStream;
}

type TReq = IncomingMessage & { originalUrl?: string; id?: unknown };

export function accessLog(options: TAccessLogOptions = {}): RequestHandler {
  const level = logLevelFromEnv(options.env ?? process.env);
  const logger = pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
    },
    options.stream ?? process.stdout,
  );
  const middleware = pinoHttp<TReq, ServerResponse>({
    logger,
    genReqId: (req, res) => {
      const id = requestIdOf(req.headers['x-request-id']);
      res.setHeader(REQUEST_ID_HEADER, id);
      // For routes that name it in an answer (a decision's 503), so the caller's, the answer's and the log's ids match.
      (res as unknown as Response).locals.requestId = id;
      return id;
    },
    // Only these fields: pino-http's default serializers would write every header (cookies and tokens included).
    wrapSerializers: false,
    serializers: {
      req: (req: TReq) => ({ id: req.id, method: req.method, path: pathOf(req.originalUrl ?? req.url) }),
      res: (res: ServerResponse) => ({ status: res.statusCode }),
      err: (err: Error) => ({ type: err.name, message: err.message }),
    },
    customAttributeKeys: { responseTime: 'durationMs' },
    customProps: (_req, res) => {
      const actor = (res as unknown as Response).locals?.actor as { userId?: string } | undefined;
      return actor?.userId ? { userId: actor.userId } : {};
    },
    customLogLevel: (_req, res, err) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    customSuccessMessage: () => 'request',
    customErrorMessage: () => 'request failed',
    autoLogging: { ignore: (req) => req.method === 'GET' && pathOf(req.url) === '/health' },
  });
  // Even when silent, the request id is given and echoed (pino-http assigns it before logging anything).
  return middleware as unknown as RequestHandler;
}
