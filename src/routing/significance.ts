/**
 * Significance tests and sample sizes for A/B experiments, from the aggregates the usage store can return
 * (counts, sums, sums of squares). Pure functions over plain data and no dependencies, so that a verdict can be
 * recomputed anywhere and checked against textbook examples (significance.test.ts).
 *
 * The distribution functions are the classical ones: the normal tail through erfc (series and continued
 * fraction of the incomplete gamma function at a = 1/2), the normal quantile by Acklam's rational approximation
 * with one Halley step, Student's t through the regularized incomplete beta function (Numerical Recipes' betai
 * and betacf, log-gamma by Lanczos; Hill's expansion from df = 10⁴, where the fraction loses digits) and its
 * quantile by safeguarded Newton on the tail. Tails are computed
 * directly rather than as 1 − CDF, because p-values of large experiments are far below double precision's 1e-16.
 */

/** What a test decides once both variants have enough traffic. */
export type Verdict = 'insufficient_data' | 'no_significant_difference' | 'b_better' | 'a_better';

export interface TwoProportionZTestInput {
  readonly successesA: number;
  readonly trialsA: number;
  readonly successesB: number;
  readonly trialsB: number;
  /** Two-sided confidence level of the interval; 1 − confidence is the significance level. */
  readonly confidence?: number;
}

export interface TwoProportionZTestResult {
  readonly test: 'two-proportion-z';
  readonly rateA: number;
  readonly rateB: number;
  /** rateB − rateA. */
  readonly difference: number;
  readonly z: number;
  readonly pValue: number;
  readonly confidenceInterval: readonly [low: number, high: number];
  readonly significant: boolean;
}

export interface WelchTTestInput {
  readonly meanA: number;
  /** Sample variance (divisor n − 1), as summarize() returns it. */
  readonly varianceA: number;
  readonly countA: number;
  readonly meanB: number;
  readonly varianceB: number;
  readonly countB: number;
  readonly confidence?: number;
}

export interface WelchTTestResult {
  readonly test: 'welch-t';
  /** meanB − meanA. */
  readonly difference: number;
  readonly t: number;
  /** Welch–Satterthwaite degrees of freedom; 0 when the test is undefined (see welchTTest). */
  readonly df: number;
  readonly pValue: number;
  readonly confidenceInterval: readonly [low: number, high: number];
  readonly significant: boolean;
}

export type SignificanceResult = TwoProportionZTestResult | WelchTTestResult;

export interface Summary {
  readonly mean: number;
  readonly variance: number;
}

export interface ProportionSampleSizeInput {
  readonly baselineRate: number;
  /** Absolute difference to detect (0.02 for 10% → 12%); its sign picks the direction of the alternative rate. */
  readonly minimumEffect: number;
  readonly alpha?: number;
  readonly power?: number;
}

export interface MeanSampleSizeInput {
  readonly standardDeviation: number;
  readonly minimumEffect: number;
  readonly alpha?: number;
  readonly power?: number;
}

export interface VerdictInput {
  readonly result: SignificanceResult;
  readonly sampleSizeA: number;
  readonly sampleSizeB: number;
  /** Per-variant minimum, usually from sampleSizeForProportions / sampleSizeForMeans. */
  readonly minimumSampleSize: number;
  /** True for success rate and feedback, false for latency and cost: decides which sign of B − A wins. */
  readonly higherIsBetter: boolean;
}

const SQRT2 = Math.SQRT2;
const SQRT_PI = Math.sqrt(Math.PI);
const SQRT_2PI = Math.sqrt(2 * Math.PI);
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
/** Below this a Lentz denominator counts as zero (Numerical Recipes' FPMIN). */
const TINY = 1e-300;
const EPS = Number.EPSILON;

// ---------------------------------------------------------------------------------------------------------------
// Special functions

/** Lanczos coefficients for g = 7, n = 9: about 15 significant digits for Re z > 0.5, enough for double. */
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
] as const;

