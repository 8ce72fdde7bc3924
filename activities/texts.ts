/**
 * Every notification text, in Chinese, in one place. Pure functions: the projection and the notify activity look
 * the names up (the task's problem title, the lead unit's name) and pass them in. Each text names the task, the lead
 * unit and the dates or period concerned, and ends with the task's link path so that a message read outside the
 * application (the outbox's other channels) still leads to it.
 */
import { addDaysToInstant, dateOf } from '../domain/calendar';
import type { TEscalationStepName } from '../domain/policy';
import type { LightReason } from '../domain/trafficLight';

/** What every text names. */
export interface TTextSubject {
  taskId: string;
  /** The problem title (or the measure when there is none), as stored; shortened here. */
  title: string;
  /** The lead unit's name. */
  unitName: string;
}

export interface TText {
  title: string;
  body: string;
  /** The task's page in the web application. */
  link: string;
}

const SUBJECT_MAX = 30;

export const ESCALATION_STEP_NAMES: Record<TEscalationStepName, string> = {
  reminder: '催办',
  supervision_notice: '督办通知',
  interview: '约谈',
  exposure: '通报曝光',
  listed_supervision: '挂牌督办',
  accountability: '问责',
};

export function taskLink(taskId: string): string {
  return `/tasks/${taskId}`;
}

/** Long problem titles are cut (by characters, not UTF-16 units) so a title line stays readable. */
export function shorten(text: string, max = SUBJECT_MAX): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}

/** '2026-11' → '2026年11月'. */
export function periodText(period: string): string {
  const [y, m] = period.split('-');
  return `${y}年${Number(m)}月`;
}

/** '2026-11-25' → '2026年11月25日'. */
export function dateText(date: string): string {
  const [y, m, d] = date.split('-');
  return `${y}年${Number(m)}月${Number(d)}日`;
}

/** An instant as its Shanghai date. */
export function instantDateText(instant: string): string {
  return dateText(dateOf(instant));
}

/** A due instant is exclusive (the next day's 00:00 in Shanghai): the last day it covers is the day before. */
export function dueDateText(dueInstant: string): string {
  return dateText(dateOf(addDaysToInstant(dueInstant, -1)));
}

function text(s: TTextSubject, title: string, body: string): TText {
  const link = taskLink(s.taskId);
  return { title, body: `${body}查看：${link}`, link };
}

const q = (s: TTextSubject) => `“${shorten(s.title)}”`;

/** Free text placed before a full stop: its own final full stop dropped, so none is doubled. */
function clause(free: string): string {
  return free.trim().replace(/[。．.]+$/, '');
}

export function reportSubmittedText(s: TTextSubject, e: { period: string; late: boolean }): TText {
  const p = periodText(e.period);
  return text(
    s,
    `【待审核】${s.unitName} ${p} 整改进展`,
    `${s.unitName}报送了${q(s)}${p}的整改进展${e.late ? '（逾期报送）' : ''}，请审核。`,
  );
}

export function reportReturnedText(s: TTextSubject, e: { period: string; reason: string }): TText {
  const p = periodText(e.period);
  return text(
    s,
    `【已退回】${s.unitName} ${p} 整改进展`,
    `${s.unitName}报送的${q(s)}${p}整改进展被退回，退回理由：${clause(e.reason)}。请修改后重新报送。`,
  );
}

export function reportOverdueText(s: TTextSubject, e: { period: string; dueAt: string }): TText {
  const p = periodText(e.period);
  return text(
    s,
    `【逾期未报】${s.unitName} ${p} 整改进展`,
    `${s.unitName}未在${dueDateText(e.dueAt)}前报送${q(s)}${p}的整改进展，已逾期，请尽快报送。`,
  );
}

/** The reason for a report-overdue supervision notice (stored with the notice). */
export function reportOverdueReason(e: { period: string; dueAt: string }): string {
  return `${periodText(e.period)}整改进展未在${dueDateText(e.dueAt)}前报送`;
}

export function closureRequestedText(s: TTextSubject, e: { summary: string }): TText {
  return text(
    s,
    `【待签批】${s.unitName}${q(s)}销号申请`,
    `${s.unitName}申请${q(s)}销号，请签批。销号说明：${clause(shorten(e.summary, 200))}。`,
  );
}

export function signOffNextText(s: TTextSubject, e: { levelName: string }): TText {
  return text(
    s,
    `【待签批】${s.unitName}${q(s)}销号申请`,
    `${e.levelName}已同意${s.unitName}${q(s)}的销号申请，请您签批。`,
  );
}

export function closureReturnedText(s: TTextSubject, e: { levelName: string; reason: string }): TText {
  return text(
    s,
    `【销号退回】${s.unitName}${q(s)}`,
    `${e.levelName}退回了${s.unitName}${q(s)}的销号申请，退回理由：${clause(e.reason)}。请补充完善后重新申请。`,
  );
}

export function extensionRequestedText(
  s: TTextSubject,
  e: { fromDate: string; toDate: string; reason: string },
): TText {
  return text(
    s,
    `【延期申请】${s.unitName}${q(s)}`,
    `${s.unitName}申请将${q(s)}的完成时限由${dateText(e.fromDate)}延至${dateText(e.toDate)}，理由：${clause(e.reason)}。请审批。`,
  );
}

export function deadlinePassedText(s: TTextSubject, e: { deadlineDate: string }): TText {
  return text(
    s,
    `【已逾期】${s.unitName}${q(s)}`,
    `${s.unitName}负责的${q(s)}已超过完成时限${dateText(e.deadlineDate)}，尚未销号。`,
  );
}

