// Sparse regression (issue 25, part 1): the sparse-coding and group-sparse-regression families with
// their composite structure, ISTA and FISTA, and LISTA (its ISTA initialization, training, policy
// and file). Most runs drive a policy in a plain loop (runPolicy); the last test runs them through
// OptimizationEnv and rollout, as l2o eval does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../src/tf.ts';
import { EigenvalueDecomposition, Matrix as MlMatrix } from 'ml-matrix';
import { resolveParams } from '../envs/family-definition.ts';
import { groupSoftThreshold, groupSparseRegression } from '../envs/group-sparse-regression.ts';
import type { Objective, ObjectiveFamily } from '../envs/objective.ts';
import { OptimizationEnv } from '../envs/optimization-env.ts';
import { checkedFamily } from '../envs/checked-objective.ts';
import { lassoObjective, multiply, multiplyTransposed, softThreshold, sparseCoding } from '../envs/sparse-coding.ts';
import { createFamily } from '../envs/registry.ts';
import { findHandDesigned, HAND_DESIGNED, PROXIMAL } from '../policies/hand-designed.ts';
import { istaNetwork, listaForward, ListaPolicy } from '../policies/lista-policy.ts';
import type { Policy } from '../policies/policy.ts';
import { Fista, Ista } from '../policies/proximal.ts';
import { rollout } from '../policies/rollout.ts';
import { initBackend } from '../src/backend.ts';
import { UserError } from '../src/errors.ts';
import { cholesky, choleskySolveVector } from '../src/linalg/cholesky.ts';
import { Matrix } from '../src/linalg/matrix.ts';
import { Rng } from '../src/random.ts';
import { DEFAULT_LISTA_CONFIG, listaNmseDb, loadListaNetwork, saveListaNetwork, trainLista, type ListaConfig } from '../src/supervised/lista.ts';
import { assertClose, finiteDifferenceGradient, scratchDir } from './helpers.ts';

await initBackend();

const family = (def: typeof sparseCoding, params: Record<string, number> = {}): ObjectiveFamily => def.create(resolveParams(def, params));
const coding = family(sparseCoding);

/** Runs a policy from the objective's x0 for `steps` steps, as rollout does (x_{t+1} = x_t + Δx); returns every iterate. */
function runPolicy(policy: Policy, objective: Objective, steps: number): Float64Array[] {
  let x = objective.start(new Rng('start'));
  policy.reset(objective, new Rng('policy'));
  const iterates = [x];
  for (let t = 0; t < steps; t++) {
    const { value, gradient } = objective.evaluate(x);
    const step = policy.act({ t, x, value, gradient, state: () => new Float64Array(0) });
    x = x.map((v, i) => v + step[i]);
    iterates.push(x);
  }
  return iterates;
}

/** The largest violation of the lasso's KKT conditions: Dᵀ(Dz − y) + λs = 0, s_i = sign(z_i) where z_i ≠ 0, |s_i| ≤ 1 where z_i = 0. */
function lassoKktViolation(objective: Objective, z: Float64Array): number {
  const g = objective.composite!.smooth(z).gradient;
  const lambda = objective.sparseCode?.lambda ?? LAMBDA;
  let worst = 0;
  for (let i = 0; i < z.length; i++) worst = Math.max(worst, z[i] !== 0 ? Math.abs(g[i] + lambda * Math.sign(z[i])) : Math.max(0, Math.abs(g[i]) - lambda));
  return worst;
}

const LAMBDA = 0.1;

/**
 * A lasso whose solution is known: z̄ on a support S with signs s, and y = Dz̄ + λu with
 * u = D_S(D_SᵀD_S)⁻¹s, so that D_Sᵀ(y − Dz̄) = λs; z̄ is the solution when |D_jᵀu| < 1 off S.
 */
