import { currentSigner, initialState, resolveSignOffChain, signersFor, SYSTEM_ACTOR } from '../../domain/task';
import {
  ASSIGNED_AT,
  LEAD_UNIT,
  OFFICE_UNIT,
  OTHER_UNIT,
  Run,
  deputy,
  head,
  headB,
  leader,
  newTask,
  officer,
  otherLeader,
  otherOfficer,
  policy,
  staff,
  staffB,
  supervisor,
} from './taskHelpers';

describe('initial state and the sign-off chain', () => {
  it('starts ASSIGNED in round 1 with the default chain resolved to the task parties', () => {
    const state = newTask();
    expect(state).toMatchObject({ status: 'ASSIGNED', round: 1, reopenCount: 0, overdue: false, eventCount: 0 });
    expect(state.signOffChain).toEqual([
      { level: 1, name: '责任单位负责人', role: 'unit_head', scope: 'lead_unit', unitId: LEAD_UNIT },
      { level: 2, name: '整改办', role: 'office', scope: 'office', unitId: OFFICE_UNIT },
      { level: 3, name: '牵头领导', role: 'leader', scope: 'leader', userId: leader.userId },
    ]);
  });

  it('a parent_office level exists only for a task that came from above', () => {
    const levels = [
      ...policy.signOffLevels,
      { name: '上级整改办', role: 'office' as const, scope: 'parent_office' as const },
    ];
    const parties = { leadUnitId: 'u', officeUnitId: 'city-office', leaderId: 'l' };
    expect(resolveSignOffChain(levels, parties)).toHaveLength(3);
    const withParent = resolveSignOffChain(levels, { ...parties, parentOfficeUnitId: 'prov-office' });
    expect(withParent[3]).toEqual({
      level: 4,
      name: '上级整改办',
      role: 'office',
      scope: 'parent_office',
      unitId: 'prov-office',
    });
  });

  it('keeps levels given already resolved', () => {
    const state = initialState({
      taskId: 't',
      campaignId: 'c',
      leadUnitId: 'u',
      leaderId: 'l',
      officeUnitId: 'o',
      deadline: { kind: 'long_term' },
      assignedAt: ASSIGNED_AT,
      signOffChain: [{ name: 'custom', role: 'office', scope: 'office', unitId: 'special-office', level: 7 }],
    });
    expect(state.signOffChain).toEqual([
      { level: 1, name: 'custom', role: 'office', scope: 'office', unitId: 'special-office' },
    ]);
  });
});

describe('assignment and acknowledgement', () => {
  it('assign is recorded once, by the system', () => {
    const run = new Run(newTask());
    run.refuse({ type: 'assign', actor: officer }, 'NotAuthorized');
    const [event] = run.do({ type: 'assign' });
    expect(event).toMatchObject({ type: 'TaskAssigned', toStatus: 'ASSIGNED', actor: SYSTEM_ACTOR, at: run.now });
    run.refuse({ type: 'assign' }, 'InvalidTransition');
  });

  it('only the lead unit acknowledges, once: ASSIGNED → IN_PROGRESS', () => {
    const run = new Run(newTask());
    for (const actor of [staffB, headB, officer, leader, supervisor])
      run.refuse({ type: 'acknowledge', actor }, 'NotAuthorized');
    const [event] = run.do({ type: 'acknowledge', actor: head });
    expect(event).toMatchObject({
      type: 'TaskAcknowledged',
      fromStatus: 'ASSIGNED',
      toStatus: 'IN_PROGRESS',
      actor: head,
    });
    expect(run.state.status).toBe('IN_PROGRESS');
    run.refuse({ type: 'acknowledge', actor: staff }, 'InvalidTransition');
  });

  it('the first report also starts the work', () => {
    const run = new Run(newTask()).at('2021-03-20 10:00');
    const [event] = run.do({
      type: 'submitReport',
      actor: staff,
      period: '2021-03',
      progress: 'started',
      reportId: 'r1',
    });
    expect(event).toMatchObject({
      type: 'ReportSubmitted',
      fromStatus: 'ASSIGNED',
      toStatus: 'IN_PROGRESS',
      version: 1,
      late: false,
    });
    expect(run.state.status).toBe('IN_PROGRESS');
  });

  it('refuses a malformed actor or clock', () => {
    const run = new Run(newTask());
    run.refuse(
      { type: 'acknowledge', actor: { userId: '', role: 'unit_staff', unitId: LEAD_UNIT } },
      'ValidationError',
    );
    run.now = 'not a time';
    run.refuse({ type: 'acknowledge', actor: staff }, 'ValidationError');
  });
});