export function escalationText(
  s: TTextSubject,
  e: { step: TEscalationStepName; daysOverdue: number; deadlineDate: string },
): TText {
  const step = ESCALATION_STEP_NAMES[e.step];
  return text(
    s,
    `【${step}】${s.unitName}${q(s)}`,
    `${s.unitName}负责的${q(s)}已超过完成时限（${dateText(e.deadlineDate)}）${e.daysOverdue}天，现予${step}。`,
  );
}

/** The reason for an escalation notice (stored with the notice). */
export function escalationReason(e: { step: TEscalationStepName; daysOverdue: number; deadlineDate: string }): string {
  return `超过完成时限（${dateText(e.deadlineDate)}）${e.daysOverdue}天：${ESCALATION_STEP_NAMES[e.step]}`;
}

export function lookBackDueText(s: TTextSubject, e: { closedAt: string }): TText {
  return text(
    s,
    `【回头看】${s.unitName}${q(s)}`,
    `${s.unitName}的${q(s)}已于${instantDateText(e.closedAt)}销号，请开展回头看，核实整改成效。`,
  );
}

export function taskReopenedText(s: TTextSubject, e: { reason: string }): TText {
  return text(
    s,
    `【重新整改】${s.unitName}${q(s)}`,
    `回头看发现${q(s)}问题反弹，已重新打开，请${s.unitName}重新整改。理由：${clause(e.reason)}。`,
  );
}

export function urgeText(s: TTextSubject, e: { message: string; byRole?: string }): TText {
  const by = e.byRole === 'supervisor' ? '纪检监督' : '整改办';
  return text(s, `【催办】${s.unitName}${q(s)}`, `${by}催办${s.unitName}${q(s)}：${clause(e.message)}。`);
}

export function reportReminderText(s: TTextSubject, e: { period: string; dueAt: string }): TText {
  const p = periodText(e.period);
  return text(
    s,
    `【报送提醒】${s.unitName} ${p} 整改进展`,
    `请${s.unitName}于${dueDateText(e.dueAt)}前报送${q(s)}${p}的整改进展。`,
  );
}

/** Why a light changed, as the timeline and the red-light notice say it. */
export const LIGHT_REASON_TEXTS: Record<LightReason, string> = {
  overdue: '已超过整改期限',
  listed_supervision: '已挂牌督办',
  deadline_near: '临近整改期限',
  report_late: '整改进展逾期未报',
  on_track: '按期推进',
  closed: '已销号',
  report_filed: '已报送整改进展',
  extension_approved: '延期申请已批准',
  reassigned: '已改派责任单位',
  reopened: '回头看后重新整改',
};

export function lightRedText(s: TTextSubject, e: { reason: LightReason }): TText {
  return text(
    s,
    `【红灯】${s.unitName}${q(s)}`,
    `${s.unitName}${q(s)}亮红灯：${LIGHT_REASON_TEXTS[e.reason]}。请整改办督促、责任单位立即整改。`,
  );
}

const LETTER_NAMES = { green: '绿', yellow: '黄', red: '红' } as const;

/** The 绿/黄/红 warning letter before the task's own deadline. */
export function deadlineWarningText(
  s: TTextSubject,
  e: { letter: 'green' | 'yellow' | 'red'; workdays: number; deadlineDate: string },
): TText {
  const letter = LETTER_NAMES[e.letter];
  return text(
    s,
    `【${letter}色预警】${s.unitName}${q(s)}距整改期限还有${e.workdays}个工作日`,
    `${q(s)}的整改期限为${dateText(e.deadlineDate)}，距今还有${e.workdays}个工作日。请${s.unitName}抓紧推进，按期完成整改。`,
  );
}

/** To a signer whose level has waited the policy's working days. */
export function signOffReminderText(s: TTextSubject, e: { workdays: number; level: number }): TText {
  return text(
    s,
    `【签批提醒】${s.unitName}${q(s)}销号申请待签批`,
    `${s.unitName}${q(s)}的销号申请已在第${e.level}级等待签批${e.workdays}个工作日，请尽快签批。`,
  );
}

/** To the office, once per year, when a lifecycle date falls in a year without official calendar data. */
export function calendarNoDataText(e: { year: number; officialTo: number }): { title: string; body: string } {
  return {
    title: `【工作日历】${e.year}年节假日安排尚无数据`,
    body:
      `有整改任务的日期落在${e.year}年，而内置节假日数据只到${e.officialTo}年：该年暂按周一至周五为工作日计算。` +
      `请系统管理员在国务院办公厅公布安排后录入节假日调整（系统管理 → 工作日历）。`,
  };
}

/**
 * Texts the workflow asks for by kind (it has no database): the notify activity renders them with the names it
 * looks up. Plain data, so it travels in the activity's input.
 */
export type TTextRequest =
  | { kind: 'urge'; message: string; byRole?: string }
  | { kind: 'report_reminder'; period: string; dueAt: string }
  | { kind: 'deadline_warning'; letter: 'green' | 'yellow' | 'red'; workdays: number; deadlineDate: string }
  | { kind: 'sign_off_reminder'; level: number; workdays: number };

export function renderRequested(s: TTextSubject, request: TTextRequest): TText {
  switch (request.kind) {
    case 'urge':
      return urgeText(s, request);
    case 'report_reminder':
      return reportReminderText(s, request);
    case 'deadline_warning':
      return deadlineWarningText(s, request);
    case 'sign_off_reminder':
      return signOffReminderText(s, request);
  }
}
