/**
 * One error type for the API and one middleware that maps every failure to an HTTP answer. Routes throw; they never
 * build error responses themselves. Anything unexpected becomes a generic 500 whose details go to the log only.
 */
import type { ErrorRequestHandler } from 'express';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ZodError } from 'zod';

export const ERROR_STATUS = {
  VALIDATION: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  CSRF_FAILED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNPROCESSABLE: 422,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  UNAVAILABLE: 503,
} as const;

export type TErrorCode = keyof typeof ERROR_STATUS;

export interface TErrorBody {
  error: { code: TErrorCode | 'INTERNAL'; message: string; issues?: unknown[]; requestId?: string };
}

export class AppError extends Error {
  readonly code: TErrorCode;
  readonly issues?: unknown[];
  /** Named in the answer (and its X-Request-Id header) where the caller may need to refer to this request later. */
  readonly requestId?: string;

  constructor(code: TErrorCode, message: string, issues?: unknown[], requestId?: string) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.issues = issues;
    this.requestId = requestId;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  static validation(message: string, issues?: unknown[]): AppError {
    return new AppError('VALIDATION', message, issues);
  }
  static unauthenticated(message = 'A valid bearer token is required'): AppError {
    return new AppError('UNAUTHENTICATED', message);
  }
  static forbidden(message = 'You may not do this'): AppError {
    return new AppError('FORBIDDEN', message);
  }
  static notFound(message = 'Not found'): AppError {
    return new AppError('NOT_FOUND', message);
  }
  static conflict(message: string): AppError {
    return new AppError('CONFLICT', message);
  }
}

/**
 * The domain error types a workflow validator refuses with (ApplicationFailure.type) and the code each maps to.
 * Unknown types are not listed: they fall through to a 500.
 */
const WORKFLOW_FAILURE_CODES: Record<string, TErrorCode> = {
  NotAuthorized: 'FORBIDDEN',
  InvalidTransition: 'CONFLICT',
  ValidationError: 'VALIDATION',
  NotFound: 'NOT_FOUND',
  /** The task is flagged for the admin (its workflow met an error it could not act on): refused with the reason. */
  TaskFlagged: 'CONFLICT',
  /** The rules threw on this decision's data: the decision is refused, the task unchanged and still usable. */
  RuleError: 'CONFLICT',
};

/** Translates any thrown value into an AppError, or null when it is unexpected (a 500). */
export function toAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) return AppError.validation('Invalid request', err.issues);
  if (isMalformedJson(err)) return AppError.validation('Malformed JSON body');
  const client = clientRequestError(err);
  if (client) return client;
  if (err instanceof WorkflowNotFoundError) return AppError.notFound('Task workflow not found');
  if (err instanceof WorkflowExecutionAlreadyStartedError) return AppError.conflict('Workflow already started');
  if (err instanceof WorkflowUpdateFailedError) {
    const failure = domainFailure(err.cause);
    // The validator's message is written for the caller (it names the rule that refused the decision).
    if (failure) return new AppError(WORKFLOW_FAILURE_CODES[failure.type!]!, failure.message);
  }
  return null;
}

/**
 * The first ApplicationFailure of a known domain type along the cause chain: a validator refuses directly; a handler
 * whose activity refused (say, a split naming a unit with no office) fails with ActivityFailure → ApplicationFailure.
 */
function domainFailure(cause: unknown): ApplicationFailure | null {
  for (let depth = 0; cause instanceof Error && depth < 5; depth++, cause = cause.cause) {
    if (cause instanceof ApplicationFailure && cause.type && WORKFLOW_FAILURE_CODES[cause.type]) return cause;
  }
  return null;
}

function isMalformedJson(err: unknown): boolean {
  // body-parser marks JSON syntax errors with type 'entity.parse.failed' and status 400.
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { type?: unknown }).type === 'entity.parse.failed' &&
    (err as { status?: unknown }).status === 400
  );
}

/**
 * Errors of the request itself raised before any route runs: body-parser's (too large, unsupported encoding or
 * charset, aborted) and the router's (a path parameter that is not valid percent-encoding). They carry an HTTP
 * status and, being meant for the client (`expose`), a message that is safe to return.
 */
function clientRequestError(err: unknown): AppError | null {
  if (typeof err !== 'object' || err === null) return null;
  const { status, expose, message, limit } = err as {
    status?: unknown;
    expose?: unknown;
    message?: unknown;
    limit?: unknown;
  };
  if (typeof status !== 'number' || status < 400 || status >= 500) return null;
  const text = typeof message === 'string' && message ? message : 'Bad request';
  if (status === 413) {
    return new AppError(
      'PAYLOAD_TOO_LARGE',
      `Request body too large${typeof limit === 'number' ? ` (the limit is ${limit} bytes)` : ''}`,
    );
  }
  if (status === 415) return new AppError('UNSUPPORTED_MEDIA_TYPE', text);
  if (status === 400 && (expose === true || err instanceof URIError)) return AppError.validation(text);
  return null;
}

export interface TErrorLogger {
  error(message: string, meta?: Record<string, unknown>): void;
}

export const consoleErrorLogger: TErrorLogger = {
  error: (message, meta) => console.error(message, meta ?? ''),
};

/** The one error middleware: registered last in createApp. */
export function errorMiddleware(logger: TErrorLogger = consoleErrorLogger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const appError = toAppError(err);
    if (appError) {
      const body: TErrorBody = { error: { code: appError.code, message: appError.message } };
      if (appError.issues) body.error.issues = appError.issues;
      if (appError.requestId) {
        body.error.requestId = appError.requestId;
        res.setHeader('X-Request-Id', appError.requestId);
      }
      if (appError.code === 'UNAVAILABLE' && !res.getHeader('Retry-After')) res.setHeader('Retry-After', '5');
      res.status(appError.status).json(body);
      return;
    }
    logger.error('Unhandled error in API request', { method: req.method, path: req.path, err });
    const body: TErrorBody = { error: { code: 'INTERNAL', message: 'Internal server error' } };
    res.status(500).json(body);
  };
}