describe('monthly reports and review', () => {
  const submit = (period = '2021-04', reportId = 'r') =>
    ({ type: 'submitReport', actor: staff, period, progress: 'progress', reportId }) as const;

  it('a unit reports only on its own task, on a month that has started', () => {
    const run = new Run(newTask()).at('2021-04-10 09:00');
    run.do({ type: 'acknowledge', actor: staff });
    run.refuse({ ...submit(), actor: staffB }, 'NotAuthorized');
    run.refuse({ ...submit(), actor: officer }, 'NotAuthorized');
    run.refuse(submit('2021-05'), 'ValidationError', 'has not started');
    run.refuse(submit('2021-02'), 'ValidationError', 'before');
    run.refuse(submit('2021-4'), 'ValidationError');
    run.refuse({ ...submit(), progress: '  ' }, 'ValidationError');
    run.do(submit());
    expect(run.state.reports).toEqual([
      expect.objectContaining({
        period: '2021-04',
        round: 1,
        version: 1,
        status: 'submitted',
        submittedBy: staff.userId,
      }),
    ]);
  });

  it('marks a report submitted after the due instant (the 25th, Shanghai) as late', () => {
    const run = new Run(newTask()).at('2021-04-25 23:59');
    run.do({ type: 'acknowledge', actor: staff });
    expect(run.do(submit('2021-04'))[0]).toMatchObject({ late: false });
    run.at('2021-05-26 00:00');
    expect(run.do(submit('2021-05', 'r5'))[0]).toMatchObject({ late: true });
  });

  it('only the task office reviews; a return needs a reason; the unit resubmits a new version', () => {
    const run = new Run(newTask()).at('2021-04-20 09:00');
    run.do({ type: 'acknowledge', actor: staff });
    run.refuse({ type: 'reviewReport', actor: officer, period: '2021-04', decision: 'accept' }, 'NotFound');
    run.do(submit());
    run.refuse(submit(), 'InvalidTransition', 'awaiting review');
    for (const actor of [staff, head, leader, otherOfficer]) {
      run.refuse({ type: 'reviewReport', actor, period: '2021-04', decision: 'accept' }, 'NotAuthorized');
    }
    run.refuse(
      { type: 'reviewReport', actor: officer, period: '2021-04', decision: 'return' },
      'ValidationError',
      'reason',
    );
    const [returned] = run.do({
      type: 'reviewReport',
      actor: officer,
      period: '2021-04',
      decision: 'return',
      reason: 'no evidence',
    });
    expect(returned).toMatchObject({ type: 'ReportReturned', reason: 'no evidence', version: 1 });
    expect(run.state.reports[0]).toMatchObject({ status: 'returned', returnReason: 'no evidence' });
    expect(signersFor(run.state)).toContainEqual(
      expect.objectContaining({ action: 'resubmit_report', unitId: LEAD_UNIT, period: '2021-04' }),
    );
    run.refuse({ type: 'reviewReport', actor: officer, period: '2021-04', decision: 'accept' }, 'InvalidTransition');
    expect(run.do(submit('2021-04', 'r-v2'))[0]).toMatchObject({ version: 2, reportId: 'r-v2' });
    run.do({ type: 'reviewReport', actor: officer, period: '2021-04', decision: 'accept' });
    expect(run.state.reports).toHaveLength(1);
    expect(run.state.reports[0]).toMatchObject({ status: 'accepted', version: 2, reviewedBy: officer.userId });
    expect(run.state.lastReportAcceptedPeriod).toBe('2021-04');
    run.refuse(submit(), 'InvalidTransition', 'accepted');
  });

  it('an overdue report is marked by the system once, only after its due instant and only if not in', () => {
    const run = new Run(newTask()).at('2021-04-25 12:00');
    run.do({ type: 'acknowledge', actor: staff });
    run.refuse({ type: 'reportOverdue', period: '2021-04' }, 'InvalidTransition', 'not due');
    run.at('2021-04-26 00:00');
    run.refuse({ type: 'reportOverdue', period: '2021-04', actor: officer }, 'NotAuthorized');
    const [event] = run.do({ type: 'reportOverdue', period: '2021-04' });
    expect(event).toMatchObject({ type: 'ReportOverdue', period: '2021-04', dueAt: '2021-04-25T16:00:00.000Z' });
    run.refuse({ type: 'reportOverdue', period: '2021-04' }, 'InvalidTransition', 'already');
    run.at('2021-05-26 00:00').do(submit('2021-05'));
    run.refuse({ type: 'reportOverdue', period: '2021-05' }, 'InvalidTransition', 'is in');
  });
});

