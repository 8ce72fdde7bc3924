/**
 * Failed sign-ins are counted in the LoginThrottle table — per account (`user:<username>`) and per client address
 * (`ip:<address>`) — so the limits hold across API processes and restarts.
 *
 * - An account: 5 failures within 15 minutes lock it for 15 minutes (an online guesser gets 20 tries an hour).
 * - An address: 20 failures within 15 minutes lock it for 15 minutes (one machine trying many accounts). An office
 *   behind one NAT address shares that budget; 20 is generous for people mistyping their own passwords.
 * The check runs before the password is verified, so a locked key costs no scrypt; a success clears the account's
 * counter but not the address's (a valid account must not reset the budget of someone guessing others).
 * The account key exists for unknown usernames too: the answer does not tell whether a user exists.
 */
import { isIPv6 } from 'node:net';
import type { Db } from '../../db/client';

export interface TThrottleRule {
  maxFailures: number;
  windowMs: number;
  lockMs: number;
}

export const ACCOUNT_RULE: TThrottleRule = { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };
export const ADDRESS_RULE: TThrottleRule = { maxFailures: 20, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };

export interface TThrottleKey {
  key: string;
  rule: TThrottleRule;
}

export function accountKey(username: string): TThrottleKey {
  // Case-folded: `Office` and `office` are the same account to a guesser.
  return { key: `user:${username.trim().toLowerCase()}`, rule: ACCOUNT_RULE };
}

/**
 * The address key. IPv4 (also IPv4-mapped IPv6) as is; IPv6 by its /64, since one subscriber usually holds a whole
 * /64 and could otherwise rotate through addresses.
 */
export function addressKey(address: string | undefined): TThrottleKey {
  let a = (address ?? 'unknown').trim().toLowerCase();
  if (a.startsWith('::ffff:') && a.includes('.')) a = a.slice('::ffff:'.length);
  else if (isIPv6(a)) a = `${ipv6Prefix64(a)}::/64`;
  return { key: `ip:${a}`, rule: ADDRESS_RULE };
}

function ipv6Prefix64(address: string): string {
  const [head, tail] = address.split('%')[0].split('::');
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':');
}

/** Seconds until the latest lock among `keys` ends, or 0 when none is locked. */
export async function lockedForSeconds(db: Db, keys: TThrottleKey[], now: Date): Promise<number> {
  const rows = await db.loginThrottle.findMany({ where: { key: { in: keys.map((k) => k.key) } } });
  let until = 0;
  for (const row of rows) {
    if (row.lockedUntil && row.lockedUntil.getTime() > now.getTime())
      until = Math.max(until, row.lockedUntil.getTime());
  }
  return until === 0 ? 0 : Math.ceil((until - now.getTime()) / 1000);
}

/** Counts one failure against each key, locking those that reach their limit within their window. */
export async function recordFailure(db: Db, keys: TThrottleKey[], now: Date): Promise<void> {
  for (const { key, rule } of keys) {
    const row = await db.loginThrottle.findUnique({ where: { key } });
    const stale =
      !row ||
      row.windowStart.getTime() + rule.windowMs <= now.getTime() ||
      (row.lockedUntil !== null && row.lockedUntil.getTime() <= now.getTime());
    if (stale) {
      // A new window. (A lock always outlasts its window, so an ended lock also means an ended window.)
      await db.loginThrottle.upsert({
        where: { key },
        create: { key, failures: 1, windowStart: now },
        update: { failures: 1, windowStart: now, lockedUntil: null },
      });
      continue;
    }
    // An atomic increment: two processes failing at once both count.
    const updated = await db.loginThrottle.update({ where: { key }, data: { failures: { increment: 1 } } });
    if (updated.failures >= rule.maxFailures && !updated.lockedUntil) {
      await db.loginThrottle.update({ where: { key }, data: { lockedUntil: new Date(now.getTime() + rule.lockMs) } });
    }
  }
}

export async function clearFailures(db: Db, key: TThrottleKey): Promise<void> {
  await db.loginThrottle.deleteMany({ where: { key: key.key } });
}
