/**
 * Tail probabilities for counts: how likely so few events (or so many
 * without a client id) are under what the baseline days saw. Pure.
 *
 * Counts of real traffic vary more from day to day than a Poisson process
 * would (a quiet Monday, a campaign): when the baseline's variance exceeds
 * its mean, the count is judged as negative binomial with that mean and
 * variance; otherwise as Poisson. Sparse types (purchases) thus carry their
 * own, wide, idea of normal.
 */

const LANCZOS = [
  676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406, 12.507343278686905,
  -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7; relative error below 1e-13). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = 0.9999999999998099;
  const t = z + 7.5;
  for (let i = 0; i < LANCZOS.length; i++) a += LANCZOS[i]! / (z + i + 1);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** P(X ≤ k) for a count with this mean and variance (Poisson when the variance is not above the mean). */
export function countCdf(k: number, mean: number, variance: number): number {
  if (k < 0) return 0;
  if (mean <= 0) return 1;
  let sum = 0;
  if (variance <= mean * 1.0001) {
    const lnMean = Math.log(mean);
    for (let i = 0; i <= k; i++) sum += Math.exp(-mean + i * lnMean - lnGamma(i + 1));
  } else {
    // negative binomial: r successes, success probability p, mean r(1-p)/p
    const r = (mean * mean) / (variance - mean);
    const p = r / (r + mean);
    const base = r * Math.log(p) - lnGamma(r);
    const lnQ = Math.log(1 - p);
    for (let i = 0; i <= k; i++) sum += Math.exp(base + lnGamma(i + r) - lnGamma(i + 1) + i * lnQ);
  }
  return Math.min(1, sum);
}

/** P(X ≥ k) for X ~ Binomial(n, p). */
export function binomialSf(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const lnP = Math.log(p);
  const lnQ = Math.log(1 - p);
  const lnN = lnGamma(n + 1);
  let sum = 0;
  for (let i = k; i <= n; i++)
    sum += Math.exp(lnN - lnGamma(i + 1) - lnGamma(n - i + 1) + i * lnP + (n - i) * lnQ);
  return Math.min(1, sum);
}

/** Mean and sample variance (n − 1) of some values; variance 0 for fewer than two. */
export function meanAndVariance(values: readonly number[]): { mean: number; variance: number } {
  if (values.length === 0) return { mean: 0, variance: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length < 2) return { mean, variance: 0 };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, variance };
}

/**
 * Mean and variance of the baseline days' counts, the days below a quarter
 * of the median day's left out: such a day had an outage or a broken tag of
 * its own in the span, and kept in it would drag the mean down and blow the
 * variance up, blinding the check to the same failure today.
 */
export function meanAndVarianceWithoutOutages(values: readonly number[]): { mean: number; variance: number } {
  const median = medianOf(values);
  return meanAndVariance(values.filter((v) => v >= median / 4));
}

/**
 * The median and a robust variance ((1.4826 · MAD)², the normal-consistent
 * spread): for how likely no event at all is, where one or two bad baseline
 * days must move neither.
 */
export function robustMeanAndVariance(values: readonly number[]): { mean: number; variance: number } {
  if (values.length === 0) return { mean: 0, variance: 0 };
  const median = medianOf(values);
  const mad = medianOf(values.map((v) => Math.abs(v - median)));
  return { mean: median, variance: (1.4826 * mad) ** 2 };
}

export function medianOf(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
