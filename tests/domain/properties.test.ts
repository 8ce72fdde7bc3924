import fc from 'fast-check';
import { addDaysToInstant } from '../../domain/calendar';
import { applyCommand, decide, evolveAll, type Actor, type TaskCommand, type TaskState } from '../../domain/task';
import {
  deputy,
  head,
  headB,
  leader,
  newTask,
  officer,
  otherLeader,
  otherOfficer,
  policy,
  sh,
  staff,
  staffB,
  supervisor,
} from './taskHelpers';

const actors: Actor[] = [staff, head, staffB, headB, officer, otherOfficer, leader, otherLeader, supervisor, deputy];
const actor = fc.constantFrom(...actors);
/** Signers are drawn more often from those who can sign, so that runs reach CLOSED often enough to matter. */
const signer = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(head, officer, leader, headB, otherLeader) },
  { weight: 1, arbitrary: actor },
);
const period = fc.constantFrom('2021-03', '2021-04', '2021-05', '2021-06', '2021-07', '2021-08', '2021-09');
const date = fc.constantFrom('2021-04-01', '2021-06-30', '2021-07-15', '2021-09-30', '2021-12-31', '2022-06-30');
const reason = fc.option(fc.constantFrom('why', 'because'), { nil: undefined });
const statuses = fc.constantFrom('ASSIGNED', 'IN_PROGRESS', 'CLOSED', 'LONG_TERM', 'VERIFIED', 'OVERDUE' as const);

const command: fc.Arbitrary<TaskCommand> = fc.oneof(
  { weight: 3, arbitrary: actor.map((a) => ({ type: 'acknowledge' as const, actor: a })) },
  {
    weight: 3,
    arbitrary: fc.record({ a: actor, period, id: fc.constantFrom('r1', 'r2') }).map(({ a, period: p, id }) => ({
      type: 'submitReport' as const,
      actor: a,
      period: p,
      progress: 'progress',
      reportId: id,
    })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ a: actor, period, d: fc.constantFrom('accept' as const, 'return' as const), reason })
      .map(({ a, period: p, d, reason: r }) => ({
        type: 'reviewReport' as const,
        actor: a,
        period: p,
        decision: d,
        reason: r,
      })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({
        a: fc.constantFrom(staff, head, staffB, officer),
        id: fc.constantFrom('app-1', 'app-2', 'app-3', 'app-4'),
      })
      .map(({ a, id }) => ({ type: 'requestClosure' as const, actor: a, summary: 'summary', applicationId: id })),
  },
  {
    weight: 10,
    arbitrary: fc
      .record({
        a: signer,
        d: fc.constantFrom('approve' as const, 'approve' as const, 'approve' as const, 'return' as const),
        reason,
      })
      .map(({ a, d, reason: r }) => ({ type: 'signOff' as const, actor: a, decision: d, reason: r })),
  },
  {
    weight: 1,
    arbitrary: fc.record({ a: actor, newDate: date, reason }).map(({ a, newDate, reason: r }) => ({
      type: 'requestExtension' as const,
      actor: a,
      newDate,
      reason: r ?? '',
    })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ a: actor, d: fc.constantFrom('approve' as const, 'refuse' as const), reason })
      .map(({ a, d, reason: r }) => ({ type: 'decideExtension' as const, actor: a, decision: d, reason: r })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        a: actor,
        unit: fc.option(fc.constantFrom('unit-a', 'unit-b')),
        who: fc.option(fc.constantFrom('leader-1', 'leader-2')),
      })
      .map(({ a, unit, who }) => ({
        type: 'reassign' as const,
        actor: a,
        ...(unit ? { leadUnitId: unit } : {}),
        ...(who ? { leaderId: who } : {}),
      })),
  },
  {
    weight: 1,
    arbitrary: fc.record({ a: actor, from: date, to: date }).map(({ a, from, to }) => ({
      type: 'delegate' as const,
      actor: a,
      toUserId: deputy.userId,
      from,
      to,
    })),
  },
  { weight: 1, arbitrary: period.map((p) => ({ type: 'reportOverdue' as const, period: p })) },
  { weight: 2, arbitrary: fc.constant({ type: 'deadlinePassed' as const }) },
  {
    weight: 1,
    arbitrary: fc
      .record({
        step: fc.constantFrom('supervision_notice', 'interview', 'listed_supervision' as const),
        a: fc.option(actor, { nil: undefined }),
      })
      .map(({ step, a }) => ({ type: 'escalate' as const, step, ...(a ? { actor: a } : {}) })),
  },
  { weight: 2, arbitrary: fc.constant({ type: 'lookBackDue' as const }) },
  {
    weight: 2,
    arbitrary: fc
      .record({
        a: fc.constantFrom(officer, staff),
        v: fc.constantFrom('consolidated' as const, 'rebound' as const),
        reason,
      })
      .map(({ a, v, reason: r }) => ({ type: 'lookBackVerdict' as const, actor: a, verdict: v, reason: r })),
  },
  { weight: 1, arbitrary: actor.map((a) => ({ type: 'endLongTerm' as const, actor: a })) },
  {
    weight: 1,
    arbitrary: fc
      .record({ a: actor, ids: fc.uniqueArray(fc.constantFrom('c1', 'c2', 'c3'), { minLength: 1, maxLength: 2 }) })
      .map(({ a, ids }) => ({ type: 'childrenCreated' as const, actor: a, childTaskIds: ids })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ id: fc.constantFrom('c1', 'c2', 'c3'), s: statuses })
      .map(({ id, s }) => ({ type: 'childStatusChanged' as const, childTaskId: id, status: s })),
  },
);