/** ln Γ(z) for z > 0. */
function logGamma(z: number): number {
  // Lanczos is only accurate for z ≥ 1/2; the reflection formula covers the tiny shapes of a small df.
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const x = z - 1;
  let sum = 0;
  let k = 0;
  for (const c of LANCZOS) {
    sum += k === 0 ? c : c / (x + k);
    k++;
  }
  const t = x + LANCZOS_G + 0.5;
  return LOG_SQRT_2PI + (x + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Stirling's series beyond (z − ½) ln z − z + ½ ln 2π; its next term, 1/(1680 z⁷), is below 1e-17 from z = 100. */
function stirlingTail(z: number): number {
  const r = 1 / (z * z);
  return (1 / 12 - r * (1 / 360 - r / 1260)) / z;
}

/**
 * ln B(a, b). For df in the millions, ln Γ(a + b) and ln Γ(a) are each ~1e7 and their difference would keep only
 * ~9 digits, so a large argument goes through Stirling's series written as a difference that never cancels.
 */
function logBeta(a: number, b: number): number {
  const big = Math.max(a, b);
  const small = Math.min(a, b);
  if (big < 100) return logGamma(a) + logGamma(b) - logGamma(a + b);
  const logRatio = (big - 0.5) * Math.log1p(small / big) + small * Math.log(big + small) - small
    + stirlingTail(big + small) - stirlingTail(big);
  return logGamma(small) - logRatio;
}

/** Continued fraction of I_x(a, b) (Numerical Recipes' betacf, modified Lentz), for x < (a + 1)/(a + b + 2). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  // Converges in O(√max(a, b)) steps at worst; the bound only guards against a loop on bad input.
  for (let m = 1; m <= 100_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) return h;
  }
  return h;
}

/** x, 1 − x and their logarithms, each computed by the caller without cancellation or overflow. */
interface BetaArgument {
  readonly x: number;
  readonly y: number;
  readonly logX: number;
  readonly logY: number;
}

/**
 * Regularized incomplete beta I_x(a, b). Each form of x comes from the caller: near 1, 1 − x would keep only
 * half the digits, and for a tiny df x can underflow to 0 while x^a is still a perfectly ordinary number.
 */
function regularizedBeta({ x, y, logX, logY }: BetaArgument, a: number, b: number): number {
  if (logX === -Infinity) return 0;
  if (logY === -Infinity) return 1;
  const front = Math.exp(a * logX + b * logY - logBeta(a, b));
  // The fraction converges fast only on this side of the mean; the other side goes through the symmetry.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(y, b, a)) / b;
}

/** erfc(x) = Q(½, x²): series of P below x² = 1.5, continued fraction of Q above (Numerical Recipes' gser/gcf). */
function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  const x2 = x * x;
  const front = (Math.exp(-x2) * x) / SQRT_PI;
  if (x2 < 1.5) {
    let term = 2;
    let sum = 2;
    for (let n = 1; n < 200; n++) {
      term *= x2 / (n + 0.5);
      sum += term;
      if (term < sum * EPS) break;
    }
    return 1 - front * sum;
  }
  let b = x2 + 0.5;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - 0.5);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return front * h;
}

/** P(Z > z) without the cancellation of 1 − Φ(z). */
function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / SQRT2);
}

/**
 * Above this df, the continued fraction works with x within t²/ν of 1 and its recurrences cancel (relative error
 * ≈ ν·1e-16), while Hill's expansion is accurate to ~1e-13 and better as ν grows.
 */
const HILL_MIN_DF = 1e4;

/**
 * P(|T| > |t|) by G. W. Hill's normalizing expansion (Algorithm 395, Comm. ACM 13(10), 1970): a transform of
 * a·ln(1 + t²/ν) that is normal to O(ν⁻³).
 */
function hillTwoSided(t: number, df: number): number {
  const a = df - 0.5;
  const b = 48 * a * a;
  const y = a * Math.log1p((t * t) / df);
  // Far beyond erfc's underflow; the polynomial below would otherwise overflow to Infinity / Infinity.
  if (!(y < 1e5)) return 0;
  const z = (((((-0.4 * y - 3.3) * y - 24) * y - 85.5) / (0.8 * y * y + 100 + b) + y + 3) / b + 1) * Math.sqrt(y);
  return erfc(z / SQRT2);
}

/** P(|T| > |t|) for Student's t: I_x(ν/2, ½) with x = ν/(ν + t²). */
function studentTTwoSided(t: number, df: number): number {
  if (df === Infinity) return 2 * normalUpperTail(Math.abs(t));
  if (df >= HILL_MIN_DF) return hillTwoSided(t, df);
  const r = (t * t) / df;
  const x = 1 / (1 + r);
  const y = 1 / (1 + 1 / r);
  return regularizedBeta({ x, y, logX: -logOnePlusTSquaredOverDf(t, df), logY: -Math.log1p(1 / r) }, df / 2, 0.5);
}