describe('close-out sign-off', () => {
  it('passes level by level: unit head → office → lead leader, then CLOSED', () => {
    const run = new Run(newTask()).toClosureRequested();
    expect(run.state.status).toBe('CLOSURE_REQUESTED');
    expect(run.state.closure).toMatchObject({ applicationId: 'app-1', appliedBy: staff.userId, levelReached: 0 });
    expect(currentSigner(run.state)).toMatchObject({ level: 1, role: 'unit_head', unitId: LEAD_UNIT });

    // Out of order: the office and the leader cannot sign before the unit head.
    run.refuse({ type: 'signOff', actor: officer, decision: 'approve' }, 'NotAuthorized');
    run.refuse({ type: 'signOff', actor: leader, decision: 'approve' }, 'NotAuthorized');
    run.refuse({ type: 'signOff', actor: headB, decision: 'approve' }, 'NotAuthorized');
    expect(run.do({ type: 'signOff', actor: head, decision: 'approve' })).toEqual([
      expect.objectContaining({
        type: 'SignOffApproved',
        level: 1,
        levelName: '责任单位负责人',
        final: false,
        actor: head,
      }),
    ]);
    run.refuse({ type: 'signOff', actor: head, decision: 'approve' }, 'NotAuthorized');
    run.refuse({ type: 'signOff', actor: otherOfficer, decision: 'approve' }, 'NotAuthorized');
    run.do({ type: 'signOff', actor: officer, decision: 'approve' });
    run.refuse({ type: 'signOff', actor: otherLeader, decision: 'approve' }, 'NotAuthorized');
    const last = run.do({ type: 'signOff', actor: leader, decision: 'approve' });
    expect(last.map((e) => e.type)).toEqual(['SignOffApproved', 'TaskClosed']);
    expect(last[1]).toMatchObject({ fromStatus: 'CLOSURE_REQUESTED', toStatus: 'CLOSED', applicationId: 'app-1' });
    expect(run.state.status).toBe('CLOSED');
    expect(run.state.closedAt).toBe(run.now);
    expect(run.state.closure).toBeUndefined();
    expect(run.state.closureHistory[0]).toMatchObject({ outcome: 'approved' });
    expect(run.state.closureHistory[0].approvals.map((a) => [a.level, a.userId])).toEqual([
      [1, head.userId],
      [2, officer.userId],
      [3, leader.userId],
    ]);
    run.refuse({ type: 'signOff', actor: leader, decision: 'approve' }, 'InvalidTransition');
  });

  it("the first level's signer may not file an application, which they could never sign (the staff applies)", () => {
    const run = new Run(newTask());
    run.do({ type: 'acknowledge', actor: head });
    run.refuse(
      { type: 'requestClosure', actor: head, summary: 'done', applicationId: 'a' },
      'NotAuthorized',
      'level 1',
    );
    run.do({ type: 'requestClosure', actor: staff, summary: 'done', applicationId: 'a' });
    run.do({ type: 'signOff', actor: head, decision: 'approve' });
  });

  it("a run from before that rule (ctx.legacy) still accepts the head's application, as it was recorded", () => {
    const run = new Run(newTask());
    run.do({ type: 'acknowledge', actor: head });
    run.legacy = { firstSignerMayApply: true };
    run.do({ type: 'requestClosure', actor: head, summary: 'done', applicationId: 'a' });
    run.refuse({ type: 'signOff', actor: head, decision: 'approve' }, 'NotAuthorized', 'own application');
  });

  it('nobody signs off their own application, not even as a deputy', () => {
    const run = new Run(newTask()).at('2021-03-15 09:00');
    // A run from before the four-eyes rule, which let a head name their own staff as deputy.
    run.legacy = { oneSignerMaySignTwice: true };
    run.do({ type: 'delegate', actor: head, toUserId: staff.userId, from: '2021-03-15', to: '2021-12-31' });
    run.do({ type: 'acknowledge', actor: staff });
    run.do({ type: 'requestClosure', actor: staff, summary: 'done', applicationId: 'a' });
    run.refuse({ type: 'signOff', actor: staff, decision: 'approve' }, 'NotAuthorized', 'own application');
    run.do({ type: 'signOff', actor: head, decision: 'approve' });
  });

  it('any level may return it with a reason, back to IN_PROGRESS; a new application starts at level 1', () => {
    const run = new Run(newTask()).toClosureRequested('app-1');
    run.do({ type: 'signOff', actor: head, decision: 'approve' });
    run.refuse({ type: 'signOff', actor: officer, decision: 'return' }, 'ValidationError', 'reason');
    const [returned] = run.do({ type: 'signOff', actor: officer, decision: 'return', reason: 'evidence missing' });
    expect(returned).toMatchObject({
      type: 'SignOffReturned',
      level: 2,
      reason: 'evidence missing',
      fromStatus: 'CLOSURE_REQUESTED',
      toStatus: 'IN_PROGRESS',
    });
    expect(run.state.closureHistory[0]).toMatchObject({
      outcome: 'returned',
      returnedAtLevel: 2,
      returnReason: 'evidence missing',
    });
    run.refuse(
      { type: 'requestClosure', actor: staff, summary: 'again', applicationId: 'app-1' },
      'ValidationError',
      'already used',
    );
    run.do({ type: 'requestClosure', actor: staff, summary: 'again', applicationId: 'app-2' });
    expect(currentSigner(run.state)?.level).toBe(1);
    run.refuse({ type: 'signOff', actor: officer, decision: 'approve' }, 'NotAuthorized');
  });

  it('close-out needs acknowledged work, the lead unit, and a summary', () => {
    const run = new Run(newTask());
    run.refuse(
      { type: 'requestClosure', actor: staff, summary: 's', applicationId: 'a' },
      'InvalidTransition',
      'acknowledge',
    );
    run.do({ type: 'acknowledge', actor: staff });
    run.refuse({ type: 'requestClosure', actor: staffB, summary: 's', applicationId: 'a' }, 'NotAuthorized');
    run.refuse({ type: 'requestClosure', actor: officer, summary: 's', applicationId: 'a' }, 'NotAuthorized');
    run.refuse({ type: 'requestClosure', actor: staff, summary: '', applicationId: 'a' }, 'ValidationError');
    run.do({ type: 'requestClosure', actor: staff, summary: 's', applicationId: 'a' });
    run.refuse({ type: 'requestClosure', actor: staff, summary: 's', applicationId: 'b' }, 'InvalidTransition');
  });

  it.each([
    ['long_term', { kind: 'long_term' as const }],
    ['date_then_long_term', { kind: 'date_then_long_term' as const, date: '2021-06-30' }],
    ['immediate_then_long_term', { kind: 'immediate_then_long_term' as const, date: '2021-03-25' }],
  ])('a %s task reaches LONG_TERM on the last approval; the office ends it → CLOSED', (_k, deadline) => {
    const run = new Run(newTask({ deadline })).toClosureRequested();
    run.do({ type: 'signOff', actor: head, decision: 'approve' });
    run.do({ type: 'signOff', actor: officer, decision: 'approve' });
    const last = run.do({ type: 'signOff', actor: leader, decision: 'approve' });
    expect(last[1]).toMatchObject({ type: 'LongTermEntered', toStatus: 'LONG_TERM' });
    expect(run.state).toMatchObject({ status: 'LONG_TERM', longTermSince: run.now });
    run.refuse({ type: 'endLongTerm', actor: staff }, 'NotAuthorized');
    run.refuse({ type: 'endLongTerm', actor: otherOfficer }, 'NotAuthorized');
    run.at('2022-04-02 10:00');
    expect(run.do({ type: 'endLongTerm', actor: officer, reason: 'mechanism in place' })[0]).toMatchObject({
      type: 'TaskClosed',
      fromStatus: 'LONG_TERM',
      toStatus: 'CLOSED',
      reason: 'mechanism in place',
    });
    expect(run.state.closedAt).toBe(run.now);
    run.refuse({ type: 'endLongTerm', actor: officer }, 'InvalidTransition');
  });

  it('a LONG_TERM task keeps reporting', () => {
    const run = new Run(newTask({ deadline: { kind: 'long_term' } })).toClosureRequested().signAll();
    run
      .at('2021-10-20 10:00')
      .do({ type: 'submitReport', actor: staff, period: '2021-10', progress: 'kept up', reportId: 'lt' });
    expect(run.state.status).toBe('LONG_TERM');
  });
});