const minutes = fc.integer({ min: 0, max: 20 * 24 * 60 });

/**
 * A run of the happy path (acknowledge, apply, three approvals) with plausible signers, mixed into the random
 * commands: without it random runs almost never reach a close-out and the property would hold vacuously.
 */
const happyChunk: fc.Arbitrary<[TaskCommand, number][]> = fc
  .record({
    applicationId: fc.constantFrom('app-1', 'app-2', 'app-3', 'app-4'),
    applicant: fc.constantFrom(staff, head, staffB),
    unitHead: fc.constantFrom(head, headB),
    lead: fc.constantFrom(leader, otherLeader, deputy),
  })
  .map(({ applicationId, applicant, unitHead, lead }) => [
    [{ type: 'acknowledge', actor: applicant }, 60],
    [{ type: 'requestClosure', actor: applicant, summary: 'done', applicationId }, 60],
    [{ type: 'signOff', actor: unitHead, decision: 'approve' }, 60],
    [{ type: 'signOff', actor: officer, decision: 'approve' }, 60],
    [{ type: 'signOff', actor: lead, decision: 'approve' }, 60],
  ]);

/** Steps: a command and how far the clock moves before it (minutes, up to ~20 days). */
const steps = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.tuple(command, minutes).map((step) => [step]) },
      { weight: 1, arbitrary: happyChunk },
    ),
    { minLength: 1, maxLength: 40 },
  )
  .map((chunks) => chunks.flat());
const deadlines = fc.constantFrom(
  { kind: 'date' as const, date: '2021-06-30' },
  { kind: 'long_term' as const },
  { kind: 'date_then_long_term' as const, date: '2021-05-31' },
  { kind: 'immediate' as const, date: '2021-03-25' },
);

interface Trace {
  states: TaskState[];
  refusals: number;
}

function runSteps(
  start: TaskState,
  input: [TaskCommand, number][],
  onStep?: (before: TaskState, after: TaskState, cmd: TaskCommand, accepted: boolean, now: string) => void,
): Trace {
  let state = start;
  let now = sh('2021-03-11 09:00');
  const states = [state];
  let refusals = 0;
  for (const [cmd, minutes] of input) {
    now = addDaysToInstant(now, minutes / (24 * 60));
    const before = state;
    const frozen = JSON.stringify(before);
    const result = applyCommand(state, cmd, { now, policy });
    // Whatever the outcome, the input state object is never mutated.
    expect(JSON.stringify(before)).toBe(frozen);
    if (result.ok) state = result.value.state;
    else refusals++;
    onStep?.(before, state, cmd, result.ok, now);
    states.push(state);
  }
  return { states, refusals };
}

