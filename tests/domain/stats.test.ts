import fc from 'fast-check';
import { taskAsOf } from '../../domain/stats/asOf';
import {
  classifyStatus,
  completionRate,
  groupFigures,
  measuresOf,
  totalsOf,
  type TMeasureRow,
} from '../../domain/stats/figures';
import { DEADLINE_KINDS, parseDeadlineText } from '../../domain/deadline';
import { chineseDate, deadlineWording, percent } from '../../domain/stats/words';
import { TASK_STATUSES } from '../../domain/task';

const status = fc.constantFrom(...TASK_STATUSES);
const row = fc.record({
  problemId: fc.constantFrom('p1', 'p2', 'p3', 'p4'),
  key: fc.constantFrom('a', 'b', 'c'),
  status,
  overdue: fc.boolean(),
  light: fc.constantFrom('green', 'yellow', 'red'),
  count: fc.integer({ min: 0, max: 5 }),
});

/** A forest of tasks: each task's parent (if any) comes earlier, as a split creates children after their parent. */
const forest = fc.array(fc.option(fc.nat(), { nil: null }), { maxLength: 30 }).map((parents) =>
  parents.map((p, i) => ({
    id: `t${i}`,
    parentTaskId: p === null || i === 0 ? null : `t${p % i}`,
  })),
);

describe('classification', () => {
  it('When a status is CLOSED or VERIFIED it is completed, LONG_TERM long-term, any other in progress', () => {
    expect(TASK_STATUSES.map((s) => [s, classifyStatus(s)])).toEqual([
      ['ASSIGNED', 'inProgress'],
      ['IN_PROGRESS', 'inProgress'],
      ['OVERDUE', 'inProgress'],
      ['CLOSURE_REQUESTED', 'inProgress'],
      ['CLOSED', 'completed'],
      ['LONG_TERM', 'longTerm'],
      ['VERIFIED', 'completed'],
    ]);
  });

  it('When rows are totalled, then completed + in progress + long-term = measures and red, overdue ≤ measures', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 40 }), (rows) => {
        const t = totalsOf(rows);
        expect(t.completed + t.inProgress + t.longTerm).toBe(t.measures);
        expect(t.measures).toBe(rows.reduce((n, r) => n + r.count, 0));
        expect(t.red).toBeLessThanOrEqual(t.measures);
        expect(t.overdue).toBeLessThanOrEqual(t.measures);
        expect(t.problems).toBe(new Set(rows.filter((r) => r.count > 0).map((r) => r.problemId)).size);
        expect(t.completionRate).toBeGreaterThanOrEqual(0);
        expect(t.completionRate).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('When rows are grouped, then the groups add up to the totals (problems may fall in several groups)', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 40 }), (rows) => {
        const t = totalsOf(rows);
        const groups = groupFigures(rows, (k) => `组${k}`);
        for (const field of ['measures', 'completed', 'inProgress', 'longTerm', 'overdue', 'red'] as const) {
          expect(groups.reduce((n, g) => n + g[field], 0)).toBe(t[field]);
        }
        expect(groups.reduce((n, g) => n + g.problems, 0)).toBeGreaterThanOrEqual(t.problems);
        expect(groups.every((g) => g.measures > 0 && g.name === `组${g.key}`)).toBe(true);
        // Most measures first.
        expect(groups.map((g) => g.measures)).toEqual([...groups.map((g) => g.measures)].sort((a, b) => b - a));
      }),
    );
  });
});

describe('completion rate', () => {
  it('When there are no measures, then 0; else (completed + long-term) ÷ measures to 4 places', () => {
    expect(completionRate({ completed: 0, longTerm: 0, measures: 0 })).toBe(0);
    expect(completionRate({ completed: 62, longTerm: 0, measures: 62 })).toBe(1);
    expect(completionRate({ completed: 1, longTerm: 1, measures: 3 })).toBe(0.6667);
    expect(completionRate({ completed: 1, longTerm: 0, measures: 3 })).toBe(0.3333);
  });

  it('When a measure moves from in progress to completed or long-term, then the rate never falls', () => {
    fc.assert(
      fc.property(fc.nat(50), fc.nat(50), fc.nat(50), (completed, longTerm, inProgress) => {
        fc.pre(inProgress > 0);
        const measures = completed + longTerm + inProgress;
        const before = completionRate({ completed, longTerm, measures });
        expect(completionRate({ completed: completed + 1, longTerm, measures })).toBeGreaterThan(before);
        expect(completionRate({ completed, longTerm: longTerm + 1, measures })).toBeGreaterThan(before);
      }),
    );
  });
});

describe('measures: split parents counted once', () => {
  it('When tasks form a forest, then the measures are exactly its roots (children roll up into their parent)', () => {
    fc.assert(
      fc.property(forest, (tasks) => {
        const measures = measuresOf(tasks);
        expect(measures.map((t) => t.id)).toEqual(tasks.filter((t) => t.parentTaskId === null).map((t) => t.id));
      }),
    );
  });

  it('When a parent is out of the counted set (a city sees only its child), then the child counts for itself', () => {
    fc.assert(
      fc.property(forest, fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }), (tasks, keep) => {
        const visible = tasks.filter((_, i) => keep[i]);
        const ids = new Set(visible.map((t) => t.id));
        const measures = measuresOf(visible);
        for (const t of visible) {
          const counted = measures.includes(t);
          expect(counted).toBe(t.parentTaskId === null || !ids.has(t.parentTaskId));
        }
        // Every visible task is a measure or below one that is: nothing is lost, nothing counted twice.
        expect(new Set(measures.map((m) => m.id)).size).toBe(measures.length);
      }),
    );
  });

  it('When a parent has three children, then one measure whose class is the parent own status', () => {
    const tasks = [
      { id: 'p', parentTaskId: null, status: 'IN_PROGRESS' },
      { id: 'c1', parentTaskId: 'p', status: 'CLOSED' },
      { id: 'c2', parentTaskId: 'p', status: 'CLOSED' },
      { id: 'c3', parentTaskId: 'p', status: 'CLOSED' },
    ];
    const rows: TMeasureRow[] = measuresOf(tasks).map((t) => ({
      problemId: 'p1',
      key: 'u',
      status: t.status,
      overdue: false,
      light: 'green',
      count: 1,
    }));
    expect(totalsOf(rows)).toMatchObject({ measures: 1, completed: 0, inProgress: 1, completionRate: 0 });
  });
});