describe('deadline, overdue and escalation', () => {
  it('the deadline passes at the end of its Shanghai day: the system marks the task OVERDUE', () => {
    const run = new Run(newTask());
    run.do({ type: 'acknowledge', actor: staff });
    run.at('2021-06-30 23:59').refuse({ type: 'deadlinePassed' }, 'InvalidTransition', 'has not passed');
    run.at('2021-07-01 00:00');
    run.refuse({ type: 'deadlinePassed', actor: officer }, 'NotAuthorized');
    expect(run.do({ type: 'deadlinePassed' })[0]).toMatchObject({
      type: 'DeadlinePassed',
      deadlineDate: '2021-06-30',
      fromStatus: 'IN_PROGRESS',
      toStatus: 'OVERDUE',
    });
    expect(run.state).toMatchObject({ status: 'OVERDUE', overdue: true });
    run.refuse({ type: 'deadlinePassed' }, 'InvalidTransition', 'already');
    // OVERDUE behaves like IN_PROGRESS: reports and close-out go on.
    run.do({ type: 'submitReport', actor: staff, period: '2021-07', progress: 'late but going', reportId: 'r7' });
    run.do({ type: 'requestClosure', actor: staff, summary: 'done late', applicationId: 'a' });
    const [returned] = run.do({ type: 'signOff', actor: head, decision: 'return', reason: 'not yet' });
    expect(returned).toMatchObject({ toStatus: 'OVERDUE' });
  });

  it('a deadline passing during sign-off flags the task; a return then lands in OVERDUE', () => {
    const run = new Run(newTask()).toClosureRequested();
    run.at('2021-07-01 08:00');
    expect(run.do({ type: 'deadlinePassed' })[0].toStatus).toBeUndefined();
    expect(run.state).toMatchObject({ status: 'CLOSURE_REQUESTED', overdue: true });
    run.do({ type: 'signOff', actor: head, decision: 'return', reason: 'incomplete' });
    expect(run.state.status).toBe('OVERDUE');
  });

  it('an unacknowledged task also goes OVERDUE; a pure long-term task never does', () => {
    const run = new Run(newTask()).at('2021-07-02 00:00');
    expect(run.do({ type: 'deadlinePassed' })[0]).toMatchObject({ fromStatus: 'ASSIGNED', toStatus: 'OVERDUE' });
    const lt = new Run(newTask({ deadline: { kind: 'long_term' } })).at('2030-01-01 00:00');
    lt.refuse({ type: 'deadlinePassed' }, 'InvalidTransition');
  });

  it('climbs the ladder at its delays, each step once; the office or a supervisor may force a step', () => {
    const run = new Run(newTask());
    run.do({ type: 'acknowledge', actor: staff });
    run.refuse({ type: 'escalate', step: 'supervision_notice' }, 'InvalidTransition', 'overdue');
    run.at('2021-07-01 00:00').do({ type: 'deadlinePassed' });
    expect(run.do({ type: 'escalate', step: 'supervision_notice' })[0]).toMatchObject({
      type: 'EscalationStepReached',
      step: 'supervision_notice',
      daysOverdue: 0,
      deadlineDate: '2021-06-30',
      notify: expect.arrayContaining(['office', 'leader']),
    });
    run.refuse({ type: 'escalate', step: 'supervision_notice' }, 'InvalidTransition', 'already');
    run.at('2021-07-30 23:00').refuse({ type: 'escalate', step: 'interview' }, 'InvalidTransition', '30 days');
    run.at('2021-07-31 00:00');
    expect(run.do({ type: 'escalate', step: 'interview' })[0]).toMatchObject({ daysOverdue: 30 });
    run.refuse({ type: 'escalate', step: 'reminder' }, 'ValidationError', 'ladder');
    run.refuse({ type: 'escalate', step: 'exposure', actor: staff }, 'NotAuthorized');
    run.do({ type: 'escalate', step: 'listed_supervision', actor: supervisor });
    expect(run.state.escalations.map((e) => e.step)).toEqual(['supervision_notice', 'interview', 'listed_supervision']);
  });
});

