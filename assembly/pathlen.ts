// Average path length of an unsuccessful BST search, c(n) in Liu, Ting & Zhou (2008):
// c(n) = 2 H(n-1) - 2 (n-1) / n, with H(i) ~ ln(i) + Euler's constant (the paper's and
// scikit-learn's approximation, so scores match scikit-learn's), c(1) = 0 and c(2) = 1.

const EULER_GAMMA: f64 = 0.5772156649015329;

export function avgPathLength(n: i32): f64 {
  if (n <= 1) return 0.0;
  if (n == 2) return 1.0;
  const m = <f64>n;
  return 2.0 * (Math.log(m - 1.0) + EULER_GAMMA) - 2.0 * (m - 1.0) / m;
}

/** Height limit ceil(log2 psi), with psi < 2 treated as 2 (as scikit-learn does). */
export function heightLimit(psi: i32): i32 {
  let h = 0;
  let p = psi < 2 ? 2 : psi;
  while ((1 << h) < p) h++;
  return h;
}
