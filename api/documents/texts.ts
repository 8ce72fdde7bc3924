/**
 * The words of 督办 documents: each ladder step's document kind and what it requires of the recipient unit. Kept in
 * one place, beside the builder (supervisionDocx.ts), and shared with the task view (the notice's `title`).
 */
import type { TEscalationStepName } from '../../domain/policy';

/** Each step's document: 催办单, 督办通知书, 约谈通知, 通报, 挂牌督办通知, 问责建议. */
export const STEP_DOCUMENT_TITLES: Record<TEscalationStepName, string> = {
  reminder: '催办单',
  supervision_notice: '督办通知书',
  interview: '约谈通知',
  exposure: '通报曝光通知',
  listed_supervision: '挂牌督办通知',
  accountability: '问责建议',
};

/** What the step requires of the recipient unit, before the common "answer by" sentence. */
export const STEP_REQUIREMENTS: Record<TEscalationStepName, string> = {
  reminder: '请你单位高度重视，加快推进整改工作，确保按期完成整改任务。',
  supervision_notice:
    '现予督办。请你单位主要负责同志亲自过问，认真查找未按期完成的原因，明确整改措施、责任人和完成时限，切实抓好整改落实。',
  interview:
    '经研究，决定对你单位主要负责同志进行约谈。请做好准备，按通知的时间和地点参加约谈，并书面说明整改滞后的原因。',
  exposure: '经研究，对该问题整改滞后的情况予以通报曝光。请你单位深刻反思，举一反三，立即整改到位。',
  listed_supervision:
    '经研究，决定对该问题实行挂牌督办，整改完成并经验收销号后方可摘牌。请你单位制定专项整改方案，每半月报告一次整改进展。',
  accountability:
    '该问题整改严重滞后，建议依规依纪依法对相关责任单位和责任人员追责问责。请你单位说明情况并提出处理意见。',
};

/** 中文数字 for dates in the 成文日期 (GB/T 9704: 二〇二六年十二月一日). */
const DIGITS = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

function smallNumber(n: number): string {
  if (n < 10) return DIGITS[n]!;
  if (n === 10) return '十';
  if (n < 20) return `十${DIGITS[n % 10]}`;
  return `${DIGITS[Math.floor(n / 10)]}十${n % 10 === 0 ? '' : DIGITS[n % 10]}`;
}

/** A Shanghai calendar date 'YYYY-MM-DD' written as in a 成文日期: 二〇二六年十二月一日. */
export function chineseDocumentDate(date: string): string {
  const [y, m, d] = date.split('-');
  const year = [...y!].map((c) => DIGITS[Number(c)]).join('');
  return `${year}年${smallNumber(Number(m))}月${smallNumber(Number(d))}日`;
}

/** A date in running text: 2026年12月1日. */
export function plainDate(date: string): string {
  const [y, m, d] = date.split('-');
  return `${Number(y)}年${Number(m)}月${Number(d)}日`;
}
