/** Shapes of the API's answers (contract: /api routes of issue 9). Only the fields the screens read. */

export type TRole = 'unit_staff' | 'unit_head' | 'office' | 'leader' | 'supervisor' | 'admin';
export type TLight = 'green' | 'yellow' | 'red';

export interface TDeadlineView {
  kind: string;
  date?: string;
}

export interface TTaskRow {
  id: string;
  campaignId: string;
  campaignName?: string;
  problemId: string;
  problemTitle?: string;
  category?: string;
  parentTaskId: string | null;
  measure: string;
  leadUnitId: string;
  leadUnitName?: string;
  leaderId: string;
  leaderName?: string;
  status: string;
  overdue: boolean;
  deadline: TDeadlineView;
  deadlineText?: string;
  trafficLight: TLight;
  reopenCount: number;
  updatedAt?: string;
}

export interface TPage<T> {
  items: T[];
  total: number;
  /** false when more than `total` match (the task list counts up to 10,000). */
  totalExact?: boolean;
  page: number;
  pageSize: number;
}

export interface TEvidence {
  id: string;
  fileId?: string | null;
  fileName: string;
  sha256: string;
  sizeBytes: number;
  mimeType: string | null;
  url: string | null;
  downloadUrl?: string | null;
}

export interface TReview {
  decision: string;
  reason: string | null;
  reviewerId: string;
  decidedAt: string;
}

export interface TReport {
  id: string;
  period: string;
  round: number;
  version: number;
  status: string;
  late: boolean;
  progress: string;
  problems?: string | null;
  nextPlan?: string | null;
  submittedById: string;
  submittedAt: string;
  reviews: TReview[];
  evidence: TEvidence[];
}

export interface TAuditEntry {
  action: string;
  actorId: string | null;
  actorRole: string | null;
  onBehalfOfId: string | null;
  fromStatus: string | null;
  toStatus: string | null;
  at: string;
  detail: unknown;
}

export interface TAllowedAction {
  action: string;
  periods?: string[];
  /** delegate: who could stand in for the caller (the server applies the rule). */
  candidates?: { id: string; name: string }[];
}

export interface TTaskDetail extends TTaskRow {
  campaign: { id: string; name: string };
  problem: { id: string; title: string; category: string; detail: string | null };
  target: string | null;
  participatingUnitIds: string[];
  round: number;
  createdAt: string;
  closedAt: string | null;
  currentSignOff: { level: number; name: string; role: string; unitId: string | null; userId: string | null } | null;
  reports: TReport[];
  closeoutApplications: {
    id: string;
    round: number;
    summary: string;
    status: string;
    appliedById: string;
    appliedAt: string;
    evidence: TEvidence[];
  }[];
  signOffs: {
    applicationId: string;
    level: number;
    levelName: string;
    decision: string;
    reason: string | null;
    signerId: string;
    onBehalfOfId: string | null;
    decidedAt: string;
  }[];
  extensions: {
    id: string;
    oldDate: string | null;
    newDate: string;
    reason: string;
    status: string;
    requestedById: string;
    requestedAt: string;
  }[];
  supervisionNotices: {
    kind: string;
    step: string | null;
    reason: string | null;
    period: string | null;
    issuedAt: string;
  }[];
  children: TTaskRow[];
  audit: TAuditEntry[];
  /** Urges and report reminders sent about the task (no state change, so not in `audit`), once each. */
  messages?: { kind: string; title: string; body: string; at: string }[];
  names?: { users: Record<string, string>; units: Record<string, string> };
  allowedActions?: TAllowedAction[];
}

export interface TInboxItem {
  taskId: string;
  measure: string;
  status: string;
  action: string;
  period?: string;
  dueAt?: string;
  level?: number;
  levelName?: string;
  problemTitle?: string;
  leadUnitName?: string;
  deadline?: TDeadlineView;
}

export interface TNotification {
  id: string;
  taskId: string | null;
  kind: string;
  title: string;
  body: string;
  createdAt: string;
  readAt?: string | null;
}

/** A 督办 notice addressed to the caller's unit, not yet signed for (签收) or answered (反馈). */
export interface TSupervisionInboxItem {
  noticeId: string;
  taskId: string;
  action: 'sign_supervision' | 'answer_supervision';
  step: string;
  title: string;
  documentNo: string | null;
  issuedAt: string;
  answerDueAt: string | null;
  answerOverdue: boolean;
  measure: string;
  problemTitle: string;
}

export interface TInbox {
  reportsDue: TInboxItem[];
  reviews: TInboxItem[];
  signOffs: TInboxItem[];
  other: TInboxItem[];
  /** Absent from a server older than the 督办 group. */
  supervision?: TSupervisionInboxItem[];
  notifications: TNotification[];
  /** Set when a group held more than the server lists at once (200). */
  truncated?: boolean;
}

export interface TCampaign {
  id: string;
  name: string;
  kind: string;
}

export interface TUnit {
  id: string;
  name: string;
  level?: number | string;
  kind?: string;
  parentId?: string | null;
}

export interface TUserItem {
  id: string;
  name: string;
  role: string;
  unitId: string | null;
}

export interface TStats {
  campaignId: string;
  total: number;
  byStatus: Record<string, number>;
  byTrafficLight: { green: number; yellow: number; red: number };
  overdue: number;
  completed: number;
  completionRate: number;
  byUnit?: {
    unitId: string;
    unitName: string;
    total: number;
    completed: number;
    overdue: number;
    red: number;
    yellow: number;
    green: number;
  }[];
  overdueTasks?: TTaskRow[];
}

export interface TOpinion {
  id: string;
  text: string;
}
