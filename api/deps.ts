import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';

/** What the API needs from the outside world; injected so tests run it against a fresh database and dev server. */
export interface TAppDeps {
  db: Db;
  client: Client;
  taskQueue: string;
  now: () => Date;
}