describe('deadline extension', () => {
  const request = {
    type: 'requestExtension',
    actor: staff,
    newDate: '2021-09-30',
    reason: 'procurement delayed',
  } as const;

  it('the unit requests, the office then the lead leader approve; the deadline moves and OVERDUE ends', () => {
    const run = new Run(newTask());
    run.do({ type: 'acknowledge', actor: staff });
    run.at('2021-07-01 00:00').do({ type: 'deadlinePassed' });
    run.do({ type: 'escalate', step: 'supervision_notice' });
    run.refuse({ ...request, actor: staffB }, 'NotAuthorized');
    run.refuse({ ...request, newDate: '2021-06-30' }, 'ValidationError', 'after the current deadline');
    run.refuse({ ...request, newDate: '2021-06-31' }, 'ValidationError');
    run.refuse({ ...request, reason: '' }, 'ValidationError');
    run.do(request);
    expect(run.state.pendingExtension).toMatchObject({
      fromDate: '2021-06-30',
      toDate: '2021-09-30',
      approvers: ['office', 'leader'],
    });
    run.refuse(request, 'InvalidTransition', 'already pending');
    run.refuse({ type: 'decideExtension', actor: leader, decision: 'approve' }, 'NotAuthorized');
    expect(signersFor(run.state)).toContainEqual(
      expect.objectContaining({ action: 'decide_extension', role: 'office' }),
    );
    expect(run.do({ type: 'decideExtension', actor: officer, decision: 'approve' })[0]).toMatchObject({
      type: 'ExtensionApproved',
      approver: 'office',
      final: false,
    });
    run.refuse({ type: 'decideExtension', actor: officer, decision: 'approve' }, 'NotAuthorized');
    run.refuse({ type: 'decideExtension', actor: otherLeader, decision: 'approve' }, 'NotAuthorized');
    const events = run.do({ type: 'decideExtension', actor: leader, decision: 'approve' });
    expect(events[1]).toMatchObject({
      type: 'DeadlineExtended',
      fromDate: '2021-06-30',
      toDate: '2021-09-30',
      fromStatus: 'OVERDUE',
      toStatus: 'IN_PROGRESS',
      overdue: false,
    });
    expect(run.state).toMatchObject({
      status: 'IN_PROGRESS',
      overdue: false,
      escalations: [],
      deadline: { kind: 'date', date: '2021-09-30' },
    });
    expect(run.state.pendingExtension).toBeUndefined();
    expect(run.state.extensionHistory[0]).toMatchObject({
      outcome: 'approved',
      fromDate: '2021-06-30',
      toDate: '2021-09-30',
    });
  });

  it('a refusal needs a reason and leaves the deadline', () => {
    const run = new Run(newTask());
    run.do({ type: 'acknowledge', actor: staff });
    run.do(request);
    run.refuse({ type: 'decideExtension', actor: officer, decision: 'refuse' }, 'ValidationError', 'reason');
    expect(
      run.do({ type: 'decideExtension', actor: officer, decision: 'refuse', reason: 'no grounds' })[0],
    ).toMatchObject({
      type: 'ExtensionRefused',
      approver: 'office',
    });
    expect(run.state.deadline).toEqual({ kind: 'date', date: '2021-06-30' });
    expect(run.state.extensionHistory[0]).toMatchObject({ outcome: 'refused', refusal: 'no grounds' });
    run.refuse({ type: 'decideExtension', actor: officer, decision: 'approve' }, 'InvalidTransition');
  });

  it('a long-term task has no date to extend', () => {
    const run = new Run(newTask({ deadline: { kind: 'long_term' } }));
    run.do({ type: 'acknowledge', actor: staff });
    run.refuse(request, 'InvalidTransition', 'long-term');
  });
});

describe('reassignment and delegation', () => {
  it('only the office reassigns; the chain follows the new lead unit and leader; pending sign-off moves', () => {
    const run = new Run(newTask()).toClosureRequested();
    run.refuse({ type: 'reassign', actor: staff, leadUnitId: OTHER_UNIT }, 'NotAuthorized');
    run.refuse({ type: 'reassign', actor: officer }, 'ValidationError');
    const [event] = run.do({
      type: 'reassign',
      actor: officer,
      leadUnitId: OTHER_UNIT,
      leaderId: otherLeader.userId,
      reason: 'reorganised',
    });
    expect(event).toMatchObject({
      type: 'TaskReassigned',
      from: { leadUnitId: LEAD_UNIT, leaderId: leader.userId },
      to: { leadUnitId: OTHER_UNIT, leaderId: otherLeader.userId },
    });
    expect(run.state.signOffChain.map((l) => l.unitId ?? l.userId)).toEqual([
      OTHER_UNIT,
      OFFICE_UNIT,
      otherLeader.userId,
    ]);
    run.refuse({ type: 'signOff', actor: head, decision: 'approve' }, 'NotAuthorized');
    run.do({ type: 'signOff', actor: headB, decision: 'approve' });
    run.do({ type: 'signOff', actor: officer, decision: 'approve' });
    run.refuse({ type: 'signOff', actor: leader, decision: 'approve' }, 'NotAuthorized');
    run.do({ type: 'signOff', actor: otherLeader, decision: 'approve' });
    expect(run.state.status).toBe('CLOSED');
    run.refuse({ type: 'reassign', actor: officer, leadUnitId: LEAD_UNIT }, 'InvalidTransition');
  });

  it('after reassignment the old unit can no longer report and the new one can', () => {
    const run = new Run(newTask()).at('2021-04-10 09:00');
    run.do({ type: 'acknowledge', actor: staff });
    run.do({ type: 'reassign', actor: officer, leadUnitId: OTHER_UNIT });
    const report = { type: 'submitReport', period: '2021-04', progress: 'p', reportId: 'r' } as const;
    run.refuse({ ...report, actor: staff }, 'NotAuthorized');
    run.do({ ...report, actor: staffB });
  });

  it('a signer delegates to a deputy for a date range; the deputy signs on their behalf only then', () => {
    const run = new Run(newTask()).at('2021-03-15 09:00');
    // Recorded before the four-eyes rule (any deputy, no role or unit given); the rule's own tests are below.
    run.legacy = { oneSignerMaySignTwice: true };
    run.refuse(
      { type: 'delegate', actor: staff, toUserId: deputy.userId, from: '2021-04-01', to: '2021-04-10' },
      'NotAuthorized',
    );
    run.refuse(
      { type: 'delegate', actor: leader, toUserId: deputy.userId, from: '2021-04-10', to: '2021-04-01' },
      'ValidationError',
    );
    run.refuse(
      { type: 'delegate', actor: leader, toUserId: leader.userId, from: '2021-04-01', to: '2021-04-10' },
      'ValidationError',
    );
    run.do({ type: 'delegate', actor: leader, toUserId: deputy.userId, from: '2021-04-01', to: '2021-04-10' });
    run.toClosureRequested();
    run.at('2021-04-02 11:00');
    run.do({ type: 'signOff', actor: head, decision: 'approve' });
    run.do({ type: 'signOff', actor: officer, decision: 'approve' });
    expect(signersFor(run.state, run.now)).toContainEqual(
      expect.objectContaining({ action: 'sign_off', level: 3, userId: leader.userId, deputyUserIds: [deputy.userId] }),
    );
    run.at('2021-04-11 00:00').refuse({ type: 'signOff', actor: deputy, decision: 'approve' }, 'NotAuthorized');
    run.at('2021-04-10 23:59');
    const [approved] = run.do({ type: 'signOff', actor: deputy, decision: 'approve' });
    expect(approved).toMatchObject({
      type: 'SignOffApproved',
      level: 3,
      actor: deputy,
      onBehalfOf: leader.userId,
      final: true,
    });
    expect(run.state.closureHistory[0].approvals[2]).toMatchObject({
      userId: deputy.userId,
      onBehalfOf: leader.userId,
    });
  });

  it('a deputy may not sign off an application made by their principal', () => {
    const run = new Run(newTask()).at('2021-03-15 09:00');
    const deputyOfficer = { userId: 'deputy-officer', role: 'unit_staff' as const, unitId: LEAD_UNIT };
    run.legacy = { oneSignerMaySignTwice: true };
    run.do({ type: 'acknowledge', actor: staff });
    run.do({ type: 'requestClosure', actor: staff, summary: 's', applicationId: 'a' });
    run.do({ type: 'signOff', actor: head, decision: 'approve' });
    // The applicant (staff) holds level 2 for a while through a delegation: signing it would be signing their own.
    run.do({ type: 'delegate', actor: officer, toUserId: staff.userId, from: '2021-03-15', to: '2021-12-31' });
    run.refuse({ type: 'signOff', actor: staff, decision: 'approve' }, 'NotAuthorized', 'own application');
    run.do({ type: 'delegate', actor: officer, toUserId: deputyOfficer.userId, from: '2021-03-15', to: '2021-12-31' });
    run.do({ type: 'signOff', actor: deputyOfficer, decision: 'approve' });
  });

  it('a deputy may not sign for a principal who applied (a run from before the first-signer rule)', () => {
    const run = new Run(newTask()).at('2021-03-15 09:00');
    run.legacy = { firstSignerMayApply: true, oneSignerMaySignTwice: true };
    const deputyHead = { userId: 'deputy-head', role: 'unit_staff' as const, unitId: LEAD_UNIT };
    run.do({ type: 'delegate', actor: head, toUserId: deputyHead.userId, from: '2021-03-15', to: '2021-12-31' });
    run.do({ type: 'acknowledge', actor: head });
    run.do({ type: 'requestClosure', actor: head, summary: 's', applicationId: 'a' });
    run.refuse({ type: 'signOff', actor: deputyHead, decision: 'approve' }, 'NotAuthorized', 'own application');
  });
});

