import {
  ZCreateCampaignRequest,
  ZCreateDelegationRequest,
  ZCreateTaskRequest,
  ZIsoDate,
  ZListTasksQuery,
  ZReviewReportRequest,
  ZSignOffRequest,
} from '../../api/routes/schemas';

const task = {
  problem: { category: '党的建设', title: '问题一' },
  measure: '建立制度',
  leadUnitId: 'u1',
  leaderId: 'l1',
  deadline: { kind: 'date', date: '2021-06-30' },
};

describe('request schemas', () => {
  it('When one task is posted without a `tasks` wrapper, then it is normalised to a list of one', () => {
    expect(ZCreateTaskRequest.parse(task)).toEqual({ tasks: [task] });
  });

  it('When tasks carry their deadline as the plan wording, then the string is accepted as is', () => {
    const parsed = ZCreateTaskRequest.parse({ tasks: [{ ...task, deadline: '立行立改，长期推进' }] });
    expect(parsed.tasks[0].deadline).toBe('立行立改，长期推进');
  });

  it('When a structured date deadline lacks its date, then it is refused', () => {
    expect(ZCreateTaskRequest.safeParse({ tasks: [{ ...task, deadline: { kind: 'date' } }] }).success).toBe(false);
  });

  it('When an immediate deadline gives its own date, then the date is kept; without one the policy derives it later', () => {
    const withDate = ZCreateTaskRequest.parse({ ...task, deadline: { kind: 'immediate', date: '2099-01-15' } });
    expect(withDate.tasks[0].deadline).toEqual({ kind: 'immediate', date: '2099-01-15' });
    const without = ZCreateTaskRequest.parse({ ...task, deadline: { kind: 'immediate_then_long_term' } });
    expect(without.tasks[0].deadline).toEqual({ kind: 'immediate_then_long_term' });
  });

  it('When a campaign policy sets only some fields, then the rest take defaults; a bad field is reported under policy', () => {
    const base = { name: 'n', kind: 'xunshi', inspectingBody: 'b', inspectedUnitId: 'u', feedbackDate: '2020-06-30' };
    const parsed = ZCreateCampaignRequest.parse({ ...base, policy: { lookBackDelayMonths: 1 } });
    expect(parsed.policy).toMatchObject({ lookBackDelayMonths: 1, reportDueDay: 25, immediateDays: 15 });
    const bad = ZCreateCampaignRequest.safeParse({ ...base, policy: { reportDueDay: 40 } });
    expect(bad.error?.issues[0].path).toEqual(['policy', 'reportDueDay']);
  });

  it('When a date does not exist in the calendar, then it is refused', () => {
    expect(ZIsoDate.safeParse('2021-02-30').success).toBe(false);
    expect(ZIsoDate.safeParse('2024-02-29').success).toBe(true);
  });

  it('When a report is returned without a reason, then the reason is reported missing', () => {
    const result = ZReviewReportRequest.safeParse({ decision: 'return' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].path).toEqual(['reason']);
    expect(ZReviewReportRequest.safeParse({ decision: 'accept' }).success).toBe(true);
  });

  it('When a sign-off decision is neither approve nor return, then it is refused', () => {
    expect(ZSignOffRequest.safeParse({ decision: 'maybe' }).success).toBe(false);
  });

  it('When list paging is given as query strings, then it is coerced and bounded', () => {
    expect(ZListTasksQuery.parse({ page: '2', pageSize: '10' })).toMatchObject({ page: 2, pageSize: 10 });
    expect(ZListTasksQuery.parse({})).toMatchObject({ page: 1, pageSize: 50 });
    expect(ZListTasksQuery.safeParse({ pageSize: '1000' }).success).toBe(false);
    expect(ZListTasksQuery.safeParse({ trafficLight: 'blue' }).success).toBe(false);
  });

  it('When a delegation ends before it starts, then it is refused', () => {
    const result = ZCreateDelegationRequest.safeParse({
      taskId: 't',
      toUserId: 'u',
      from: '2021-02-01',
      to: '2021-01-01',
    });
    expect(result.success).toBe(false);
  });
});
