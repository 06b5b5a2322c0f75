// Seeded pseudo-random numbers for the generator: the same --seed gives the same events, byte for byte.
// sfc32 (128-bit state, passes PractRand) seeded through cyrb128 so any string or number is a seed;
// Math.random cannot be seeded and would make runs impossible to reproduce.

export interface Prng {
  /** A float in [0, 1). */
  float(): number;
  /** An unsigned 32-bit integer. */
  uint32(): number;
  /** An integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** 32 lower-case hex characters (128 random bits): collisions within a run are negligible. */
  hex128(): string;
}

/** Hashes a seed into four 32-bit words (cyrb128), so nearby seeds give unrelated streams. */
function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

export function createPrng(seed: number | string): Prng {
  let [a, b, c, d] = cyrb128(String(seed));
  const uint32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Discard the first outputs: sfc32 mixes poorly right after seeding.
  for (let i = 0; i < 15; i++) uint32();
  const float = (): number => uint32() / 4294967296;
  return {
    uint32,
    float,
    int: (min, max) => min + Math.floor(float() * (max - min + 1)),
    pick: (items) => {
      if (items.length === 0) throw new RangeError('pick() needs a non-empty array');
      return items[Math.floor(float() * items.length)] as (typeof items)[number];
    },
    hex128: () =>
      [uint32(), uint32(), uint32(), uint32()].map((word) => word.toString(16).padStart(8, '0')).join(''),
  };
}
