import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  normalCdf, normalQuantile, sampleSizeForMeans, sampleSizeForProportions, studentTCdf, studentTQuantile, summarize,
  twoProportionZTest, verdict, welchTTest,
} from './significance.ts';
import type { SignificanceResult } from './significance.ts';

/** Distribution functions are held to 1e-6 against tables unless a closed form allows tighter. */
const DIST_TOL = 1e-6;

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Number.isFinite(actual), `${what}: got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: expected ${expected} ± ${tolerance}, got ${actual}`);
}

function relativeClose(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.abs(expected), `${what}: expected ${expected} (rel ± ${tolerance}), got ${actual}`);
}

function assertNoNaN(result: SignificanceResult): void {
  for (const [key, value] of Object.entries(result)) {
    if (typeof value === 'number') assert.ok(!Number.isNaN(value), `${key} is NaN`);
  }
  for (const bound of result.confidenceInterval) assert.ok(!Number.isNaN(bound), 'interval bound is NaN');
}

describe('normal distribution', () => {
  it('matches the standard normal table', () => {
    // NIST/SEMATECH e-Handbook of Statistical Methods §1.3.6.7.1, "Cumulative Distribution Function of the Standard
    // Normal Distribution": area from 0 to z, printed to 5 decimals (so ± 5e-6 against the table).
    const table: ReadonlyArray<[z: number, areaFromZero: number]> = [[1.0, 0.34134], [1.64, 0.4495], [1.96, 0.475], [2.58, 0.49506], [3.0, 0.49865]];
    for (const [z, area] of table) {
      close(normalCdf(z) - 0.5, area, 5e-6, `Φ(${z}) − ½`);
      close(0.5 - normalCdf(-z), area, 5e-6, `½ − Φ(−${z})`);
    }
    // The same points to 15 decimals (Abramowitz & Stegun, Handbook of Mathematical Functions, Table 26.1).
    close(normalCdf(1), 0.841344746068543, DIST_TOL, 'Φ(1)');
    close(normalCdf(1.96), 0.975002104851780, DIST_TOL, 'Φ(1.96)');
    close(normalCdf(2), 0.977249868051821, DIST_TOL, 'Φ(2)');
    close(normalCdf(3), 0.998650101968370, DIST_TOL, 'Φ(3)');
    assert.equal(normalCdf(0), 0.5);
  });

  it('keeps relative precision far into the tail, where 1 − Φ would be 0', () => {
    // Mills-ratio bounds (Feller, An Introduction to Probability Theory, vol. I, §VII.1, Lemma 2):
    // φ(z)/z · (1 − 1/z²) < 1 − Φ(z) < φ(z)/z, which pin the tail to 1% at z = 10.
    const z = 10;
    const density = Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI);
    const tail = normalCdf(-z);
    assert.ok(tail > (density / z) * (1 - 1 / (z * z)) && tail < density / z, `Φ(−10) = ${tail}`);
    relativeClose(tail, 7.61985302416053e-24, 1e-12, 'Φ(−10)'); // 7.6198530241605260…e-24 (mpmath at 30 digits)
  });

  it('inverts to the familiar critical values', () => {
    // The z* of every introductory text: 1.6449 for 90% (OpenIntro Statistics 4th ed. §6.2.2, CPR example), 1.96
    // for 95%, 2.576 for 99%; the digits beyond are the exact Φ⁻¹ (R's qnorm).
    close(normalQuantile(0.95), 1.6448536269514722, DIST_TOL, 'z(0.95)');
    close(normalQuantile(0.975), 1.959963984540054, DIST_TOL, 'z(0.975)');
    close(normalQuantile(0.995), 2.5758293035489004, DIST_TOL, 'z(0.995)');
    close(normalQuantile(0.8), 0.8416212335729143, DIST_TOL, 'z(0.8)');
    close(normalQuantile(0.025), -1.959963984540054, DIST_TOL, 'z(0.025)');
    assert.equal(normalQuantile(0.5), 0);
    assert.equal(normalQuantile(0), -Infinity);
    assert.equal(normalQuantile(1), Infinity);
  });

  it('is the inverse of Φ to ~1e-9 over the whole range, including both branches of Acklam', () => {
    for (const p of [1e-300, 1e-20, 1e-9, 1e-4, 0.02, 0.02425, 0.03, 0.1, 0.3, 0.5, 0.7, 0.9, 0.975, 0.999, 1 - 1e-9]) {
      const x = normalQuantile(p);
      const back = p < 0.5 ? normalCdf(x) : 1 - normalCdf(-x);
      relativeClose(p < 0.5 ? back : 1 - back, p < 0.5 ? p : 1 - p, 1e-9, `Φ(Φ⁻¹(${p}))`);
    }
  });

  it('rejects what is not a probability', () => {
    assert.throws(() => normalQuantile(1.5), RangeError);
    assert.throws(() => normalQuantile(Number.NaN), RangeError);
    assert.throws(() => normalCdf(Number.NaN), RangeError);
  });
});