function knownLasso(): { objective: Objective; solution: Float64Array } {
  const { D, m, n } = coding.sample('train', 0).sparseCode!;
  const support = [3, 17, 41];
  const solution = new Float64Array(n);
  [1.5, -0.8, 0.6].forEach((v, i) => (solution[support[i]] = v));
  const gram = new Matrix(3, 3);
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let r = 0; r < m; r++) gram.data[a * 3 + b] += D[r * n + support[a]] * D[r * n + support[b]];
  const coefficients = choleskySolveVector(cholesky(gram), support.map((j) => Math.sign(solution[j])));
  const u = new Float64Array(m);
  for (let r = 0; r < m; r++) support.forEach((j, a) => (u[r] += D[r * n + j] * coefficients[a]));
  const correlations = multiplyTransposed(D, m, n, u);
  const offSupport = Math.max(...Array.from(correlations).filter((_, j) => !support.includes(j)).map(Math.abs));
  assert.ok(offSupport < 0.9, `strict dual feasibility off the support (max |D_jᵀu| = ${offSupport})`);
  const y = multiply(D, m, n, solution).map((v, r) => v + LAMBDA * u[r]);
  return { objective: lassoObjective({ name: 'known-lasso', D, m, n, y, lambda: LAMBDA }), solution };
}

test('soft thresholding and the group prox against hand-computed values', () => {
  assert.deepEqual(Array.from(softThreshold(Float64Array.of(3, -0.5, 0.2, -2, 1, 0), 1)), [2, 0, 0, -1, 0, 0]);
  // Groups of 2: (3, 4) has norm 5 → ×(1 − 1/5); (0.1, 0.1) has norm 0.14 ≤ 1 → 0; (0, −2) → (0, −1).
  assertClose(groupSoftThreshold(Float64Array.of(3, 4, 0.1, 0.1, 0, -2), 2, 1), [2.4, 3.2, 0, 0, 0, -1], 1e-15, 'group prox');
  const objective = coding.sample('test', 0);
  const v = new Rng('v').normalVector(50, 0.2);
  assert.deepEqual(objective.composite!.prox(v, 0.5), softThreshold(v, 0.5 * 0.1), 'prox of step·λ‖·‖₁');
});

test('sparse-coding: one unit-norm dictionary for the family, k-sparse codes, y = Dz* + noise, f = smooth + ℓ1 with sign(0) = 0', () => {
  const a = coding.sample('train', 0);
  const b = coding.sample('test', 7);
  const { D, m, n } = a.sparseCode!;
  assert.equal(coding.dim, 50);
  assert.deepEqual([m, n], [25, 50]);
  assert.deepEqual(b.sparseCode!.D, D, 'the same dictionary in every instance and split');
  assert.notDeepEqual(family(sparseCoding, { instanceSeed: 1 }).sample('train', 0).sparseCode!.D, D, 'instanceSeed moves the dictionary');
  for (let j = 0; j < n; j++) assert.ok(Math.abs(Array.from({ length: m }, (_, i) => D[i * n + j] ** 2).reduce((s, x) => s + x) - 1) < 1e-12, `column ${j} has unit norm`);
  for (const objective of [a, b]) {
    const { y, zStar } = objective.sparseCode!;
    assert.equal(zStar.filter((z) => z !== 0).length, 3);
    const residual = multiply(D, m, n, zStar).map((v, i) => v - y[i]);
    assert.ok(Math.hypot(...residual) < 0.1, 'y is Dz* plus noise of std 0.01');
  }
  // L = λ_max(DᵀD), against ml-matrix's eigenvalues.
  const eigenvalues = new EigenvalueDecomposition(new MlMatrix(Array.from({ length: m }, (_, i) => Array.from(D.subarray(i * n, (i + 1) * n)))).mmul(new MlMatrix(Array.from({ length: m }, (_, i) => Array.from(D.subarray(i * n, (i + 1) * n)))).transpose())).realEigenvalues;
  assert.ok(Math.abs(a.composite!.lipschitz! - Math.max(...eigenvalues)) < 1e-12 * Math.max(...eigenvalues));
  // Away from zeros the subgradient is the gradient; at zeros it is the smooth part's gradient.
  const x = new Rng('x').normalVector(50, 0.3);
  assertClose(a.evaluate(x).gradient, finiteDifferenceGradient(a, x, 1e-6), 1e-6, 'gradient off the zeros');
  assert.ok(Math.abs(a.evaluate(x).value - a.composite!.smooth(x).value - a.composite!.regularizer(x)) < 1e-14);
  const zeros = new Float64Array(50);
  assert.deepEqual(a.evaluate(zeros).gradient, a.composite!.smooth(zeros).gradient, 'sign(0) = 0');
  assert.deepEqual(a.start(new Rng('s')), zeros, 'x0 = 0 by default');
});