describe('state machine properties', () => {
  it('no sequence closes a task without every sign-off level approved in order for the current application', () => {
    let closures = 0;
    fc.assert(
      fc.property(deadlines, steps, (deadline, input) => {
        runSteps(newTask({ deadline }), input, (before, after, cmd, accepted) => {
          const closedBySignOff =
            accepted &&
            before.status === 'CLOSURE_REQUESTED' &&
            (after.status === 'CLOSED' || after.status === 'LONG_TERM');
          if (
            accepted &&
            (after.status === 'CLOSED' || after.status === 'LONG_TERM') &&
            before.status !== after.status
          ) {
            // The only ways in: the last sign-off, or the office ending a long-term task.
            expect(closedBySignOff || (before.status === 'LONG_TERM' && cmd.type === 'endLongTerm')).toBe(true);
          }
          if (!closedBySignOff) return;
          closures++;
          expect(cmd.type).toBe('signOff');
          const application = after.closureHistory[after.closureHistory.length - 1];
          expect(application.applicationId).toBe(before.closure?.applicationId);
          expect(application.outcome).toBe('approved');
          expect(application.approvals.map((a) => a.level)).toEqual(before.signOffChain.map((l) => l.level));
          for (const approval of application.approvals) {
            expect(approval.userId).not.toBe(application.appliedBy);
            expect(approval.onBehalfOf).not.toBe(application.appliedBy);
          }
          expect(after.status).toBe(
            before.deadline.kind === 'date' || before.deadline.kind === 'immediate' ? 'CLOSED' : 'LONG_TERM',
          );
        });
      }),
      { numRuns: 400 },
    );
    // The property is only meaningful if random runs actually reach a close-out.
    expect(closures).toBeGreaterThan(10);
  });

  it('a refused command never changes the state', () => {
    fc.assert(
      fc.property(deadlines, steps, (deadline, input) => {
        runSteps(newTask({ deadline }), input, (before, after, _cmd, accepted) => {
          if (!accepted) expect(after).toBe(before);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('reopenCount and round only grow; every event names its time and actor', () => {
    fc.assert(
      fc.property(deadlines, steps, (deadline, input) => {
        runSteps(newTask({ deadline }), input, (before, after) => {
          expect(after.reopenCount).toBeGreaterThanOrEqual(before.reopenCount);
          expect(after.round).toBeGreaterThanOrEqual(before.round);
          expect(after.round - after.reopenCount).toBe(1);
          expect(after.eventCount).toBeGreaterThanOrEqual(before.eventCount);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('decide and evolve are deterministic, and the state survives a JSON round trip unchanged', () => {
    fc.assert(
      fc.property(deadlines, steps, command, (deadline, input, probe) => {
        const first = runSteps(newTask({ deadline }), input);
        const second = runSteps(newTask({ deadline }), input);
        expect(second.states).toEqual(first.states);
        const last = first.states[first.states.length - 1];
        expect(JSON.parse(JSON.stringify(last))).toEqual(last);
        const ctx = { now: sh('2021-09-01 09:00'), policy };
        const a = decide(last, probe, ctx);
        const b = decide(JSON.parse(JSON.stringify(last)) as TaskState, probe, ctx);
        expect(b).toEqual(a);
        if (a.ok) {
          for (const event of a.value) {
            expect(event.at).toBe(ctx.now);
            expect(event.actor.userId).toBeTruthy();
          }
          expect(evolveAll(last, a.value)).toEqual(evolveAll(JSON.parse(JSON.stringify(last)) as TaskState, a.value));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('every status change is declared by its events (fromStatus/toStatus), for the audit trail', () => {
    fc.assert(
      fc.property(deadlines, steps, (deadline, input) => {
        let state = newTask({ deadline });
        let now = sh('2021-03-11 09:00');
        for (const [cmd, minutes] of input) {
          now = addDaysToInstant(now, minutes / (24 * 60));
          const result = applyCommand(state, cmd, { now, policy });
          if (!result.ok) continue;
          let status = state.status;
          for (const event of result.value.events) {
            if (event.fromStatus !== undefined) expect(event.fromStatus).toBe(status);
            if (event.toStatus !== undefined && event.type !== 'TaskAssigned') expect(event.toStatus).not.toBe(status);
            status = event.toStatus ?? status;
          }
          expect(result.value.state.status).toBe(status);
          state = result.value.state;
        }
      }),
      { numRuns: 150 },
    );
  });

  it('events replayed from the initial state rebuild the same state', () => {
    fc.assert(
      fc.property(deadlines, steps, (deadline, input) => {
        const start = newTask({ deadline });
        let state = start;
        let now = sh('2021-03-11 09:00');
        const events = [];
        for (const [cmd, minutes] of input) {
          now = addDaysToInstant(now, minutes / (24 * 60));
          const result = applyCommand(state, cmd, { now, policy });
          if (result.ok) {
            state = result.value.state;
            events.push(...result.value.events);
          }
        }
        expect(evolveAll(start, events)).toEqual(state);
        expect(state.eventCount).toBe(events.length);
      }),
      { numRuns: 150 },
    );
  });
});
