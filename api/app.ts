/**
 * The HTTP API: thin routes (parse with Zod → authorise → call the workflow or read the database → map), one error
 * middleware. Built from injected dependencies so tests run it against a fresh database and the dev server.
 */
import express from 'express';
import type { PayloadCodec } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import { TASK_QUEUE } from '../workflows/shared';
import { accessLog } from './accessLog';
import { authenticate } from './auth';
import type { TAppDeps } from './deps';
import { AppError, consoleErrorLogger, errorMiddleware, type TErrorLogger } from './errors';
import { fileStoreFromEnv, uploadMaxBytesFromEnv, type TFileStore } from './files/store';
import {
  apiLimitsFromEnv,
  HEAVY_READ_PATHS,
  heavyReadLimiter,
  lateErrorSink,
  requestDeadline,
  type TApiLimits,
} from './limits';
import { auditRouter } from './routes/audit';
import { authRouter } from './routes/auth';
import { codecRouter } from './routes/codec';
import { calendarRouter } from './routes/calendar';
import { campaignsRouter } from './routes/campaigns';
import { delegationsRouter } from './routes/delegations';
import { deliveryRouter } from './routes/delivery';
import { directoryRouter } from './routes/directory';
import { filesRouter } from './routes/files';
import { healthRouter } from './routes/health';
import { importsRouter } from './routes/imports';
import { inboxRouter } from './routes/inbox';
import { ledgerRouter } from './routes/ledger';
import { noticesRouter } from './routes/notices';
import { opinionsRouter } from './routes/opinions';
import { tasksRouter } from './routes/tasks';
import { supervisionRouter } from './routes/supervision';
import { writeRateFromEnv, writeRateLimit } from './rateLimit';
import { securityHeaders } from './security';
import { webRouter } from './web';

export interface TCreateAppDeps {
  db: Db;
  client: Client;
  taskQueue?: string;
  now?: () => Date;
  logger?: TErrorLogger;
  /** Default: from the environment (FILE_STORE, DATA_DIR, S3_*), local disk under `<DATA_DIR>/files`. */
  fileStore?: TFileStore;
  /** Default: UPLOAD_MAX_BYTES or 50 MB. */
  uploadMaxBytes?: number;
  /** Default: API_REQUEST_TIMEOUT_MS, API_MAX_CONCURRENT_READS, API_MAX_QUEUED_READS (api/limits.ts). */
  limits?: Partial<TApiLimits>;
  /** The payload codec the client uses, for the admins' codec endpoint (api/routes/codec.ts); absent: off. */
  payloadCodec?: PayloadCodec;
}

export function createApp(input: TCreateAppDeps): express.Express {
  const deps: TAppDeps = {
    db: input.db,
    client: input.client,
    taskQueue: input.taskQueue ?? TASK_QUEUE,
    now: input.now ?? (() => new Date()),
    fileStore: input.fileStore ?? fileStoreFromEnv(process.env),
    uploadMaxBytes: input.uploadMaxBytes ?? uploadMaxBytesFromEnv(process.env),
    logger: input.logger ?? consoleErrorLogger,
  };
  const app = express();
  app.disable('x-powered-by');
  // First: every answer carries its request id, and every request is logged (api/accessLog.ts).
  app.use(accessLog());
  app.use(securityHeaders());
  app.use(healthRouter(deps));
  // Deadlines and the bound on heavy reads (api/limits.ts); /health above stays outside both.
  const limits = { ...apiLimitsFromEnv(process.env), ...input.limits };
  deps.decisionTimeoutMs = limits.decisionTimeoutMs;
  app.use('/api', requestDeadline(limits));
  // Sign-in and sign-out come before authentication (they parse their own small JSON bodies).
  app.use('/api', authRouter(deps));
  // Authentication before body parsing: an anonymous caller gets 401 whatever it sent.
  app.use('/api', authenticate(deps.db, deps.now));
  // Writes per user and minute (api/rateLimit.ts): after authentication, which names the user.
  app.use('/api', writeRateLimit(writeRateFromEnv(process.env)));
  // After authentication: an anonymous caller takes no slot.
  app.get(HEAVY_READ_PATHS, heavyReadLimiter(limits));
  // Uploads are multipart, streamed by their own route: before the JSON-only rule below.
  app.use('/api', filesRouter(deps));
  // Spreadsheet imports are multipart too (the commit parses its own small JSON).
  app.use('/api', importsRouter(deps));
  // Reports and summaries are text; evidence is metadata only (files live in document storage): 1 MB is ample.
  // Bodies are JSON: one sent as anything else would otherwise arrive as no body at all and be refused as such.
  app.use('/api', (req, _res, next) => {
    const length = req.headers['content-length'];
    const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    if (hasBody && !req.is('application/json')) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Request bodies must be JSON (Content-Type: application/json)');
    }
    next();
  });
  // The codec endpoint carries whole payloads (a task's state): its own, larger body limit, before the 1 MB one.
  app.use('/api/codec', express.json({ limit: '16mb' }));
  app.use('/api', codecRouter(input.payloadCodec));
  app.use(express.json({ limit: '1mb' }));
  app.use(
    '/api',
    campaignsRouter(deps),
    tasksRouter(deps),
    delegationsRouter(deps),
    deliveryRouter(deps),
    inboxRouter(deps),
    directoryRouter(deps),
    opinionsRouter(deps),
    auditRouter(deps),
    supervisionRouter(deps),
    calendarRouter(deps),
    ledgerRouter(deps),
    noticesRouter(deps),
  );
  // The browser application: every GET outside /api that wants HTML.
  app.use(webRouter());
  app.use((req) => {
    throw AppError.notFound(`No route for ${req.method} ${req.path}`);
  });
  app.use(lateErrorSink());
  app.use(errorMiddleware(input.logger));
  return app;
}