test('group-sparse-regression: a truth on whole groups, f = smooth + λΣ‖x_g‖, its subgradient and L', () => {
  const groups = family(groupSparseRegression);
  const objective = groups.sample('test', 3);
  assert.equal(objective.dim, 50);
  const x = new Rng('x').normalVector(50, 0.3);
  assertClose(objective.evaluate(x).gradient, finiteDifferenceGradient(objective, x, 1e-6), 1e-6, 'gradient off zero groups');
  assert.ok(Math.abs(objective.evaluate(x).value - objective.composite!.smooth(x).value - objective.composite!.regularizer(x)) < 1e-14);
  const zeros = new Float64Array(50);
  assert.deepEqual(objective.evaluate(zeros).gradient, objective.composite!.smooth(zeros).gradient, 'zero subgradient on a zero group');
  assert.deepEqual(objective.composite!.prox(x, 0.5), groupSoftThreshold(x, 5, 0.05));
  // FISTA's solution is sparse by group: whole groups at exactly 0, and the KKT conditions hold.
  const solution = runPolicy(new Fista(1), objective, 800).at(-1)!;
  const smooth = objective.composite!.smooth(solution).gradient;
  let active = 0;
  for (let g = 0; g < 50; g += 5) {
    const xg = solution.subarray(g, g + 5);
    const gg = smooth.subarray(g, g + 5);
    const norm = Math.hypot(...xg);
    if (norm === 0) assert.ok(Math.hypot(...gg) <= 0.1 + 1e-8, `group ${g / 5}: ‖∇_g‖ ≤ λ`);
    else {
      active++;
      for (let i = 0; i < 5; i++) assert.ok(Math.abs(gg[i] + (0.1 * xg[i]) / norm) < 1e-8, `group ${g / 5}: ∇_g = −λx_g/‖x_g‖`);
    }
  }
  assert.ok(active >= 1 && active < 10, `${active} active groups`);
});

test('ISTA and FISTA reach a known lasso solution (KKT to 1e-8), with L known and by backtracking; FISTA gets there in fewer iterations', () => {
  const { objective, solution } = knownLasso();
  const unknownL: Objective = { ...objective, composite: { ...objective.composite!, lipschitz: undefined } };
  const fStar = objective.evaluate(solution).value;
  const iterationsTo = (iterates: Float64Array[], gap: number) => iterates.findIndex((x) => objective.evaluate(x).value - fStar <= gap * fStar);
  const counts: Record<string, number> = {};
  for (const [name, make] of [['ista', () => new Ista(1)], ['fista', () => new Fista(1)]] as const) {
    for (const [which, target] of [['L known', objective], ['backtracking', unknownL]] as const) {
      const iterates = runPolicy(make(), target, 1500);
      const z = iterates.at(-1)!;
      assert.ok(lassoKktViolation(objective, z) <= 1e-8, `${name}, ${which}: KKT violation ${lassoKktViolation(objective, z)}`);
      assertClose(z, solution, 1e-8, `${name}, ${which}: the known solution`);
      if (which === 'L known') counts[name] = iterationsTo(iterates, 1e-6);
    }
  }
  assert.ok(counts.fista > 0 && counts.fista < counts.ista, `iterations to a 1e-6 relative gap: ${JSON.stringify(counts)}`);
});

