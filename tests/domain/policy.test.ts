import { ZCampaignPolicy, defaultPolicy } from '../../domain/policy';

describe('campaign policy', () => {
  it('defaults every field', () => {
    const policy = defaultPolicy();
    expect(policy).toMatchObject({
      reportDueDay: 25,
      reminderDaysBefore: 3,
      timezone: 'Asia/Shanghai',
      utcOffsetMinutes: 480,
      immediateDays: 15,
      longTermCadenceMonths: 6,
      lookBackDelayMonths: 6,
      warningWindowDays: 14,
      extensionApprovers: ['office', 'leader'],
    });
    expect(policy.signOffLevels.map((l) => [l.role, l.scope])).toEqual([
      ['unit_head', 'lead_unit'],
      ['office', 'office'],
      ['leader', 'leader'],
    ]);
    const ladder = Object.fromEntries(policy.escalationLadder.map((s) => [s.step, s]));
    expect(ladder.supervision_notice).toMatchObject({ afterDaysOverdue: 0 });
    expect(ladder.supervision_notice.notify).toContain('office');
    expect(ladder.interview.afterDaysOverdue).toBe(30);
    expect(ladder.listed_supervision.afterDaysOverdue).toBe(60);
  });

  it('keeps what a campaign changes and defaults the rest', () => {
    const policy = ZCampaignPolicy.parse({ reportDueDay: 20, longTermCadenceMonths: 3 });
    expect(policy.reportDueDay).toBe(20);
    expect(policy.longTermCadenceMonths).toBe(3);
    expect(policy.reminderDaysBefore).toBe(3);
  });

  it('each default is a fresh copy: changing one policy does not change the next', () => {
    const a = defaultPolicy();
    a.signOffLevels.pop();
    a.escalationLadder[0].notify.push('admin');
    const b = defaultPolicy();
    expect(b.signOffLevels).toHaveLength(3);
    expect(b.escalationLadder[0].notify).not.toContain('admin');
  });

  it('refuses out-of-range values and other time zones', () => {
    expect(ZCampaignPolicy.safeParse({ reportDueDay: 32 }).success).toBe(false);
    expect(ZCampaignPolicy.safeParse({ timezone: 'UTC' }).success).toBe(false);
    expect(ZCampaignPolicy.safeParse({ signOffLevels: [] }).success).toBe(false);
    expect(
      ZCampaignPolicy.safeParse({ escalationLadder: [{ step: 'shout', afterDaysOverdue: 1, notify: ['office'] }] })
        .success,
    ).toBe(false);
  });
});
