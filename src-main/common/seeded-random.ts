// A small seeded generator (mulberry32) so that a session's jitter can be replayed from its seed.

export type Random = () => number;

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `base` moved by up to +-`jitter` of itself. */
export function jittered(random: Random, base: number, jitter: number): number {
  return base * (1 + jitter * (2 * random() - 1));
}

/** Uniform in [min, max]. */
export function between(random: Random, min: number, max: number): number {
  return min + (max - min) * random();
}
