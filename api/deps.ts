import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import type { TErrorLogger } from './errors';
import type { TFileStore } from './files/store';

/** What the API needs from the outside world; injected so tests run it against a fresh database and dev server. */
export interface TAppDeps {
  db: Db;
  client: Client;
  taskQueue: string;
  now: () => Date;
  // Optional so that callers needing only the task helpers (simulate/, bench/) need not build a store; createApp
  // always fills them.
  /** Where evidence files live (local disk under DATA_DIR by default, or S3-compatible). */
  fileStore?: TFileStore;
  /** Upload limit in bytes (UPLOAD_MAX_BYTES, default 50 MB). */
  uploadMaxBytes?: number;
  logger?: TErrorLogger;
  /** How long a decision waits for its workflow's answer (api/limits.ts); default 30 s. */
  decisionTimeoutMs?: number;
}
