// xoshiro256** seeded by splitmix64: fast, good quality, and pure integer arithmetic, so
// the same seed yields the same stream (and thus bit-identical forests) in every host.
// The 4 state words live in the model record (see forest.ts), passed here by address.

function splitmix64(state: usize): u64 {
  let z = load<u64>(state) + 0x9e3779b97f4a7c15;
  store<u64>(state, z);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

/** Seeds the 32-byte state at `s` from a 64-bit seed. */
export function rngSeed(s: usize, seed: u64): void {
  store<u64>(s, seed);
  const a = splitmix64(s), b = splitmix64(s), c = splitmix64(s), d = splitmix64(s);
  store<u64>(s, a, 0);
  store<u64>(s, b, 8);
  store<u64>(s, c, 16);
  store<u64>(s, d, 24);
}

@inline function rotl(x: u64, k: u64): u64 {
  return (x << k) | (x >> (64 - k));
}

export function rngNext(s: usize): u64 {
  const s0 = load<u64>(s, 0), s1 = load<u64>(s, 8), s2 = load<u64>(s, 16), s3 = load<u64>(s, 24);
  const result = rotl(s1 * 5, 7) * 9;
  const t = s1 << 17;
  const n2 = s2 ^ s0;
  const n3 = s3 ^ s1;
  const n1 = s1 ^ n2;
  const n0 = s0 ^ n3;
  store<u64>(s, n0, 0);
  store<u64>(s, n1, 8);
  store<u64>(s, n2 ^ t, 16);
  store<u64>(s, rotl(n3, 45), 24);
  return result;
}

/** Uniform double in [0, 1) with 53 random bits. */
export function rngUniform(s: usize): f64 {
  return <f64>(rngNext(s) >> 11) * 1.1102230246251565e-16; // 2^-53
}

/** Uniform integer in [0, n) for 0 < n < 2^32 (Lemire's multiply-shift, bias < 2^-32). */
export function rngBelow(s: usize, n: u32): u32 {
  return <u32>(((rngNext(s) >> 32) * <u64>n) >> 32);
}