describe("Student's t distribution", () => {
  it('matches the closed forms for ν = 1 … 5', () => {
    // Wikipedia, "Student's t-distribution", §Cumulative distribution function → special cases.
    const closedForms: ReadonlyArray<[df: number, cdf: (t: number) => number]> = [
      [1, (t) => 0.5 + Math.atan(t) / Math.PI],
      [2, (t) => 0.5 + t / (2 * Math.sqrt(2 + t * t))],
      [3, (t) => 0.5 + (t / (Math.sqrt(3) * (1 + t * t / 3)) + Math.atan(t / Math.sqrt(3))) / Math.PI],
      [4, (t) => 0.5 + (3 / 8) * (t / Math.sqrt(1 + t * t / 4)) * (1 - (t * t) / (12 * (1 + t * t / 4)))],
      [5, (t) => 0.5 + ((t / (Math.sqrt(5) * (1 + t * t / 5))) * (1 + 2 / (3 * (1 + t * t / 5))) + Math.atan(t / Math.sqrt(5))) / Math.PI],
    ];
    for (const [df, cdf] of closedForms) {
      for (const t of [-30, -4, -2, -1, -0.25, 0, 0.5, 1, 2, 3.5, 12]) close(studentTCdf(t, df), cdf(t), 1e-12, `F(${t}; ν=${df})`);
    }
    // The brief's spot value: F(2.0; 5) = ½ + (θ + sinθ cosθ (1 + ⅔cos²θ))/π with θ = atan(2/√5) = 0.9490303.
    close(studentTCdf(2, 5), 0.94903026, DIST_TOL, 'F(2; 5)');
  });

  it('inverts to the t-table critical values', () => {
    // NIST/SEMATECH e-Handbook §1.3.6.7.2, "Critical Values of the Student's t Distribution" (3 decimals); the
    // 1e-6 check is against the exact quantiles (the table's values, unrounded, as R's qt gives them).
    const table: ReadonlyArray<[p: number, df: number, printed: number, exact: number]> = [
      [0.975, 1, 12.706, 12.706204736174694],
      [0.975, 5, 2.571, 2.5705818356363146],
      [0.975, 10, 2.228, 2.228138851986274],
      [0.975, 30, 2.042, 2.0422724563012378],
      [0.995, 5, 4.032, 4.032142983555228],
      [0.995, 10, 3.169, 3.16927267261695],
      [0.995, 1, 63.657, 63.656741162871526],
    ];
    for (const [p, df, printed, exact] of table) {
      const t = studentTQuantile(p, df);
      close(t, printed, 5e-4, `t(${p}; ${df}) vs table`);
      close(t, exact, DIST_TOL, `t(${p}; ${df})`);
      close(studentTQuantile(1 - p, df), -exact, DIST_TOL, `t(${1 - p}; ${df})`);
    }
    // The table's ∞ row is the normal quantile; a df of millions must land on it.
    close(studentTQuantile(0.975, Infinity), 1.959963984540054, DIST_TOL, 't(0.975; ∞)');
    close(studentTQuantile(0.975, 1e7), 1.959964221767205, 1e-9, 't(0.975; 1e7)');
  });

  it('inverts exactly where the quantile has a closed form (ν = 1: tan, ν = 2)', () => {
    // tan(π(p − ½)) written as −cot(πp) (or cot(π(1 − p))): the first form loses digits next to π/2.
    const cauchyQuantile = (p: number): number => (p < 0.5 ? -1 / Math.tan(Math.PI * p) : 1 / Math.tan(Math.PI * (1 - p)));
    for (const p of [1e-10, 0.001, 0.1, 0.4, 0.6, 0.95, 0.999999]) {
      relativeClose(studentTQuantile(p, 1), cauchyQuantile(p), 1e-10, `t(${p}; 1)`);
      relativeClose(studentTQuantile(p, 2), (2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 1e-10, `t(${p}; 2)`);
    }
  });

  it('is continuous across df = 10⁴, where the method changes, and handles fractional df', () => {
    // Below 10⁴ the continued fraction is good to ~ν·1e-16, so the two methods agree to a few 1e-12.
    close(studentTCdf(-2, 9999.999), studentTCdf(-2, 10000), 5e-12, 'across the switch');
    close(studentTCdf(-2, 1e4), 0.0227636303307177, 1e-12, 'F(−2; 10⁴)'); // R's pt(-2, 1e4)
    // Welch's df is rarely an integer; the CDF must be monotone in df between integers.
    const at7 = studentTCdf(1.959, 7);
    const at7031 = studentTCdf(1.959, 7.031);
    const at8 = studentTCdf(1.959, 8);
    assert.ok(at7 < at7031 && at7031 < at8, `${at7} < ${at7031} < ${at8}`);
    assert.equal(studentTCdf(0, 3.3), 0.5);
    assert.equal(studentTCdf(Infinity, 4), 1);
    assert.equal(studentTCdf(-Infinity, 4), 0);
    assert.throws(() => studentTCdf(1, 0), RangeError);
    assert.throws(() => studentTQuantile(0.5, -1), RangeError);
  });
});

describe('two-proportion z-test', () => {
  it('reproduces the mammogram hypothesis test (OpenIntro Statistics 4th ed. §6.2.3)', () => {
    // Breast-cancer deaths: control 505 of 44,910, mammogram 500 of 44,925. The book rounds to p̂_pooled = 0.0112,
    // difference −0.00012 and SE 0.00070, hence Z = −0.17 and p = 0.8650. Unrounded, by hand:
    //   p̂_pooled = 1005 / 89,835 = 0.0111872
    //   SE = √(0.0111872 × 0.9888128 × (1/44,925 + 1/44,910)) = 0.00070182
    //   difference = 500/44,925 − 505/44,910 = 0.0111297 − 0.0112447 = −0.00011505
    //   z = −0.00011505 / 0.00070182 = −0.16393, p = 2Φ(−0.16393) = 0.86978.
    const r = twoProportionZTest({ successesA: 505, trialsA: 44910, successesB: 500, trialsB: 44925 });
    assert.equal(r.test, 'two-proportion-z');
    close(r.rateA, 0.01125, 1e-5, 'control rate as printed (0.0112447)');
    close(r.rateB, 0.01113, 1e-5, 'mammogram rate as printed (0.0111297)');
    close(r.difference, -0.00012, 5e-6, 'difference as printed');
    close(r.z, -0.17, 0.01, 'Z as printed');
    close(r.pValue, 0.865, 0.005, 'p-value as printed');
    close(r.z, -0.16393, 1e-5, 'z unrounded');
    close(r.pValue, 0.86978, 1e-5, 'p unrounded');
    assert.equal(r.significant, false);
  });

  it('reproduces the CPR 90% interval, which uses the unpooled SE (OpenIntro Statistics 4th ed. §6.2.2)', () => {
    // Survival: control 11 of 50, blood thinner 14 of 40. Book: 0.35 − 0.22 = 0.13,
    // SE = √(0.35 × 0.65 / 40 + 0.22 × 0.78 / 50) = 0.095, 0.13 ± 1.6449 × 0.095 → (−0.026, 0.286).
    // Unrounded SE 0.0954961 gives 0.13 ± 0.157077 → (−0.027077, 0.287077).
    const r = twoProportionZTest({ successesA: 11, trialsA: 50, successesB: 14, trialsB: 40, confidence: 0.9 });
    close(r.difference, 0.13, 1e-12, 'difference');
    close(r.confidenceInterval[0], -0.026, 0.0015, 'low as printed');
    close(r.confidenceInterval[1], 0.286, 0.0015, 'high as printed');
    close(r.confidenceInterval[0], -0.027077, 1e-6, 'low');
    close(r.confidenceInterval[1], 0.287077, 1e-6, 'high');
    // The interval contains 0, and so does the test: pooled p̂ = 25/90, z = 1.3682, p = 0.17125.
    close(r.z, 1.36821, 1e-5, 'z');
    close(r.pValue, 0.17125, 1e-5, 'p');
    assert.equal(r.significant, false);
  });

  it('finds the fish-oil effect significant (OpenIntro Statistics 4th ed. §6.2.2, Guided Practice)', () => {
    // Heart attacks: placebo 200 of 12,938, fish oil 145 of 12,933. Book: −0.0043 ± 1.96 × 0.00145 →
    // (−0.0071, −0.0015). Unrounded: difference −0.0042467, SE 0.0014260, interval (−0.0070416, −0.0014518);
    // pooled p̂ = 345/25,871 = 0.0133354, SE₀ = 0.0014263, z = −2.97743, p = 0.0029068.
    const r = twoProportionZTest({ successesA: 200, trialsA: 12938, successesB: 145, trialsB: 12933 });
    close(r.confidenceInterval[0], -0.0071, 1e-4, 'low as printed');
    close(r.confidenceInterval[1], -0.0015, 1e-4, 'high as printed');
    close(r.confidenceInterval[0], -0.0070416, 1e-7, 'low');
    close(r.confidenceInterval[1], -0.0014518, 1e-7, 'high');
    close(r.z, -2.97743, 1e-5, 'z');
    close(r.pValue, 0.0029068, 1e-7, 'p');
    assert.equal(r.significant, true);
    assert.equal(twoProportionZTest({ successesA: 200, trialsA: 12938, successesB: 145, trialsB: 12933, confidence: 0.999 }).significant, false);
  });

  it('gives p = 1 for identical groups, and no NaN for empty arms or zero variance', () => {
    const same = twoProportionZTest({ successesA: 50, trialsA: 1000, successesB: 50, trialsB: 1000 });
    assert.equal(same.z, 0);
    assert.equal(same.pValue, 1);
    assert.equal(same.significant, false);

    const empty = twoProportionZTest({ successesA: 0, trialsA: 0, successesB: 3, trialsB: 10 });
    assertNoNaN(empty);
    assert.deepEqual([empty.rateA, empty.rateB, empty.pValue, empty.significant], [0, 0.3, 1, false]);
    assert.deepEqual(empty.confidenceInterval, [-1, 1]);
    assertNoNaN(twoProportionZTest({ successesA: 0, trialsA: 0, successesB: 0, trialsB: 0 }));

    for (const [successesA, successesB] of [[0, 0], [100, 80]] as const) {
      const flat = twoProportionZTest({ successesA, trialsA: 100, successesB, trialsB: 80 });
      assertNoNaN(flat);
      assert.deepEqual([flat.z, flat.pValue, flat.significant], [0, 1, false]);
      assert.deepEqual(flat.confidenceInterval, [0, 0]);
    }
  });

  it('rejects impossible counts and confidence levels', () => {
    assert.throws(() => twoProportionZTest({ successesA: 11, trialsA: 10, successesB: 1, trialsB: 10 }), RangeError);
    assert.throws(() => twoProportionZTest({ successesA: -1, trialsA: 10, successesB: 1, trialsB: 10 }), RangeError);
    assert.throws(() => twoProportionZTest({ successesA: 1, trialsA: 10, successesB: 1, trialsB: 10, confidence: 1 }), RangeError);
  });
});

describe("Welch's t-test", () => {
  it("reproduces Wikipedia's worked example from sums, as the SQL aggregates give them", () => {
    // Wikipedia, "Student's t-test", §Worked examples → Unequal variances:
    //   A1 = {30.02, 29.99, 30.11, 29.97, 30.01, 29.99}, A2 = {29.89, 29.93, 29.72, 29.98, 30.02, 29.98}.
    // The article: X̄1 − X̄2 = 0.095, √(s1²/n1 + s2²/n2) ≈ 0.04849, d.f. ≈ 7.031, t ≈ 1.959, two-tailed p 0.09077.
    // By hand: Σ = 180.09 and 179.52, Σx² = 5405.4137 and 5371.2966, so x̄ = 30.015 and 29.92,
    //   s1² = (5405.4137 − 180.09²/6)/5 = 0.00247, s2² = (5371.2966 − 179.52²/6)/5 = 0.01164,
    //   SE = √(0.00247/6 + 0.01164/6) = √0.0023517 = 0.048494,
    //   df = 0.0023517² / ((0.00041167² + 0.00194²)/5) = 7.0306, t = 0.095/0.048494 = 1.95901.
    const a = [30.02, 29.99, 30.11, 29.97, 30.01, 29.99];
    const b = [29.89, 29.93, 29.72, 29.98, 30.02, 29.98];
    const sumsOf = (xs: readonly number[]) => summarize(xs.reduce((s, x) => s + x, 0), xs.reduce((s, x) => s + x * x, 0), xs.length);
    const sa = sumsOf(a);
    const sb = sumsOf(b);
    close(sa.mean, 30.015, 1e-12, 'x̄1');
    close(sb.mean, 29.92, 1e-12, 'x̄2');
    close(sa.variance, 0.00247, 1e-10, 's1²');
    close(sb.variance, 0.01164, 1e-10, 's2²');
    // B = A1 so that B − A has the article's sign.
    const r = welchTTest({ meanA: sb.mean, varianceA: sb.variance, countA: 6, meanB: sa.mean, varianceB: sa.variance, countB: 6 });
    assert.equal(r.test, 'welch-t');
    close(r.difference, 0.095, 1e-9, 'difference');
    close(r.difference / r.t, 0.04849, 5e-6, 'SE');
    close(r.df, 7.031, 5e-4, 'df');
    close(r.t, 1.959, 5e-4, 't');
    close(r.pValue, 0.09077, 5e-6, 'p');
    // The interval: 0.095 ± t(0.975; 7.0306) × 0.048494 = 0.095 ± 2.362542 × 0.048494.
    close(r.confidenceInterval[0], -0.0195691, 1e-6, 'low');
    close(r.confidenceInterval[1], 0.2095691, 1e-6, 'high');
    assert.equal(r.significant, false);
    assert.equal(welchTTest({ meanA: sb.mean, varianceA: sb.variance, countA: 6, meanB: sa.mean, varianceB: sa.variance, countB: 6, confidence: 0.9 }).significant, true);
  });

  it("reproduces NIST's unequal-variance test on AUTO83B (e-Handbook §1.3.5.3)", () => {
    // Miles per gallon: US cars n = 249, x̄ = 20.14458, s = 6.41470; Japanese cars n = 79, x̄ = 30.48101,
    // s = 6.10771. NIST (sample 1 − sample 2): T = −12.94627, ν = 136.8750. By hand: s1²/n1 = 0.1652545,
    // s2²/n2 = 0.4722041, SE = 0.7984100; ν = 0.6374586² / (0.1652545²/248 + 0.4722041²/78) = 136.87499.
    // Two-sided p = 1.571e-25 (as Boost.Math's students_t_two_samples example prints for these inputs).
    const r = welchTTest({ meanA: 20.14458, varianceA: 6.4147 ** 2, countA: 249, meanB: 30.48101, varianceB: 6.10771 ** 2, countB: 79 });
    close(r.t, 12.94627, 5e-6, 'T (B − A, so positive)');
    close(r.df, 136.875, 5e-5, 'ν');
    relativeClose(r.pValue, 1.571e-25, 1e-3, 'p');
    assert.equal(r.significant, true);
    // 10.33643 ± t(0.975; 136.875) × 0.7984100, with t(0.975; 136.875) = 1.9774473.
    close(r.confidenceInterval[0], 10.33643 - 1.9774473 * 0.79841004, 1e-6, 'low');
    close(r.confidenceInterval[1], 10.33643 + 1.9774473 * 0.79841004, 1e-6, 'high');
  });

  it('gives p = 1 for identical groups and no NaN for tiny or constant samples', () => {
    const same = welchTTest({ meanA: 250, varianceA: 900, countA: 40, meanB: 250, varianceB: 900, countB: 40 });
    assert.deepEqual([same.t, same.pValue, same.significant], [0, 1, false]);
    close(same.df, 78, 1e-9, 'equal variances and sizes: df = n1 + n2 − 2');

    const single = welchTTest({ meanA: 10, varianceA: 0, countA: 1, meanB: 12, varianceB: 4, countB: 30 });
    const constant = welchTTest({ meanA: 10, varianceA: 0, countA: 50, meanB: 12, varianceB: 0, countB: 50 });
    const empty = welchTTest({ meanA: 0, varianceA: 0, countA: 0, meanB: 0, varianceB: 0, countB: 0 });
    for (const r of [single, constant, empty]) {
      assertNoNaN(r);
      assert.deepEqual([r.t, r.df, r.pValue, r.significant], [0, 0, 1, false]);
      assert.deepEqual(r.confidenceInterval, [-Infinity, Infinity]);
    }

    // One constant arm is still a test: all the uncertainty is B's, and ν collapses to n_B − 1.
    const oneSided = welchTTest({ meanA: 10, varianceA: 0, countA: 50, meanB: 12, varianceB: 4, countB: 30 });
    close(oneSided.df, 29, 1e-9, 'df');
    close(oneSided.t, 2 / Math.sqrt(4 / 30), 1e-12, 't');
  });

  it('rejects negative variances and counts', () => {
    assert.throws(() => welchTTest({ meanA: 1, varianceA: -1, countA: 5, meanB: 1, varianceB: 1, countB: 5 }), RangeError);
    assert.throws(() => welchTTest({ meanA: Number.NaN, varianceA: 1, countA: 5, meanB: 1, varianceB: 1, countB: 5 }), RangeError);
  });
});

describe('summarize', () => {
  it('turns SUM, SUM of squares and COUNT into a mean and a sample variance', () => {
    // {2, 4, 4, 4, 5, 5, 7, 9}: Σ = 40, Σx² = 232, x̄ = 5, Σ(x − x̄)² = 32, s² = 32/7.
    assert.deepEqual(summarize(40, 232, 8), { mean: 5, variance: 32 / 7 });
    assert.deepEqual(summarize(0, 0, 0), { mean: 0, variance: 0 });
    assert.deepEqual(summarize(7, 49, 1), { mean: 7, variance: 0 });
  });

  it('reports a constant metric as zero variance despite the rounding of its sums', () => {
    const n = 1_000_000;
    let sum = 0;
    let sumOfSquares = 0;
    for (let i = 0; i < n; i++) {
      sum += 0.1;
      sumOfSquares += 0.1 * 0.1;
    }
    const s = summarize(sum, sumOfSquares, n);
    close(s.mean, 0.1, 1e-9, 'mean');
    assert.equal(s.variance, 0);
  });
});

describe('sample sizes', () => {
  it("matches R's power.prop.test, which uses the same formula", () => {
    // R, stats package, ?power.prop.test examples: p1 = .50, p2 = .75, power = .90 → n = 76.7 per group;
    // p1 = .90, p2 = 1.0, power = 0.8 → n = 73.37; p1 = .5, p2 = .501, sig.level = .001, power = .90 → n = 10451937.
    assert.equal(sampleSizeForProportions({ baselineRate: 0.5, minimumEffect: 0.25, power: 0.9 }), 77);
    assert.equal(sampleSizeForProportions({ baselineRate: 0.9, minimumEffect: 0.1 }), 74);
    assert.equal(sampleSizeForProportions({ baselineRate: 0.5, minimumEffect: 0.001, alpha: 0.001, power: 0.9 }), 10451937);
  });

  it('gives 3,841 per variant for a 10% → 12% conversion test at α = 0.05, 80% power', () => {
    // p̄ = 0.11: 1.959964 × √(2 × 0.11 × 0.89) = 1.959964 × 0.442493 = 0.867270;
    // 0.841621 × √(0.10 × 0.90 + 0.12 × 0.88) = 0.841621 × 0.442267 = 0.372221;
    // n = (0.867270 + 0.372221)² / 0.02² = 1.536339 / 0.0004 = 3840.85 → 3841.
    assert.equal(sampleSizeForProportions({ baselineRate: 0.1, minimumEffect: 0.02 }), 3841);
    // A drop of the same size is a different test (p2 = 0.08), and smaller because the variance falls with p.
    assert.equal(sampleSizeForProportions({ baselineRate: 0.1, minimumEffect: -0.02 }), 3213);
  });

  it('matches the blood-pressure power example for means (OpenIntro Statistics 4th ed. §7.4)', () => {
    // σ = 12 mmHg, detect 3 mmHg at α = 0.05 with 80% power. The book rounds 1.96 + 0.84 to 2.8:
    // n = 2.8² × (12² + 12²) / 3² = 250.88 → 251. With the exact quantiles, 2 × (1.959964 + 0.841621)² × 144 / 9
    // = 2 × 7.848879 × 16 = 251.16 → 252.
    assert.equal(sampleSizeForMeans({ standardDeviation: 12, minimumEffect: 3 }), 252);
    // Lehr's rule of thumb (Stat. Med. 11:1099, 1992): n ≈ 16σ²/δ² for these α and power; 2 × 2.801585² = 15.70.
    const n = sampleSizeForMeans({ standardDeviation: 1, minimumEffect: 0.5 });
    assert.equal(n, 63);
    assert.ok(Math.abs(n - 16 / 0.25) <= 2);
    assert.equal(sampleSizeForMeans({ standardDeviation: 12, minimumEffect: -3 }), 252);
  });

  it('rejects effects that cannot be detected or leave [0, 1]', () => {
    assert.throws(() => sampleSizeForProportions({ baselineRate: 0.1, minimumEffect: 0 }), RangeError);
    assert.throws(() => sampleSizeForProportions({ baselineRate: 0.95, minimumEffect: 0.1 }), RangeError);
    assert.throws(() => sampleSizeForProportions({ baselineRate: 0.1, minimumEffect: 0.02, power: 1 }), RangeError);
    assert.throws(() => sampleSizeForMeans({ standardDeviation: 0, minimumEffect: 1 }), RangeError);
    assert.throws(() => sampleSizeForMeans({ standardDeviation: 1, minimumEffect: 0 }), RangeError);
  });
});

describe('verdict', () => {
  const fishOil = twoProportionZTest({ successesA: 200, trialsA: 12938, successesB: 145, trialsB: 12933 });
  const mammogram = twoProportionZTest({ successesA: 505, trialsA: 44910, successesB: 500, trialsB: 44925 });
  const slowerB = welchTTest({ meanA: 20.14458, varianceA: 6.4147 ** 2, countA: 249, meanB: 30.48101, varianceB: 6.10771 ** 2, countB: 79 });

  it('asks for more data before looking at the p-value', () => {
    assert.equal(verdict({ result: fishOil, sampleSizeA: 12938, sampleSizeB: 12933, minimumSampleSize: 13000, higherIsBetter: false }), 'insufficient_data');
    assert.equal(verdict({ result: slowerB, sampleSizeA: 249, sampleSizeB: 79, minimumSampleSize: 100, higherIsBetter: false }), 'insufficient_data');
  });

  it('reports no difference when the test is not significant', () => {
    assert.equal(verdict({ result: mammogram, sampleSizeA: 44910, sampleSizeB: 44925, minimumSampleSize: 1000, higherIsBetter: true }), 'no_significant_difference');
  });

  it('reads the sign of B − A through higherIsBetter', () => {
    // Fish oil lowered the heart-attack rate: B − A < 0, a win when lower is better (as for latency or cost).
    assert.equal(verdict({ result: fishOil, sampleSizeA: 12938, sampleSizeB: 12933, minimumSampleSize: 3841, higherIsBetter: false }), 'b_better');
    assert.equal(verdict({ result: fishOil, sampleSizeA: 12938, sampleSizeB: 12933, minimumSampleSize: 3841, higherIsBetter: true }), 'a_better');
    // B's mean is higher: better for a success rate or feedback score, worse for latency.
    assert.equal(verdict({ result: slowerB, sampleSizeA: 249, sampleSizeB: 79, minimumSampleSize: 64, higherIsBetter: true }), 'b_better');
    assert.equal(verdict({ result: slowerB, sampleSizeA: 249, sampleSizeB: 79, minimumSampleSize: 64, higherIsBetter: false }), 'a_better');
  });
});
