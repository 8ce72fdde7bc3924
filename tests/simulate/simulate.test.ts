/**
 * The campaign simulation on the embedded stack: its summary is consistent with the database it reads, and the same
 * seed gives the same campaign.
 */
import { runSimulation, type TSimulationResult } from '../../simulate/run';

jest.setTimeout(180_000);

describe('simulation', () => {
  let first: TSimulationResult;

  beforeAll(async () => {
    first = await runSimulation({ tasks: 8, months: 3, seed: 42 });
  });

  it('When a campaign is simulated, then every month accounts for every task and totals match the last month', () => {
    expect(first.months).toHaveLength(3);
    for (const month of first.months) expect(month.open + month.closed).toBe(8);
    const closedByMonth = first.months.map((m) => m.closed);
    expect([...closedByMonth].sort((a, b) => a - b)).toEqual(closedByMonth);
    expect(first.months.at(-1)!.closed).toBe(first.totals.closed);
    expect(first.totals.auditEvents).toBeGreaterThan(8 * 2);
    expect(first.decisions).toBeGreaterThanOrEqual(8);
  });

  it('When the same seed runs again, then the month-by-month summary is the same', async () => {
    const second = await runSimulation({ tasks: 8, months: 3, seed: 42 });
    expect(second.months.map(({ period: _p, ...rest }) => rest)).toEqual(
      first.months.map(({ period: _p, ...rest }) => rest),
    );
    expect(second.totals).toEqual(first.totals);
    expect(second.decisions).toBe(first.decisions);
  });
});