test('the sparse families state their minimum f*: the known lasso\'s f(z̄) to 1e-12, and FISTA\'s on a group lasso; read lazily, also through a user family', () => {
  const { objective, solution } = knownLasso();
  const fStar = objective.evaluate(solution).value;
  assert.ok(Math.abs(objective.minimum! - fStar) <= 1e-12 * fStar, `minimum ${objective.minimum} vs f(z̄) ${fStar}`);
  const group = family(groupSparseRegression).sample('train', 2);
  const fista = group.evaluate(runPolicy(new Fista(1), group, 3000).at(-1)!).value;
  assert.ok(Math.abs(group.minimum! - fista) <= 1e-12 * fista, `group lasso minimum ${group.minimum} vs FISTA's ${fista}`);
  // Through checkedFamily (how a user's family arrives) the minimum is forwarded, not read at sampling.
  let reads = 0;
  const user = checkedFamily({ name: 'counting', dim: 2, splitSizes: { train: 1, test: 1 }, sample: () => ({ name: 'c', dim: 2, start: () => new Float64Array(2), evaluate: (x: Float64Array) => ({ value: x[0] ** 2 + 1, gradient: Float64Array.of(2 * x[0], 0) }), get minimum() { reads++; return 1; } }) }, 'counting');
  const instance = user.sample('train', 0);
  assert.equal(reads, 0, 'sampling does not compute the minimum');
  assert.equal(instance.minimum, 1);
  assert.equal(reads, 1);
  const broken = checkedFamily({ name: 'nan-min', dim: 1, splitSizes: { train: 1, test: 1 }, sample: () => ({ name: 'n', dim: 1, start: () => new Float64Array(1), evaluate: () => ({ value: 0, gradient: new Float64Array(1) }), minimum: NaN }) }, 'nan-min');
  assert.throws(() => broken.sample('train', 0).minimum, (err: unknown) => err instanceof UserError && /minimum must be a finite number/.test(err.message));
});

test('ista and fista are found by name, apart from the default list, and refuse an objective without a composite structure', () => {
  assert.deepEqual(PROXIMAL.map((o) => o.name), ['ista', 'fista']);
  assert.ok(!HAND_DESIGNED.some((o) => o.name === 'ista' || o.name === 'fista'), "l2o eval's default list runs on every family");
  const quadratic = createFamily('quadratic').sample('test', 0);
  for (const name of ['ista', 'fista']) {
    const policy = findHandDesigned(name).create(1);
    assert.throws(() => policy.reset(quadratic, new Rng('r')), (err: unknown) => err instanceof UserError && err.message.includes(`${name} is a proximal method`) && err.message.includes('quadratic/test/0'));
  }
});

test('LISTA at its ISTA initialization is K ISTA steps from 0; the policy applies layer k at step k and ISTA past K', () => {
  const objective = coding.sample('test', 2);
  const code = objective.sparseCode!;
  const network = istaNetwork(code, objective.composite!.lipschitz!, 5);
  const ista = runPolicy(new Ista(1), objective, 8);
  assertClose(listaForward(network, code.y), ista[5], 1e-12, 'z_K');
  const policy = new ListaPolicy(network);
  assert.match(policy.description, /5 learned layers, then ISTA/);
  assertClose(runPolicy(policy, objective, 8).at(-1)!, ista[8], 1e-12, 'layers, then ISTA');
  // A moved network: layers differ from ISTA, step k is still layer k, and the steps past K are ISTA's.
  const moved = { ...network, theta: network.theta.map((t, i) => t * (1 + 0.1 * Math.sin(i))), S: network.S.map((s) => s * 0.99) };
  const iterates = runPolicy(new ListaPolicy(moved), objective, 7);
  assertClose(iterates[5], listaForward(moved, code.y), 1e-12, 'the moved network');
  const afterwards = runPolicy(new Ista(1), { ...objective, start: () => Float64Array.from(iterates[5]) }, 2);
  assertClose(iterates[7], afterwards[2], 1e-12, 'ISTA past K');
  // Objectives it was not made for.
  assert.throws(() => policy.reset(family(groupSparseRegression).sample('test', 0), new Rng('r')), (err: unknown) => err instanceof UserError && /sparse-coding objectives/.test(err.message));
  assert.throws(() => policy.reset(family(sparseCoding, { instanceSeed: 3 }).sample('test', 0), new Rng('r')), (err: unknown) => err instanceof UserError && /dictionary/.test(err.message));
});

