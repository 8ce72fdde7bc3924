/**
 * Password hashing with node:crypto scrypt. The stored string describes itself — `scrypt$N$r$p$salt$hash` (salt and
 * hash base64url) — so the cost can be raised later without breaking the hashes already stored.
 *
 * Cost: N = 2^15, r = 8, p = 1 (32 MiB, about 0.1 s on one core of the 2-core CI machine, measured 2026-12). That is
 * above scrypt's own recommendation for interactive logins (N = 2^14) while keeping a burst of sign-ins — and the
 * seeding of 16 demo users, hashed in parallel on libuv's thread pool (≈ 0.8 s) — cheap. Throttling (throttle.ts)
 * bounds online guessing; the cost is there for an offline attacker holding a copy of the database.
 */
import { randomBytes, randomInt, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** The largest parameters `verifyPassword` will run: a corrupted row must not make one sign-in eat gigabytes. */
const MAX_N = 2 ** 20;
const MAX_RP = 16;

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** scrypt needs 128·N·r bytes; Node's default ceiling (32 MiB) is exactly N = 2^15, r = 8 and refuses it. */
function maxmemFor(N: number, r: number, p: number): number {
  return 128 * N * r * p + 16 * 1024 * 1024;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const { N, r, p } = COST;
  const key = await scryptAsync(password, salt, KEY_BYTES, { N, r, p, maxmem: maxmemFor(N, r, p) });
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

interface TParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): TParsedHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^\d{1,8}$/.test(s) ? Number(s) : NaN));
  const salt = Buffer.from(parts[4], 'base64url');
  const key = Buffer.from(parts[5], 'base64url');
  const powerOfTwo = N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > MAX_N || !(r >= 1 && r <= MAX_RP) || !(p >= 1 && p <= MAX_RP)) return null;
  if (salt.length < 8 || key.length < 16) return null;
  return { N, r, p, salt, key };
}

/** True when `password` matches `stored`; false for a wrong password and for a hash this module cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const { N, r, p, salt, key } = parsed;
  const candidate = await scryptAsync(password, salt, key.length, { N, r, p, maxmem: maxmemFor(N, r, p) });
  return timingSafeEqual(candidate, key);
}

let dummy: Promise<string> | undefined;

/**
 * A hash of a random password, made once per process: an unknown user (or one without a password) is checked
 * against it, so the answer takes as long as for a real account and timing does not tell which usernames exist.
 */
export function dummyPasswordHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('base64url'));
  return dummy;
}

/** Letters and digits that cannot be mistaken for one another when read aloud or off a screen (no 0/O, 1/l/I). */
const UNAMBIGUOUS = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';

/** A random password of `length` unambiguous characters (12 ≈ 70 bits). */
export function generatePassword(length = 12): string {
  let out = '';
  for (let i = 0; i < length; i++) out += UNAMBIGUOUS[randomInt(UNAMBIGUOUS.length)];
  return out;
}