describe('four eyes', () => {
  const deputyOffice = { userId: 'officer-2', role: 'office' as const, unitId: OFFICE_UNIT };
  const delegateTo = (actor: typeof officer, to: { userId: string; role: string; unitId: string }) =>
    ({
      type: 'delegate',
      actor,
      toUserId: to.userId,
      toRole: to.role,
      toUnitId: to.unitId,
      from: '2021-03-15',
      to: '2021-04-30',
    }) as const;

  it('a deputy must hold the same role in the same unit, for at most 90 days, and be named with role and unit', () => {
    const run = new Run(newTask()).at('2021-03-15 09:00');
    run.refuse(delegateTo(officer, head), 'NotAuthorized', 'same role');
    run.refuse(delegateTo(officer, otherOfficer), 'NotAuthorized', 'same role');
    run.refuse(delegateTo(leader, deputy), 'NotAuthorized', 'same role');
    run.refuse(
      { type: 'delegate', actor: officer, toUserId: deputyOffice.userId, from: '2021-03-15', to: '2021-04-30' },
      'ValidationError',
      "deputy's role",
    );
    run.refuse({ ...delegateTo(officer, deputyOffice), to: '2021-06-13' }, 'ValidationError', '90 days');
    run.do({ ...delegateTo(officer, deputyOffice), to: '2021-06-12' });
    run.do(delegateTo(leader, otherLeader));
  });

  it('nobody signs two levels of one close-out, not through delegations made before the rule either', () => {
    const run = new Run(newTask()).at('2021-03-15 09:00');
    // The office and the leader both named the unit head deputy under the old rules (as a carried state would hold).
    run.legacy = { oneSignerMaySignTwice: true };
    run.do({ type: 'delegate', actor: officer, toUserId: head.userId, from: '2021-03-15', to: '2021-12-31' });
    run.do({ type: 'delegate', actor: leader, toUserId: head.userId, from: '2021-03-15', to: '2021-12-31' });
    run.legacy = undefined;
    run.do({ type: 'acknowledge', actor: staff });
    run.do({ type: 'requestClosure', actor: staff, summary: 's', applicationId: 'a' });
    run.do({ type: 'signOff', actor: head, decision: 'approve' });
    run.refuse({ type: 'signOff', actor: head, decision: 'approve' }, 'NotAuthorized', 'earlier level');
    run.do({ type: 'signOff', actor: officer, decision: 'approve' });
    run.refuse({ type: 'signOff', actor: head, decision: 'approve' }, 'NotAuthorized', 'earlier level');
    expect(run.state.status).toBe('CLOSURE_REQUESTED');
    run.do({ type: 'signOff', actor: leader, decision: 'approve' });
    expect(run.state.status).toBe('CLOSED');
  });

  it('a run from before the rule keeps its old behaviour on replay', () => {
    const run = new Run(newTask()).at('2021-03-15 09:00');
    run.legacy = { oneSignerMaySignTwice: true };
    run.do({ type: 'delegate', actor: officer, toUserId: head.userId, from: '2021-03-15', to: '2021-12-31' });
    run.do({ type: 'delegate', actor: leader, toUserId: head.userId, from: '2021-03-15', to: '2021-12-31' });
    run.do({ type: 'acknowledge', actor: staff });
    run.do({ type: 'requestClosure', actor: staff, summary: 's', applicationId: 'a' });
    run.do({ type: 'signOff', actor: head, decision: 'approve' });
    run.do({ type: 'signOff', actor: head, decision: 'approve' });
    run.do({ type: 'signOff', actor: head, decision: 'approve' });
    expect(run.state.status).toBe('CLOSED');
  });

  it('nobody decides both steps of one extension request', () => {
    const run = new Run(newTask()).at('2021-03-15 09:00');
    run.legacy = { oneSignerMaySignTwice: true };
    run.do({ type: 'delegate', actor: leader, toUserId: officer.userId, from: '2021-03-15', to: '2021-12-31' });
    run.legacy = undefined;
    run.do({ type: 'acknowledge', actor: staff });
    run.do({ type: 'requestExtension', actor: staff, newDate: '2021-12-31', reason: 'r' });
    run.do({ type: 'decideExtension', actor: officer, decision: 'approve' });
    run.refuse({ type: 'decideExtension', actor: officer, decision: 'approve' }, 'NotAuthorized', 'earlier step');
    run.do({ type: 'decideExtension', actor: leader, decision: 'approve' });
    expect(run.state.deadline).toMatchObject({ date: '2021-12-31' });
  });
});