/** ln(1 + t²/ν), still finite when t² overflows: a df below 1 puts quantiles near 1e240. */
function logOnePlusTSquaredOverDf(t: number, df: number): number {
  const r = (t * t) / df;
  return Number.isFinite(r) ? Math.log1p(r) : 2 * Math.log(Math.abs(t)) - Math.log(df);
}

function studentTDensity(t: number, df: number): number {
  return Math.exp(-logBeta(df / 2, 0.5) - 0.5 * Math.log(df) - ((df + 1) / 2) * logOnePlusTSquaredOverDf(t, df));
}

function assertProbability(p: number, name: string): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${name} must be a probability in [0, 1], got ${p}`);
}

function assertOpenUnit(p: number, name: string): void {
  if (!(p > 0 && p < 1)) throw new RangeError(`${name} must be strictly between 0 and 1, got ${p}`);
}

function assertDf(df: number): void {
  if (!(df > 0)) throw new RangeError(`degrees of freedom must be positive, got ${df}`);
}

function assertNumber(x: number, name: string): void {
  if (Number.isNaN(x)) throw new RangeError(`${name} must be a number, got NaN`);
}

// ---------------------------------------------------------------------------------------------------------------
// Distributions

/** Φ(z), the standard normal CDF. */
export function normalCdf(z: number): number {
  assertNumber(z, 'z');
  return z < 0 ? normalUpperTail(-z) : 1 - normalUpperTail(z);
}

/** Acklam's coefficients (relative error 1.15e-9 before refinement). */
const ACKLAM_A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239] as const;
const ACKLAM_B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1, 1] as const;
const ACKLAM_C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783] as const;
const ACKLAM_D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416, 1] as const;
const ACKLAM_LOW = 0.02425;

function horner(coefficients: readonly number[], x: number): number {
  let value = 0;
  for (const c of coefficients) value = value * x + c;
  return value;
}

/** Φ⁻¹(p) for p ≤ ½, where Φ(x) = ½·erfc(−x/√2) is itself computed without cancellation. */
function lowerNormalQuantile(p: number): number {
  let x: number;
  if (p < ACKLAM_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = horner(ACKLAM_C, q) / horner(ACKLAM_D, q);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x = (horner(ACKLAM_A, r) * q) / horner(ACKLAM_B, r);
  }
  // One Halley step on Φ(x) − p takes Acklam's 1e-9 to full double precision.
  const e = 0.5 * erfc(-x / SQRT2) - p;
  const u = e * SQRT_2PI * Math.exp((x * x) / 2);
  return Number.isFinite(u) ? x - u / (1 + (x * u) / 2) : x;
}

/** Φ⁻¹(p); ±Infinity at p = 0 and 1. */
export function normalQuantile(p: number): number {
  assertProbability(p, 'p');
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  // 1 − p is exact for p ≥ ½, so the upper half loses nothing by going through the lower tail.
  return p > 0.5 ? -lowerNormalQuantile(1 - p) : lowerNormalQuantile(p);
}

/** P(T ≤ t) for Student's t with df degrees of freedom (any positive real df; Infinity is the normal). */
export function studentTCdf(t: number, df: number): number {
  assertNumber(t, 't');
  assertDf(df);
  const halfTail = studentTTwoSided(t, df) / 2;
  return t < 0 ? halfTail : 1 - halfTail;
}

/** t with P(T > t) = q, for q in (0, ½]. */
function upperStudentTQuantile(q: number, df: number): number {
  if (df === Infinity) return -lowerNormalQuantile(q);
  const tail = (t: number): number => studentTTwoSided(t, df) / 2;
  // t's quantile lies beyond the normal one (heavier tails), so the normal quantile is a lower bracket.
  let lo = Math.max(0, -lowerNormalQuantile(q));
  let hi = Math.max(1, 2 * lo);
  while (tail(hi) > q && Number.isFinite(hi)) {
    lo = hi;
    hi *= 2;
  }
  let t = lo;
  for (let i = 0; i < 300; i++) {
    const f = tail(t) - q;
    if (f === 0) return t;
    if (f > 0) lo = t;
    else hi = t;
    // Newton on the tail, falling back to bisection whenever the step leaves the bracket (heavy tails overshoot).
    let next = t + f / studentTDensity(t, df);
    if (!(next > lo && next < hi)) next = lo + (hi - lo) / 2;
    if (Math.abs(next - t) <= 4 * EPS * Math.max(1, Math.abs(t))) return next;
    t = next;
  }
  return t;
}

/** The t with P(T ≤ t) = p; ±Infinity at p = 0 and 1. */
export function studentTQuantile(p: number, df: number): number {
  assertProbability(p, 'p');
  assertDf(df);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  return p > 0.5 ? upperStudentTQuantile(1 - p, df) : -upperStudentTQuantile(p, df);
}

// ---------------------------------------------------------------------------------------------------------------
// Tests

function alphaOf(confidence: number): number {
  assertOpenUnit(confidence, 'confidence');
  return 1 - confidence;
}

function assertCount(n: number, name: string): void {
  if (!(n >= 0 && Number.isFinite(n))) throw new RangeError(`${name} must be a finite non-negative number, got ${n}`);
}

/**
 * Two-proportion z-test of B against A. The z statistic uses the pooled standard error, the one that holds under
 * H0: pA = pB; the interval uses the unpooled one, because it describes the difference wherever it really lies
 * (OpenIntro Statistics, 4th ed., §6.2). With an empty arm, or every trial a success or every one a failure, there
 * is nothing to test: the result is p = 1, not significant, and (for an empty arm) the widest possible interval.
 */
export function twoProportionZTest(input: TwoProportionZTestInput): TwoProportionZTestResult {
  const { successesA, trialsA, successesB, trialsB, confidence = 0.95 } = input;
  for (const [value, name] of [[successesA, 'successesA'], [trialsA, 'trialsA'], [successesB, 'successesB'], [trialsB, 'trialsB']] as const) assertCount(value, name);
  if (successesA > trialsA || successesB > trialsB) throw new RangeError('successes cannot exceed trials');
  const alpha = alphaOf(confidence);
  const rateA = trialsA > 0 ? successesA / trialsA : 0;
  const rateB = trialsB > 0 ? successesB / trialsB : 0;
  const difference = rateB - rateA;
  if (trialsA === 0 || trialsB === 0) {
    return { test: 'two-proportion-z', rateA, rateB, difference, z: 0, pValue: 1, confidenceInterval: [-1, 1], significant: false };
  }
  const pooled = (successesA + successesB) / (trialsA + trialsB);
  const pooledSe = Math.sqrt(pooled * (1 - pooled) * (1 / trialsA + 1 / trialsB));
  const z = pooledSe > 0 ? difference / pooledSe : 0;
  const pValue = pooledSe > 0 ? erfc(Math.abs(z) / SQRT2) : 1;
  const unpooledSe = Math.sqrt((rateA * (1 - rateA)) / trialsA + (rateB * (1 - rateB)) / trialsB);
  const half = normalQuantile(1 - alpha / 2) * unpooledSe;
  return {
    test: 'two-proportion-z', rateA, rateB, difference, z, pValue,
    confidenceInterval: [difference - half, difference + half], significant: pValue < alpha,
  };
}

/**
 * Welch's unequal-variance t-test of B against A from summary statistics. Below two observations in an arm, or
 * with no spread at all in either, the t approximation has nothing to stand on (from aggregates, a zero variance
 * means a constant metric, not certainty), so the result is t = 0, df = 0, p = 1 and an unbounded interval —
 * which JSON renders as [null, null] — rather than a division by zero declaring a winner.
 */
export function welchTTest(input: WelchTTestInput): WelchTTestResult {
  const { meanA, varianceA, countA, meanB, varianceB, countB, confidence = 0.95 } = input;
  if (!Number.isFinite(meanA) || !Number.isFinite(meanB)) throw new RangeError('means must be finite');
  for (const [value, name] of [[varianceA, 'varianceA'], [countA, 'countA'], [varianceB, 'varianceB'], [countB, 'countB']] as const) assertCount(value, name);
  const alpha = alphaOf(confidence);
  const difference = meanB - meanA;
  const shareA = countA >= 2 ? varianceA / countA : 0;
  const shareB = countB >= 2 ? varianceB / countB : 0;
  const se = Math.sqrt(shareA + shareB);
  if (countA < 2 || countB < 2 || se === 0) {
    return { test: 'welch-t', difference, t: 0, df: 0, pValue: 1, confidenceInterval: [-Infinity, Infinity], significant: false };
  }
  const t = difference / se;
  const df = (shareA + shareB) ** 2 / ((shareA * shareA) / (countA - 1) + (shareB * shareB) / (countB - 1));
  const pValue = studentTTwoSided(t, df);
  const half = studentTQuantile(1 - alpha / 2, df) * se;
  return { test: 'welch-t', difference, t, df, pValue, confidenceInterval: [difference - half, difference + half], significant: pValue < alpha };
}

/**
 * Mean and sample variance (divisor n − 1) from SUM(x), SUM(x²) and COUNT(*), the only aggregates SQL gives
 * cheaply. Σx² − (Σx)²/n cancels catastrophically for a near-constant metric, and each sum already carries up to
 * ~n ulps of summation error, so anything within that noise is reported as exactly 0: a spurious tiny variance
 * would otherwise make two constant metrics look infinitely significant.
 */
export function summarize(sum: number, sumOfSquares: number, count: number): Summary {
  assertCount(count, 'count');
  if (!Number.isFinite(sum) || !Number.isFinite(sumOfSquares)) throw new RangeError('sums must be finite');
  if (count === 0) return { mean: 0, variance: 0 };
  const mean = sum / count;
  if (count < 2) return { mean, variance: 0 };
  const squaredDeviations = sumOfSquares - sum * mean;
  const noise = Math.max(8, count) * EPS * Math.abs(sumOfSquares);
  return { mean, variance: squaredDeviations > noise ? squaredDeviations / (count - 1) : 0 };
}

// ---------------------------------------------------------------------------------------------------------------
// Sample sizes

/** The normal-approximation n is real-valued; an exact integer computed with rounding noise must not round up. */
function ceilSampleSize(n: number): number {
  return Math.max(1, Math.ceil(n * (1 - 1e-12)));
}

/**
 * Per-variant sample size for a two-sided two-proportion z-test to detect baselineRate → baselineRate +
 * minimumEffect: n = (z_{1−α/2}·√(2·p̄(1−p̄)) + z_{1−β}·√(p1(1−p1) + p2(1−p2)))² / δ², the pooled variance under
 * H0 and the unpooled one under the alternative; the same formula as R's power.prop.test (without continuity
 * correction).
 */
export function sampleSizeForProportions(input: ProportionSampleSizeInput): number {
  const { baselineRate, minimumEffect, alpha = 0.05, power = 0.8 } = input;
  assertProbability(baselineRate, 'baselineRate');
  assertOpenUnit(alpha, 'alpha');
  assertOpenUnit(power, 'power');
  const p1 = baselineRate;
  const p2 = baselineRate + minimumEffect;
  if (!(minimumEffect !== 0 && p2 >= 0 && p2 <= 1)) throw new RangeError(`minimumEffect must be non-zero and keep the rate within [0, 1], got ${minimumEffect}`);
  const mean = (p1 + p2) / 2;
  const underNull = normalQuantile(1 - alpha / 2) * Math.sqrt(2 * mean * (1 - mean));
  const underAlternative = normalQuantile(power) * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2));
  return ceilSampleSize((underNull + underAlternative) ** 2 / minimumEffect ** 2);
}

/** Per-variant sample size for a two-sided test of means with a common σ: n = 2·(z_{1−α/2} + z_{1−β})²·σ²/δ². */
export function sampleSizeForMeans(input: MeanSampleSizeInput): number {
  const { standardDeviation, minimumEffect, alpha = 0.05, power = 0.8 } = input;
  if (!(standardDeviation > 0 && Number.isFinite(standardDeviation))) throw new RangeError(`standardDeviation must be positive, got ${standardDeviation}`);
  if (!(minimumEffect !== 0 && Number.isFinite(minimumEffect))) throw new RangeError(`minimumEffect must be non-zero, got ${minimumEffect}`);
  assertOpenUnit(alpha, 'alpha');
  assertOpenUnit(power, 'power');
  const z = normalQuantile(1 - alpha / 2) + normalQuantile(power);
  return ceilSampleSize((2 * z * z * standardDeviation ** 2) / minimumEffect ** 2);
}

// ---------------------------------------------------------------------------------------------------------------
// Verdict

/**
 * The call an experiment report shows. Too little traffic in either arm wins over any p-value, because a test run
 * before the planned sample size (and re-run as data arrives) declares false winners far more often than α says.
 */
export function verdict(input: VerdictInput): Verdict {
  const { result, sampleSizeA, sampleSizeB, minimumSampleSize, higherIsBetter } = input;
  if (sampleSizeA < minimumSampleSize || sampleSizeB < minimumSampleSize) return 'insufficient_data';
  if (!result.significant || result.difference === 0) return 'no_significant_difference';
  return (result.difference > 0) === higherIsBetter ? 'b_better' : 'a_better';
}