describe('figures as of a past date', () => {
  const task = {
    createdAt: '2026-03-01T02:00:00.000Z',
    deadlineDate: '2026-06-30',
    changes: [
      { toStatus: 'IN_PROGRESS', at: '2026-03-02T02:00:00.000Z' },
      { toStatus: 'CLOSURE_REQUESTED', at: '2026-05-10T02:00:00.000Z' },
      // 2026-05-20 23:30 in Shanghai: still the 20th there.
      { toStatus: 'CLOSED', at: '2026-05-20T15:30:00.000Z' },
    ],
    escalations: [],
  };

  it('When the day is before the task existed, then it is not counted', () => {
    expect(taskAsOf(task, '2026-02-28')).toBeNull();
  });

  it('When the day ends, then the last status change before its end (Shanghai) holds', () => {
    expect(taskAsOf(task, '2026-03-01')).toEqual({ status: 'ASSIGNED', overdue: false, light: 'green' });
    expect(taskAsOf(task, '2026-05-19')?.status).toBe('CLOSURE_REQUESTED');
    expect(taskAsOf(task, '2026-05-20')?.status).toBe('CLOSED');
  });

  it('When a working task is past its deadline date, then it is overdue and red as of that day; on the day, not yet', () => {
    const open = { ...task, changes: task.changes.slice(0, 1) };
    expect(taskAsOf(open, '2026-06-30')).toEqual({ status: 'IN_PROGRESS', overdue: false, light: 'green' });
    expect(taskAsOf(open, '2026-07-01')).toEqual({ status: 'IN_PROGRESS', overdue: true, light: 'red' });
    // Closed before the deadline: never overdue afterwards.
    expect(taskAsOf(task, '2026-07-01')).toEqual({ status: 'CLOSED', overdue: false, light: 'green' });
  });

  it('When a task reached listed supervision by then, then it is red', () => {
    const listed = {
      ...task,
      deadlineDate: null,
      changes: task.changes.slice(0, 1),
      escalations: [{ step: 'listed_supervision', at: '2026-04-01T02:00:00.000Z' }],
    };
    expect(taskAsOf(listed, '2026-03-31')?.light).toBe('green');
    expect(taskAsOf(listed, '2026-04-01')?.light).toBe('red');
  });

  it('When changes arrive in any order, then the status is the latest one by the end of the day', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ toStatus: status, day: fc.integer({ min: 2, max: 28 }) }), { maxLength: 10 }),
        fc.integer({ min: 1, max: 28 }),
        (changes, day) => {
          const dated = changes.map((c, i) => ({
            toStatus: c.toStatus,
            at: new Date(Date.UTC(2026, 2, c.day, 1, 0, i)).toISOString(),
          }));
          const asOf = `2026-03-${String(day).padStart(2, '0')}`;
          const got = taskAsOf(
            { createdAt: '2026-03-01T00:00:00.000Z', deadlineDate: null, changes: dated, escalations: [] },
            asOf,
          );
          const before = [...dated]
            .filter((c) => c.at < `${asOf}T16:00:00.000Z`)
            .sort((a, b) => a.at.localeCompare(b.at));
          expect(got?.status).toBe(before.length ? before[before.length - 1]!.toStatus : 'ASSIGNED');
          const reversed = taskAsOf(
            {
              createdAt: '2026-03-01T00:00:00.000Z',
              deadlineDate: null,
              changes: [...dated].reverse(),
              escalations: [],
            },
            asOf,
          );
          expect(reversed).toEqual(got);
        },
      ),
    );
  });
});

describe('ledger words', () => {
  const day = fc
    .record({
      y: fc.integer({ min: 2020, max: 2099 }),
      m: fc.integer({ min: 1, max: 12 }),
      d: fc.integer({ min: 1, max: 28 }),
    })
    .map(({ y, m, d }) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`);

  it('When a deadline without the plan wording is printed, then the deadline parser reads back its kind and date', () => {
    const ctx = { assignedOn: '2026-01-05', immediateDays: 7 };
    fc.assert(
      fc.property(fc.constantFrom(...DEADLINE_KINDS), day, (kind, date) => {
        const hasDate = kind === 'date' || kind === 'date_then_long_term';
        const text = deadlineWording({ deadlineText: null, deadlineKind: kind, deadlineDate: hasDate ? date : null });
        const parsed = parseDeadlineText(text, ctx);
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        expect(parsed.value.kind).toBe(kind);
        if (hasDate) expect((parsed.value as { date: string }).date).toBe(date);
      }),
    );
  });

  it('When the task kept the plan wording, then it is printed as written; dates in Chinese without leading zeros', () => {
    expect(
      deadlineWording({ deadlineText: '2021年6月底前完成', deadlineKind: 'date', deadlineDate: '2021-06-30' }),
    ).toBe('2021年6月底前完成');
    expect(chineseDate('2026-06-05')).toBe('2026年6月5日');
    expect(percent(1)).toBe('100%');
    expect(percent(0.6667)).toBe('66.67%');
    expect(percent(0)).toBe('0%');
  });
});
