/**
 * Test helpers for the audit chain: records appended the way the product appends them, and an attacker with direct
 * access to the database (its own connection, not the application's client), who first removes the append-only
 * triggers as anyone able to tamper with the rows could.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { appendAudit, type TAuditRecord } from '../../activities/audit';
import { pgPoolConfig, type Db } from '../../db/client';
import type { TTestDb } from '../helpers/db';

export interface TAttacker {
  /** Runs statements on its own connection, the append-only triggers removed first (unless kept). */
  run(...sql: string[]): Promise<void>;
}

export function attackerOf(t: TTestDb, options: { keepTriggers?: boolean } = {}): TAttacker {
  if (t.url.startsWith('file:')) {
    return {
      async run(...sql) {
        const raw = new Database(t.url.slice('file:'.length));
        try {
          if (!options.keepTriggers) {
            raw.exec('DROP TRIGGER IF EXISTS "AuditEvent_no_update"; DROP TRIGGER IF EXISTS "AuditEvent_no_delete";');
          }
          for (const s of sql) raw.exec(s);
        } finally {
          raw.close();
        }
      },
    };
  }
  return {
    async run(...sql) {
      const client = new pg.Client({ connectionString: pgPoolConfig(t.url).connectionString });
      await client.connect();
      try {
        if (!options.keepTriggers)
          await client.query('DROP TRIGGER IF EXISTS "AuditEvent_append_only" ON "AuditEvent"');
        for (const s of sql) await client.query(s);
      } finally {
        await client.end();
      }
    },
  };
}

/** SQL text literal. */
export const lit = (value: string): string => `'${value.replace(/'/g, "''")}'`;

export const TASKS = ['task-a', 'task-b', 'task-c'];

/** The i-th record of a small trail: three tasks interleaved, and every fifth record without a task. */
export function recordOf(i: number, at = new Date(Date.UTC(2026, 0, 1, 8, 0, i))): TAuditRecord {
  const taskId = i % 5 === 4 ? null : TASKS[i % TASKS.length]!;
  return {
    idempotencyKey: `test:${String(i).padStart(4, '0')}`,
    taskId,
    campaignId: 'campaign-1',
    actorId: `user-${i % 4}`,
    actorRole: 'office',
    action: taskId ? 'ReportSubmitted' : 'CampaignCreated',
    fromStatus: taskId ? 'IN_PROGRESS' : null,
    toStatus: taskId ? 'REPORTED' : null,
    detail: { i, text: `第${i}次进展：已建立整改台账`, nested: { z: [1, 2, { b: true, a: null }], a: 'x' } },
    at,
  };
}

/** Appends records 1..n, one transaction each (as each projection or API write is). */
export async function appendMany(db: Db, n: number, from = 1): Promise<void> {
  for (let i = from; i < from + n; i++) {
    await db.$transaction((tx) => appendAudit(tx, recordOf(i)));
  }
}

/** A record written before the chain existed: a plain insert, no chain columns. */
export async function writeLegacy(db: Db, i: number): Promise<void> {
  const r = recordOf(i, new Date(Date.UTC(2025, 5, 1, 0, 0, i)));
  await db.auditEvent.create({
    data: { ...r, idempotencyKey: `legacy:${i}`, detail: r.detail as object },
  });
}