describe('look-back', () => {
  function closed(): Run {
    return new Run(newTask()).toClosureRequested().signAll();
  }

  it('falls due lookBackDelayMonths after closure and is raised once', () => {
    const run = closed();
    expect(run.state.closedAt).toBe(run.now);
    run.at('2021-10-02 09:00').refuse({ type: 'lookBackDue' }, 'InvalidTransition', 'not due');
    run.at('2021-10-02 10:00');
    expect(run.do({ type: 'lookBackDue' })[0]).toMatchObject({ type: 'LookBackDue', closedAt: run.state.closedAt });
    expect(signersFor(run.state)).toContainEqual(expect.objectContaining({ action: 'look_back', unitId: OFFICE_UNIT }));
    run.refuse({ type: 'lookBackDue' }, 'InvalidTransition');
  });

  it('consolidated → VERIFIED; only the office judges', () => {
    const run = closed().at('2021-10-05 09:00');
    run.refuse({ type: 'lookBackVerdict', actor: staff, verdict: 'consolidated' }, 'NotAuthorized');
    run.do({ type: 'lookBackVerdict', actor: officer, verdict: 'consolidated' });
    expect(run.state).toMatchObject({ status: 'VERIFIED', verifiedAt: run.now });
    run.refuse({ type: 'lookBackVerdict', actor: officer, verdict: 'rebound', reason: 'x' }, 'InvalidTransition');
  });

  it('rebound reopens the task in a new round, history kept, and it can be closed again', () => {
    const run = closed().at('2021-10-05 09:00');
    run.refuse({ type: 'lookBackVerdict', actor: officer, verdict: 'rebound' }, 'ValidationError', 'reason');
    const [event] = run.do({
      type: 'lookBackVerdict',
      actor: officer,
      verdict: 'rebound',
      reason: 'problem came back',
      newDeadlineDate: '2021-12-31',
    });
    expect(event).toMatchObject({
      type: 'TaskReopened',
      fromStatus: 'CLOSED',
      toStatus: 'IN_PROGRESS',
      reopenCount: 1,
    });
    expect(run.state).toMatchObject({
      status: 'IN_PROGRESS',
      round: 2,
      reopenCount: 1,
      deadline: { date: '2021-12-31' },
    });
    expect(run.state.closedAt).toBeUndefined();
    expect(run.state.reports).toHaveLength(1);
    expect(run.state.closureHistory).toHaveLength(1);
    run.do({ type: 'submitReport', actor: staff, period: '2021-10', progress: 'again', reportId: 'r2' });
    run.do({ type: 'reviewReport', actor: officer, period: '2021-10', decision: 'accept' });
    run.do({ type: 'requestClosure', actor: staff, summary: 'fixed for good', applicationId: 'app-2' });
    run.signAll();
    expect(run.state).toMatchObject({ status: 'CLOSED', round: 2, reopenCount: 1 });
    expect(run.state.closureHistory.map((a) => [a.applicationId, a.round])).toEqual([
      ['app-1', 1],
      ['app-2', 2],
    ]);
  });
});

describe('child tasks', () => {
  it('the office splits a task; close-out waits for every child to be CLOSED, LONG_TERM or VERIFIED', () => {
    const run = new Run(newTask());
    run.refuse({ type: 'childrenCreated', actor: staff, childTaskIds: ['c1'] }, 'NotAuthorized');
    run.refuse({ type: 'childrenCreated', actor: officer, childTaskIds: [] }, 'ValidationError');
    run.refuse({ type: 'childrenCreated', actor: officer, childTaskIds: ['c1', 'c1'] }, 'ValidationError');
    run.refuse({ type: 'childrenCreated', actor: officer, childTaskIds: ['task-1'] }, 'ValidationError');
    run.do({ type: 'childrenCreated', actor: officer, childTaskIds: ['c1', 'c2', 'c3'] });
    expect(run.state.children).toEqual({ c1: 'ASSIGNED', c2: 'ASSIGNED', c3: 'ASSIGNED' });
    run.refuse({ type: 'childrenCreated', actor: officer, childTaskIds: ['c3', 'c4'] }, 'ValidationError', 'c3');
    run.refuse({ type: 'childStatusChanged', childTaskId: 'nope', status: 'CLOSED' }, 'NotFound');
    run.refuse({ type: 'childStatusChanged', childTaskId: 'constructor', status: 'CLOSED' }, 'NotFound');
    run.refuse({ type: 'childStatusChanged', childTaskId: 'c1', status: 'ASSIGNED' }, 'InvalidTransition');
    run.do({ type: 'acknowledge', actor: staff });
    run.do({ type: 'childStatusChanged', childTaskId: 'c1', status: 'CLOSED' });
    run.do({ type: 'childStatusChanged', childTaskId: 'c2', status: 'LONG_TERM' });
    const apply = { type: 'requestClosure', actor: staff, summary: 's', applicationId: 'a' } as const;
    run.refuse(apply, 'InvalidTransition', 'c3 (ASSIGNED)');
    const [event] = run.do({ type: 'childStatusChanged', childTaskId: 'c3', status: 'VERIFIED' });
    expect(event).toMatchObject({
      type: 'ChildStatusChanged',
      childTaskId: 'c3',
      previous: 'ASSIGNED',
      status: 'VERIFIED',
    });
    run.do(apply);
    expect(run.state.status).toBe('CLOSURE_REQUESTED');
  });
});