const SMALL: ListaConfig = { ...DEFAULT_LISTA_CONFIG, layers: 6, iterations: 120, batch: 32, learningRate: 1e-3, validationProblems: 50, validateEvery: 40, seed: 'test' };

test('LISTA training lowers the held-out NMSE from its ISTA initialization, bit-identically on a rerun, leaving no tensor; its file round-trips', () => {
  const train = family(sparseCoding, { trainSize: 400, testSize: 100 });
  const before = tf.memory().numTensors;
  const first = trainLista(train, SMALL);
  assert.equal(tf.memory().numTensors, before, 'no tfjs tensor left behind');
  const second = trainLista(train, SMALL);
  assert.deepEqual(second.network, first.network, 'the same seed gives the same weights');
  assert.deepEqual(first.log.map((l) => l.iteration), [0, 40, 80, 120]);
  assert.ok(first.bestIteration > 0 && first.validationNmseDb < first.initialNmseDb - 2, `validation ${first.initialNmseDb.toFixed(2)} → ${first.validationNmseDb.toFixed(2)} dB`);
  // On the test split, which training never saw.
  const test = Array.from({ length: 100 }, (_, i) => train.sample('test', i).sparseCode!);
  const objective = train.sample('test', 0);
  const ista = istaNetwork(objective.sparseCode!, objective.composite!.lipschitz!, SMALL.layers);
  const [initial, trained] = [listaNmseDb(ista, test), listaNmseDb(first.network, test)];
  assert.ok(trained < initial - 2, `test NMSE ${initial.toFixed(2)} → ${trained.toFixed(2)} dB`);

  const dir = scratchDir('l2o-lista-');
  const path = join(dir, 'lista.json');
  const training = { config: SMALL, bestIteration: first.bestIteration, validationNmseDb: first.validationNmseDb, initialNmseDb: first.initialNmseDb };
  saveListaNetwork(path, first.network, { env: 'sparse-coding', envParams: { trainSize: '400' } }, training);
  const loaded = loadListaNetwork(path);
  assert.deepEqual(loaded.network, first.network);
  assert.deepEqual(loaded.identity, { env: 'sparse-coding', envParams: { trainSize: '400' } });
  assert.deepEqual(loaded.training, training);
  const file = JSON.parse(readFileSync(path, 'utf8'));
  assert.equal(file.format, 'l2o-lista');
  assert.equal(file.version, 1);
  writeFileSync(path, JSON.stringify({ ...file, theta: file.theta.slice(1) }));
  assert.throws(() => loadListaNetwork(path), (err: unknown) => err instanceof UserError && err.message === `${path}: theta has 299 numbers, expected 300 (layers 6 × n 50)`);
  writeFileSync(path, JSON.stringify({ ...file, format: 'l2o-bptt' }));
  assert.throws(() => loadListaNetwork(path), (err: unknown) => err instanceof UserError && /is not a LISTA network/.test(err.message));
});

test('LISTA training refuses a family without sparse codes', () => {
  assert.throws(() => trainLista(family(groupSparseRegression), { ...SMALL, iterations: 1 }), (err: unknown) => err instanceof UserError && /sparse-coding families/.test(err.message));
});

test('ista, fista and lista run through OptimizationEnv and rollout, also on a family that came in as user code', () => {
  const objective = coding.sample('test', 0);
  // A user's family module is wrapped in checks (checked-objective.ts); its composite structure and sparse code pass through.
  const userObjective = checkedFamily(coding, 'sparse-coding').sample('test', 0);
  for (const policy of [new Ista(1), new Fista(1), new ListaPolicy(istaNetwork(objective.sparseCode!, objective.composite!.lipschitz!, 4))]) {
    const run = rollout(new OptimizationEnv(), policy, objective, 20, new Rng('r'));
    assert.equal(run.divergedAt, null);
    assert.ok(run.values[20] < run.values[0]);
    assert.deepEqual(rollout(new OptimizationEnv(), policy, userObjective, 20, new Rng('r')).values, run.values);
  }
});
