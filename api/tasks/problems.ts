/**
 * The categories and problems a batch of new tasks names, found or created in a number of statements bounded per
 * batch rather than per problem (task creation, `create.ts`, and the spreadsheet import, `imports/commit.ts`). The same
 * title in the same category of a campaign is the same problem; the first new task naming one gives its detail.
 */
import { randomUUID } from 'node:crypto';
import type { Prisma } from '../../db/client';
import type { TAppDeps } from '../deps';

export type Tx = Parameters<Parameters<TAppDeps['db']['$transaction']>[0]>[0];

/**
 * Rows per statement. SQLite binds at most 32,766 parameters a statement and PostgreSQL 65,535; a task row binds about
 * twenty, and a request may hold 500 tasks with 50 participants each.
 */
export const ROWS_PER_STATEMENT = 500;

export function chunked<T>(items: T[]): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += ROWS_PER_STATEMENT) chunks.push(items.slice(i, i + ROWS_PER_STATEMENT));
  return chunks;
}

export interface TNamedProblem {
  category: string;
  title: string;
  detail?: string | null;
}

/** Gives each named problem's id, creating the categories and problems the campaign does not have yet. */
export async function ensureProblems(
  tx: Tx,
  campaignId: string,
  named: readonly TNamedProblem[],
): Promise<(p: { category: string; title: string }) => string> {
  const categoryIds = new Map<string, string>();
  const names = [...new Set(named.map((p) => p.category))];
  for (const chunk of chunked(names)) {
    const found = await tx.category.findMany({
      where: { campaignId, name: { in: chunk } },
      select: { id: true, name: true },
    });
    for (const c of found) categoryIds.set(c.name, c.id);
  }
  for (const name of names) {
    if (categoryIds.has(name)) continue;
    // A category new to the campaign, one upsert each: a concurrent request (PostgreSQL) may be adding the same name,
    // which the unique (campaignId, name) resolves. A batch names few categories, new only once.
    const category = await tx.category.upsert({
      where: { campaignId_name: { campaignId, name } },
      create: { campaignId, name },
      update: {},
      select: { id: true },
    });
    categoryIds.set(name, category.id);
  }

  const problemKey = (categoryId: string, title: string): string => `${categoryId}\u0000${title}`;
  const wanted = new Map<string, { categoryId: string; title: string; detail: string | null }>();
  for (const p of named) {
    const categoryId = categoryIds.get(p.category)!;
    const key = problemKey(categoryId, p.title);
    if (!wanted.has(key)) wanted.set(key, { categoryId, title: p.title, detail: p.detail ?? null });
  }
  const problemIds = new Map<string, string>();
  const wantedCategoryIds = [...new Set([...wanted.values()].map((p) => p.categoryId))];
  for (const titles of chunked([...new Set([...wanted.values()].map((p) => p.title))])) {
    const found = await tx.problem.findMany({
      where: { campaignId, categoryId: { in: wantedCategoryIds }, title: { in: titles } },
      select: { id: true, categoryId: true, title: true },
    });
    for (const p of found) {
      const key = problemKey(p.categoryId, p.title);
      if (wanted.has(key) && !problemIds.has(key)) problemIds.set(key, p.id);
    }
  }
  const newProblems: Prisma.ProblemCreateManyInput[] = [];
  for (const [key, problem] of wanted) {
    if (problemIds.has(key)) continue;
    // The ID the schema's default would give (a v4 UUID), chosen here so that the tasks can name it.
    const id = randomUUID();
    problemIds.set(key, id);
    newProblems.push({ id, campaignId, ...problem });
  }
  for (const chunk of chunked(newProblems)) await tx.problem.createMany({ data: chunk });
  return (p) => problemIds.get(problemKey(categoryIds.get(p.category)!, p.title))!;
}
