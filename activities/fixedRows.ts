/**
 * Rows that never change once written, kept per process so that each decision does not read them again: a campaign
 * (its name and policy) and a problem (its title, detail and category's name). No code updates or deletes either
 * (policies are fixed when the campaign is created; a problem is created with its tasks), so a cached copy cannot
 * go stale and needs no invalidation, across processes too. Whoever adds a way to edit one must drop this cache for it.
 *
 * Every projection reads its campaign's policy, and every task page (the answer of every decision) its campaign and
 * problem: through Prisma each read is ~0.3–0.5 ms of the process's CPU. Bounded: the oldest entry goes first.
 */
import type { Db } from '../db/client';
import { ZCampaignPolicy, type TCampaignPolicy } from '../domain/policy';

const MAX_ENTRIES = 2_000;

export interface TFixedCampaign {
  id: string;
  name: string;
  /** As stored (JSON). */
  policy: unknown;
  /** As the read side parses it: a stored policy that no longer parses reads as the default, never an error. */
  parsedPolicy: TCampaignPolicy;
}

export interface TFixedProblem {
  id: string;
  title: string;
  detail: string | null;
  category: { name: string };
}

const campaigns = new Map<string, TFixedCampaign>();
const problems = new Map<string, TFixedProblem>();

function remember<T>(cache: Map<string, T>, key: string, value: T): T {
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}

/** A stored policy, parsed as the API parses it: one that no longer parses reads as the default, never an error. */
export function parseStoredPolicy(stored: unknown): TCampaignPolicy {
  const parsed = ZCampaignPolicy.safeParse(stored ?? {});
  return parsed.success ? parsed.data : ZCampaignPolicy.parse({});
}

/** The campaign, from this process's copy or one primary-key read; null when there is no such campaign. */
export async function fixedCampaign(db: Pick<Db, 'campaign'>, campaignId: string): Promise<TFixedCampaign | null> {
  const known = campaigns.get(campaignId);
  if (known) return known;
  const row = await db.campaign.findUnique({
    where: { id: campaignId },
    select: { id: true, name: true, policy: true },
  });
  if (!row) return null;
  return remember(campaigns, campaignId, { ...row, parsedPolicy: parseStoredPolicy(row.policy) });
}

/** The campaign's policy (the default when the campaign is missing, as a stored policy that does not parse). */
export async function campaignPolicy(db: Pick<Db, 'campaign'>, campaignId: string): Promise<TCampaignPolicy> {
  return (await fixedCampaign(db, campaignId))?.parsedPolicy ?? parseStoredPolicy(null);
}

/** The problem with its category's name, from this process's copy or one read; null when there is none. */
export async function fixedProblem(db: Pick<Db, 'problem'>, problemId: string): Promise<TFixedProblem | null> {
  const known = problems.get(problemId);
  if (known) return known;
  const row = await db.problem.findUnique({
    where: { id: problemId },
    select: { id: true, title: true, detail: true, category: { select: { name: true } } },
  });
  if (!row) return null;
  return remember(problems, problemId, row);
}

/**
 * Several rows at once: this process's copies, the others in one read (`read` gets the ids missing here). Ids with no
 * row are left out.
 */
async function fixedMany<T extends { id: string }>(
  cache: Map<string, T>,
  ids: readonly string[],
  read: (missing: string[]) => Promise<T[]>,
): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  const missing = new Set<string>();
  for (const id of ids) {
    const known = cache.get(id);
    if (known) out.set(id, known);
    else missing.add(id);
  }
  if (missing.size === 0) return out;
  for (const row of await read([...missing])) out.set(row.id, remember(cache, row.id, row));
  return out;
}

/** Several campaigns at once (see `fixedMany`). */
export function fixedCampaigns(
  db: Pick<Db, 'campaign'>,
  campaignIds: readonly string[],
): Promise<Map<string, TFixedCampaign>> {
  return fixedMany(campaigns, campaignIds, async (missing) =>
    (
      await db.campaign.findMany({ where: { id: { in: missing } }, select: { id: true, name: true, policy: true } })
    ).map((row) => ({ ...row, parsedPolicy: parseStoredPolicy(row.policy) })),
  );
}

/** Several problems at once, each with its category's name (see `fixedMany`). */
export function fixedProblems(
  db: Pick<Db, 'problem'>,
  problemIds: readonly string[],
): Promise<Map<string, TFixedProblem>> {
  return fixedMany(problems, problemIds, (missing) =>
    db.problem.findMany({
      where: { id: { in: missing } },
      select: { id: true, title: true, detail: true, category: { select: { name: true } } },
    }),
  );
}
