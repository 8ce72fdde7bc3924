/**
 * Shapes of the answers of the directory, import, ledger/notice, calendar, delivery and 督办 routes (issues 12 and
 * 13). Only the fields the screens read; optional where the contract leaves a field to the server.
 */

export type TUnitLevel = 'province' | 'city' | 'county' | 'department';
export type TUnitKind = 'government' | 'office' | 'department' | 'leading_group' | 'discipline';

export interface TUnitNode {
  id: string;
  name: string;
  level: string;
  kind: string;
  parentId: string | null;
  aliases?: string[] | null;
  children?: TUnitNode[];
}

export interface TUnitsAnswer {
  items: TUnitNode[];
  tree?: TUnitNode[];
}

export interface TAdminUser {
  id: string;
  name: string;
  role: string;
  unitId: string | null;
  username?: string | null;
  email?: string | null;
  phone?: string | null;
  active?: boolean;
}

export interface TUserCreated {
  id: string;
  /** A one-time initial password for the admin to hand over (shown once). */
  initialPassword?: string;
  password?: string;
}

/** One piece of work waiting on a deactivated person. */
export interface TWaitingItem {
  taskId?: string;
  action?: string;
  kind?: string;
  measure?: string;
  problemTitle?: string;
  title?: string;
  period?: string | null;
  level?: number | null;
}

export interface TUnitGroup {
  id: string;
  name: string;
  aliases?: string[] | null;
  memberUnitIds?: string[];
  builtIn?: boolean;
}

/** A problem found in a cell: a sentence, or the sentence with the cell (E7) and the field it belongs to. */
export type TCellIssue = string | { cell?: string; field?: string; column?: string; message: string };

export interface TImportRow {
  row: number;
  category?: string | null;
  problem?: string | null;
  measure?: string | null;
  leadUnitId?: string | null;
  participatingUnitIds?: string[];
  leaderText?: string | null;
  deadlineText?: string | null;
  deadline?: { kind: string; date?: string } | null;
  errors: TCellIssue[];
  warnings: TCellIssue[];
}

export interface TImportSummary {
  categories?: number;
  problems?: number;
  tasks?: number;
  errors?: number;
  warnings?: number;
  [key: string]: number | undefined;
}

export interface TImportPreview {
  id: string;
  status: string;
  summary: TImportSummary;
  rows: TImportRow[];
  /** When the server says so, the import may go ahead although some rows carry errors (they are left out). */
  canCommit?: boolean;
}

export interface TImportProgress {
  id?: string;
  status: string;
  total: number;
  rowsWritten: number;
  workflowsStarted: number;
  error?: string | null;
}

export interface TNoticeItem {
  id: string;
  asOf: string;
  title: string;
  createdAt?: string;
  createdByName?: string | null;
}

export interface TGroupStats {
  key: string;
  name: string;
  problems: number;
  measures: number;
  completed: number;
  inProgress: number;
  longTerm: number;
  overdue: number;
  red: number;
  completionRate: number;
}

export interface TStatsBy {
  by?: string;
  groups?: TGroupStats[];
  items?: TGroupStats[];
  totals?: Partial<TGroupStats>;
  definitions?: Record<string, string>;
}

export interface TCalendarDay {
  date: string;
  workday: boolean;
  name?: string | null;
  source: 'package' | 'override' | 'weekday' | string;
}

export type TCoverageWarning = string | { year?: number; message: string };

export interface TCalendarAnswer {
  days: TCalendarDay[];
  coverage?: {
    officialYears?: { from: number; to: number };
    packageVersion?: string;
    years?: { year: number; data: string; overrides: number }[];
    warnings?: TCoverageWarning[];
  };
}

export interface TChannelPreferences {
  channels: string[];
  digest: boolean;
  /** The channels this installation can deliver now (a chosen one outside them waits for its configuration). */
  available?: string[];
  digestHour?: number;
}

export interface TOutboxMessage {
  id: string;
  channel: string;
  status: string;
  attempts: number;
  lastError?: string | null;
  createdAt: string;
  nextAttemptAt?: string | null;
  claimedAt?: string | null;
  /** Who it is for and what it says, as the server chooses to show it. */
  recipient?: string | null;
  title?: string | null;
  payload?: unknown;
}

/** One 督办 document on the task view (the fields issue 13 adds). */
export interface TSupervisionView {
  id?: string;
  kind: string;
  step: string | null;
  reason: string | null;
  period: string | null;
  issuedAt: string;
  documentNo?: string | null;
  signedAt?: string | null;
  feedback?: string | null;
  feedbackAt?: string | null;
  answerDueAt?: string | null;
  documentUrl?: string | null;
  /** The document's kind in words (催办单, 督办通知书, …). */
  title?: string;
  issuingUnitName?: string | null;
  issuedByName?: string | null;
  recipientUnitName?: string | null;
  signedByName?: string | null;
  feedbackByName?: string | null;
  /** No answer yet and its due instant has passed. */
  answerOverdue?: boolean;
}
