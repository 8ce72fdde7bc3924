/**
 * A campaign's policy: every deadline, cadence and escalation rule of the lifecycle is data here, not code.
 * Every field has a default, so `ZCampaignPolicy.parse({})` is the default policy and a stored policy only needs
 * the fields a campaign changes.
 */
import { z } from 'zod';

export const ROLES = ['unit_staff', 'unit_head', 'office', 'leader', 'supervisor', 'admin'] as const;
export const ZRole = z.enum(ROLES);
export type TRole = z.infer<typeof ZRole>;

/** Whose member signs at a level: the task's lead unit, its office, its lead leader, or the higher level's office. */
export const ZSignOffScope = z.enum(['lead_unit', 'office', 'leader', 'parent_office']);
export type TSignOffScope = z.infer<typeof ZSignOffScope>;

export const ZSignOffLevel = z.object({
  name: z.string().min(1),
  role: ZRole,
  scope: ZSignOffScope,
});
export type TSignOffLevel = z.infer<typeof ZSignOffLevel>;

/** The escalation ladder of seed 004: 催办 → 督办 → 通报约谈 → 曝光监督 → 挂牌督办 → 追责问责. */
export const ESCALATION_STEPS = [
  'reminder',
  'supervision_notice',
  'interview',
  'exposure',
  'listed_supervision',
  'accountability',
] as const;
export const ZEscalationStepName = z.enum(ESCALATION_STEPS);
export type TEscalationStepName = z.infer<typeof ZEscalationStepName>;

export const ZEscalationStep = z.object({
  step: ZEscalationStepName,
  // Bounded: a step ten years after the deadline is no step, and a huge one ran the calendar past its range.
  afterDaysOverdue: z.number().int().min(0).max(3650),
  notify: z.array(ZRole).min(1),
});
export type TEscalationStep = z.infer<typeof ZEscalationStep>;

export const DEFAULT_SIGN_OFF_LEVELS: TSignOffLevel[] = [
  { name: '责任单位负责人', role: 'unit_head', scope: 'lead_unit' },
  { name: '整改办', role: 'office', scope: 'office' },
  { name: '牵头领导', role: 'leader', scope: 'leader' },
];

/**
 * Default ladder: the office gets a supervision notice (and the lead leader is told) the day the deadline passes;
 * a month late brings an interview, then public exposure, listed supervision at two months and accountability
 * (the discipline inspection group) at three: the seed's ladder with roughly monthly steps.
 */
export const DEFAULT_ESCALATION_LADDER: TEscalationStep[] = [
  { step: 'supervision_notice', afterDaysOverdue: 0, notify: ['office', 'leader'] },
  { step: 'interview', afterDaysOverdue: 30, notify: ['office', 'leader', 'unit_head'] },
  { step: 'exposure', afterDaysOverdue: 45, notify: ['office', 'leader', 'unit_head'] },
  { step: 'listed_supervision', afterDaysOverdue: 60, notify: ['office', 'leader', 'supervisor'] },
  { step: 'accountability', afterDaysOverdue: 90, notify: ['office', 'leader', 'supervisor'] },
];

export const DUE_DAY_RULES = ['next_workday', 'previous_workday', 'as_is'] as const;
export const ZDueDayRule = z.enum(DUE_DAY_RULES);
export type TDueDayRuleName = z.infer<typeof ZDueDayRule>;

/** Working days before the deadline of the 绿, 黄 and 红 warning letters. */
export const DEFAULT_DEADLINE_WARNINGS = [20, 10, 3] as const;

export const ZCampaignPolicy = z.object({
  /** Monthly reports are due by the end of this day of the month (seed 000: 每月25日前); clamped to short months. */
  reportDueDay: z.number().int().min(1).max(31).default(25),
  /**
   * A due day that is not a working day (a weekend, a public holiday) moves to the next working day by default
   * (the rule offices apply: 遇节假日顺延); 'previous_workday' brings it forward instead, 'as_is' keeps it.
   */
  dueDayRule: ZDueDayRule.default('next_workday'),
  /**
   * The 绿/黄/红 warning letters before the task's own deadline: this many working days before it, largest first
   * (three by default: 20, 10 and 3 working days), to the lead unit's staff and head.
   */
  deadlineWarnings: z
    .array(z.number().int().min(1).max(250))
    .max(5)
    .default(() => [...DEFAULT_DEADLINE_WARNINGS]),
  /** The reminder goes out this many days before a report is due. */
  reminderDaysBefore: z.number().int().min(0).max(27).default(3),
  /** Every date in the lifecycle is a Shanghai calendar date; China has had no DST since 1991, so a fixed offset. */
  timezone: z.literal('Asia/Shanghai').default('Asia/Shanghai'),
  utcOffsetMinutes: z.literal(480).default(480),
  signOffLevels: z
    .array(ZSignOffLevel)
    .min(1)
    .default(() => DEFAULT_SIGN_OFF_LEVELS.map((level) => ({ ...level }))),
  /** 立行立改: "fix at once" is days in practice; this many days after assignment. */
  immediateDays: z.number().int().min(1).max(365).default(15),
  /** A LONG_TERM task keeps reporting, less often: every this many months. */
  longTermCadenceMonths: z.number().int().min(1).max(24).default(6),
  /** 回头看: the office re-checks a closed task this many months after closure. */
  lookBackDelayMonths: z.number().int().min(1).max(60).default(6),
  /**
   * Each sign-off level should act within this many working days of the application reaching it; past that, the
   * workflow reminds the signer once (a week fits the office's weekly review rhythm without stalling a close-out
   * for a month). Counted in working days from patch 'workday-calendar' on (calendar days before it).
   */
  signOffDaysPerLevel: z.number().int().min(1).max(60).default(7),
  /** A deadline this close turns the traffic light yellow. */
  warningWindowDays: z.number().int().min(0).max(365).default(14),
  escalationLadder: z
    .array(ZEscalationStep)
    .default(() => DEFAULT_ESCALATION_LADDER.map((step) => ({ ...step, notify: [...step.notify] }))),
  /** Who approves a deadline extension, in order (the office, then the lead leader). */
  extensionApprovers: z
    .array(z.enum(['office', 'leader']))
    .min(1)
    .default((): ('office' | 'leader')[] => ['office', 'leader']),
});
export type TCampaignPolicy = z.infer<typeof ZCampaignPolicy>;
export type TCampaignPolicyInput = z.input<typeof ZCampaignPolicy>;

export function defaultPolicy(): TCampaignPolicy {
  return ZCampaignPolicy.parse({});
}