describe('who must act (inbox)', () => {
  it('lists acknowledgement, reviews and the current signer, excluding the applicant', () => {
    const run = new Run(newTask());
    expect(signersFor(run.state)).toEqual([{ action: 'acknowledge', role: 'unit_staff', unitId: LEAD_UNIT }]);
    run.toClosureRequested();
    expect(signersFor(run.state)).toEqual([
      {
        action: 'sign_off',
        role: 'unit_head',
        unitId: LEAD_UNIT,
        level: 1,
        levelName: '责任单位负责人',
        excludedUserId: staff.userId,
      },
    ]);
    expect(currentSigner(newTask())).toBeNull();
  });

  it('lists reports the office must review and overdue reports the unit still owes', () => {
    const run = new Run(newTask()).at('2021-04-26 09:00');
    run.do({ type: 'acknowledge', actor: staff });
    run.do({ type: 'reportOverdue', period: '2021-04' });
    expect(signersFor(run.state, run.now, policy)).toContainEqual(
      expect.objectContaining({ action: 'submit_report', period: '2021-04', unitId: LEAD_UNIT }),
    );
    run.do({ type: 'submitReport', actor: staff, period: '2021-04', progress: 'late', reportId: 'r' });
    const actions = signersFor(run.state, run.now, policy);
    expect(actions).toContainEqual(
      expect.objectContaining({ action: 'review_report', period: '2021-04', unitId: OFFICE_UNIT }),
    );
    expect(actions.some((a) => a.action === 'submit_report')).toBe(false);
  });
});

describe('delegations: deduplicated and revocable', () => {
  // The leader's level is held by one person (user scope): a deputy is what lets anyone else sign it.
  const delegation = {
    type: 'delegate',
    actor: leader,
    toUserId: otherLeader.userId,
    toRole: otherLeader.role,
    toUnitId: otherLeader.unitId,
    from: '2021-03-15',
    to: '2021-04-30',
  } as const;
  const revoke = (actor: typeof leader, over: Partial<{ toUserId: string; from: string; to: string }> = {}) =>
    ({
      type: 'revokeDelegation',
      actor,
      delegationId: 'task-task-1:delegation:7',
      fromUserId: leader.userId,
      toUserId: otherLeader.userId,
      from: '2021-03-15',
      to: '2021-04-30',
      ...over,
    }) as const;

  it('an identical delegation in force is refused; other dates or another deputy are not', () => {
    const run = new Run(newTask()).at('2021-03-15 09:00');
    run.do(delegation);
    run.refuse(delegation, 'InvalidTransition', 'already in force');
    run.do({ ...delegation, to: '2021-05-01' });
    expect(run.state.delegations).toHaveLength(2);
  });

  it('a run from before four-eyes keeps accepting duplicates on replay', () => {
    const run = new Run(newTask()).at('2021-03-15 09:00');
    run.legacy = { oneSignerMaySignTwice: true };
    run.do(delegation);
    run.do(delegation);
    expect(run.state.delegations).toHaveLength(2);
  });

  it('only the principal (or an admin) revokes; the deputy then cannot sign; revoking twice is refused', () => {
    const run = new Run(newTask()).at('2021-03-15 09:00');
    run.do(delegation);
    run.toClosureRequested();
    run.do({ type: 'signOff', actor: head, decision: 'approve' });
    run.refuse(revoke(otherLeader), 'NotAuthorized', 'only the signer');
    run.refuse(revoke(head), 'NotAuthorized');
    // Naming a delegation that is not there (other dates): nothing to revoke.
    run.refuse(revoke(leader, { to: '2021-05-31' }), 'InvalidTransition', 'not in force');
    const [event] = run.do(revoke(leader));
    expect(event).toMatchObject({ type: 'DelegationRevoked', delegationId: 'task-task-1:delegation:7' });
    expect(run.state.delegations).toEqual([]);
    run.refuse(revoke(leader), 'InvalidTransition', 'not in force');
    run.do({ type: 'signOff', actor: officer, decision: 'approve' });
    run.refuse({ type: 'signOff', actor: otherLeader, decision: 'approve' }, 'NotAuthorized');
    // The principal signs as before, and may delegate the same again after the revocation.
    run.do({ type: 'signOff', actor: leader, decision: 'approve' });
    expect(run.state.status).toBe('CLOSED');
    run.do(delegation);
    const admin = { userId: 'admin-1', role: 'admin' as const, unitId: 'unit-it' };
    run.do(revoke(admin));
    expect(run.state.delegations).toEqual([]);
  });

  it('revoking one of two identical legacy delegations removes one entry; the second row revokes the other', () => {
    const run = new Run(newTask()).at('2021-03-15 09:00');
    run.legacy = { oneSignerMaySignTwice: true };
    run.do(delegation);
    run.do(delegation);
    run.legacy = undefined;
    run.do(revoke(leader));
    expect(run.state.delegations).toHaveLength(1);
    run.do(revoke(leader, {}));
    expect(run.state.delegations).toHaveLength(0);
  });
});
