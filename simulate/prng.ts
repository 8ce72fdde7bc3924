/**
 * A small seeded PRNG for the simulation. Every draw comes from a generator keyed by (seed, task, month, phase), not
 * from one shared stream, so the outcome of a task does not depend on the order in which concurrent tasks happen to
 * run: the same seed gives the same campaign whatever the scheduling.
 */

/** FNV-1a over the key's text, then a murmur3 finaliser: a well-mixed 32-bit seed per key. */
export function hashKey(parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  const text = parts.join('\u0000');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export interface TRng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One of the weighted options. */
  pick<T>(options: readonly (readonly [T, number])[]): T;
}

/** mulberry32: tiny, fast and good enough for behaviour draws (not for anything secret). */
export function createRng(seed: number): TRng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (options) => {
      const total = options.reduce((sum, [, w]) => sum + w, 0);
      let r = next() * total;
      for (const [value, weight] of options) {
        r -= weight;
        if (r < 0) return value;
      }
      return options[options.length - 1]![0];
    },
  };
}

/** The generator for one key, e.g. `rngFor(seed, 'report', taskIndex, month)`. */
export function rngFor(seed: number, ...key: (string | number)[]): TRng {
  return createRng(hashKey([seed, ...key]));
}
