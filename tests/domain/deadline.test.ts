import seed004 from '../fixtures/deadlines-004.json';
import wordings from '../fixtures/deadlines-wordings.json';
import {
  deadlineDate,
  isLongTermKind,
  parseDeadline,
  parseDeadlineText,
  resolveDeadlineInput,
  withDeadlineDate,
  ZDeadline,
  type TDeadline,
} from '../../domain/deadline';

const ctx004 = { assignedOn: seed004.assignedOn, immediateDays: seed004.immediateDays };

describe('parseDeadlineText on every deadline wording of seed 004 (verbatim, as extracted)', () => {
  it('the fixture holds all 24 整改时限 lines of the task list', () => {
    expect(seed004.wordings).toHaveLength(24);
  });

  it.each(seed004.wordings.map((w) => [`line ${w.line}: ${JSON.stringify(w.text)}`, w] as const))('%s', (_name, w) => {
    const result = parseDeadlineText(w.text, ctx004);
    expect(result).toEqual({ ok: true, value: w.expected });
    if (result.ok) expect(ZDeadline.parse(result.value)).toEqual(w.expected);
  });

  it.each(seed004.inText.map((w) => [w.text, w] as const))('wording used in the plan text: %s', (_t, w) => {
    expect(parseDeadlineText(w.text, ctx004)).toEqual({ ok: true, value: w.expected });
  });
});

describe('parseDeadlineText on the canonical wordings', () => {
  const ctx = { assignedOn: wordings.assignedOn, immediateDays: wordings.immediateDays };

  it.each(wordings.valid.map((w) => [w.text, w.expected] as const))('%s', (text, expected) => {
    expect(parseDeadlineText(text, ctx)).toEqual({ ok: true, value: expected });
  });

  it.each(wordings.invalid.map((w) => [w.text, w.why] as const))('refuses %j (%s) naming the text', (text) => {
    const result = parseDeadlineText(text, ctx);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.type).toBe('ValidationError');
      expect(result.error.message).toContain(`"${text}"`);
    }
  });

  it('derives the immediate date from the assignment date and the policy days', () => {
    expect(parseDeadlineText('立行立改', { assignedOn: '2021-02-20', immediateDays: 15 })).toEqual({
      ok: true,
      value: { kind: 'immediate', date: '2021-03-07' },
    });
    expect(parseDeadlineText('立行立改，长期推进', { assignedOn: '2020-12-25', immediateDays: 10 })).toEqual({
      ok: true,
      value: { kind: 'immediate_then_long_term', date: '2021-01-04' },
    });
  });

  it('splits a glued date only where exactly one split is a real date', () => {
    expect(parseDeadlineText('2021630日前完成', ctx)).toEqual({
      ok: true,
      value: { kind: 'date', date: '2021-06-30' },
    });
    expect(parseDeadlineText('2021229日前完成', ctx).ok).toBe(false);
    expect(parseDeadlineText('2024229日前完成', ctx)).toEqual({
      ok: true,
      value: { kind: 'date', date: '2024-02-29' },
    });
  });

  it('refuses a bad assignment date', () => {
    const result = parseDeadlineText('立行立改', { assignedOn: '2020-13-01', immediateDays: 15 });
    expect(result.ok).toBe(false);
  });
});

describe('structured deadlines', () => {
  const ctx = { assignedOn: '2020-10-16', immediateDays: 15 };

  it('fills the derived date of immediate kinds and keeps a given one', () => {
    expect(resolveDeadlineInput({ kind: 'immediate' }, ctx)).toEqual({ kind: 'immediate', date: '2020-10-31' });
    expect(resolveDeadlineInput({ kind: 'immediate_then_long_term', date: '2020-11-05' }, ctx)).toEqual({
      kind: 'immediate_then_long_term',
      date: '2020-11-05',
    });
    expect(resolveDeadlineInput({ kind: 'long_term' }, ctx)).toEqual({ kind: 'long_term' });
  });

  it('parseDeadline takes the wording or the structured form and refuses malformed input', () => {
    expect(parseDeadline('长期坚持', ctx)).toEqual({ ok: true, value: { kind: 'long_term' } });
    expect(parseDeadline({ kind: 'date', date: '2021-06-30' }, ctx)).toEqual({
      ok: true,
      value: { kind: 'date', date: '2021-06-30' },
    });
    for (const bad of [{ kind: 'date' }, { kind: 'date', date: '2021-02-30' }, { kind: 'soon' }, 42, null]) {
      const result = parseDeadline(bad, ctx);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.type).toBe('ValidationError');
    }
  });

  it('deadlineDate, isLongTermKind and withDeadlineDate follow the kind', () => {
    const cases: [TDeadline, string | null, boolean][] = [
      [{ kind: 'date', date: '2020-12-31' }, '2020-12-31', false],
      [{ kind: 'immediate', date: '2020-10-31' }, '2020-10-31', false],
      [{ kind: 'long_term' }, null, true],
      [{ kind: 'date_then_long_term', date: '2021-06-30' }, '2021-06-30', true],
      [{ kind: 'immediate_then_long_term', date: '2020-10-31' }, '2020-10-31', true],
    ];
    for (const [d, date, longTerm] of cases) {
      expect(deadlineDate(d)).toBe(date);
      expect(isLongTermKind(d)).toBe(longTerm);
      expect(isLongTermKind(d.kind)).toBe(longTerm);
      expect(deadlineDate(withDeadlineDate(d, '2022-01-01'))).toBe(date === null ? null : '2022-01-01');
    }
  });
});
