import Database from 'better-sqlite3';
import type { Run } from './engine/shared';
import { HistoryEventType, encodeMessage } from './proto';
import type { RunState } from './types';

/**
 * One run read at start: its state, its event count and its encoded last event. Its history stays in the `events`
 * table until something asks for it (an open run's next workflow task reads the events it needs).
 */
export type LoadedRun = { state: RunState; stored: { count: number; last: Buffer | undefined } };

export interface LoadedState {
  clockMs: number;
  runs: LoadedRun[];
  current: Array<{ namespace: string; workflowId: string; runId: string }>;
}

/** JSON with byte arrays (payload data) kept as base64. */
function toJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const orig = this[key];
    if (ArrayBuffer.isView(orig)) {
      const bytes = Buffer.from(orig.buffer, orig.byteOffset, orig.byteLength);
      return { $b: bytes.toString('base64') };
    }
    return v;
  });
}

function fromJson<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && typeof (v as { $b?: unknown }).$b === 'string') {
      return Buffer.from((v as { $b: string }).$b, 'base64');
    }
    return v;
  }) as T;
}

/**
 * SQLite persistence (better-sqlite3, WAL). Each engine operation ends with one transaction that writes the
 * changed runs' state snapshots and their new history events, so a crash loses nothing that was acknowledged.
 */
export class Store {
  private readonly db: Database.Database;
  private readonly upsertRun: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private readonly upsertCurrent: Database.Statement;
  private readonly upsertMeta: Database.Statement;
  private readonly selectEvents: Database.Statement;
  private readonly selectLastEvent: Database.Statement;
  private readonly saveTx: (runs: Run[], current: Map<string, string>, nowMs: number) => void;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL keeps WAL commits durable against process crashes (kill -9); only an OS crash could lose the tail.
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS runs (
        run_id TEXT PRIMARY KEY, namespace TEXT NOT NULL, workflow_id TEXT NOT NULL,
        status INTEGER NOT NULL, state TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS events (
        run_id TEXT NOT NULL, event_id INTEGER NOT NULL, data BLOB NOT NULL,
        PRIMARY KEY (run_id, event_id)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS current_runs (
        namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL,
        PRIMARY KEY (namespace, workflow_id)) WITHOUT ROWID;
    `);
    this.upsertRun = this.db.prepare(
      'INSERT OR REPLACE INTO runs (run_id, namespace, workflow_id, status, state) VALUES (?, ?, ?, ?, ?)',
    );
    this.insertEvent = this.db.prepare('INSERT OR REPLACE INTO events (run_id, event_id, data) VALUES (?, ?, ?)');
    this.upsertCurrent = this.db.prepare(
      'INSERT OR REPLACE INTO current_runs (namespace, workflow_id, run_id) VALUES (?, ?, ?)',
    );
    this.upsertMeta = this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    this.selectEvents = this.db
      .prepare('SELECT data FROM events WHERE run_id = ? AND event_id > ? AND event_id <= ? ORDER BY event_id')
      .pluck();
    this.selectLastEvent = this.db.prepare(
      'SELECT event_id, data FROM events WHERE run_id = ? ORDER BY event_id DESC LIMIT 1',
    );
    this.saveTx = this.db.transaction((runs: Run[], current: Map<string, string>, nowMs: number) => {
      for (const run of runs) {
        const s = run.s;
        this.upsertRun.run(s.runId, s.namespace, s.workflowId, s.status, toJson(s));
        // Events not yet persisted are always held in memory (only persisted ones leave it).
        const fresh = run.slice(run.persistedEvents);
        for (let i = 0; i < fresh.length; i++) {
          this.insertEvent.run(s.runId, run.persistedEvents + i + 1, encodeMessage(HistoryEventType, fresh[i]));
        }
        const cur = current.get(`${s.namespace}\u0000${s.workflowId}`);
        if (cur) this.upsertCurrent.run(s.namespace, s.workflowId, cur);
      }
      this.upsertMeta.run('clock', String(nowMs));
    });
  }

  save(runs: Run[], current: Map<string, string>, nowMs: number): void {
    this.saveTx(runs, current, nowMs);
    for (const run of runs) run.persistedEvents = run.size();
  }

  deleteRun(runId: string, namespace: string, workflowId: string): void {
    this.db.prepare('DELETE FROM runs WHERE run_id = ?').run(runId);
    this.db.prepare('DELETE FROM events WHERE run_id = ?').run(runId);
    this.db
      .prepare('DELETE FROM current_runs WHERE namespace = ? AND workflow_id = ? AND run_id = ?')
      .run(namespace, workflowId, runId);
  }

  /** Events [from, to) of a run by 0-based index (event id i + 1 is index i), encoded, in event order. */
  loadEventRange(runId: string, from: number, to: number): Buffer[] {
    return this.selectEvents.all(runId, from, to) as Buffer[];
  }

  loadAll(): LoadedState {
    const clockRow = this.db.prepare("SELECT value FROM meta WHERE key = 'clock'").get() as
      { value: string } | undefined;
    const runs: LoadedState['runs'] = [];
    // all(), not iterate(): the last-event lookup below cannot run while an iterator holds the connection.
    for (const row of this.db.prepare('SELECT run_id, status, state FROM runs').all() as Array<{
      run_id: string;
      status: number;
      state: string;
    }>) {
      const state = fromJson<RunState>(row.state);
      // Event ids are 1..n without gaps (event i + 1 is written from history[i]), so the last id is the count.
      const last = this.selectLastEvent.get(row.run_id) as { event_id: number; data: Buffer } | undefined;
      runs.push({ state, stored: { count: last?.event_id ?? 0, last: last?.data } });
    }
    const current = (
      this.db.prepare('SELECT namespace, workflow_id, run_id FROM current_runs').all() as Array<{
        namespace: string;
        workflow_id: string;
        run_id: string;
      }>
    ).map((r) => ({ namespace: r.namespace, workflowId: r.workflow_id, runId: r.run_id }));
    return { clockMs: clockRow ? Number(clockRow.value) : 0, runs, current };
  }

  close(): void {
    this.db.close();
  }
}
