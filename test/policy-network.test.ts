import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyNetwork } from '../policies/policy-network.ts';
import { Rng } from '../src/random.ts';

/** Targets μ̂ = A·o (the policy maps a zero history to a zero step); precision factor Uᵀ = diag(scale). */
function linearTask(rng: Rng, rows: number, scale: number[]) {
  const A = [
    [0.5, -1, 0.2],
    [0.1, 0.3, -0.7],
  ];
  const observations = Array.from({ length: rows }, () => rng.normalVector(3));
  const targets = observations.map((o) => Float64Array.from(A, (row) => row[0] * o[0] + row[1] * o[1] + row[2] * o[2]));
  const factor = Float64Array.of(scale[0], 0, 0, scale[1]);
  return { observations, targets, precisionFactors: observations.map(() => factor), weights: new Float64Array(rows).fill(1) };
}

test('distillation fits a smooth map and round-trips through JSON', () => {
  const rng = new Rng('net');
  const net = new PolicyNetwork(3, 30, 2, rng.fork('init'));
  const data = linearTask(rng.fork('data'), 512, [1, 1]);
  const initialError = data.observations.reduce((s, o, i) => s + net.mean(o).reduce((a, v, k) => a + (v - data.targets[i][k]) ** 2, 0), 0) / 512;
  const loss = net.fit(data, { iterations: 1500, batchSize: 64, learningRate: 0.01, rng: rng.fork('fit') });
  const finalError = data.observations.reduce((s, o, i) => s + net.mean(o).reduce((a, v, k) => a + (v - data.targets[i][k]) ** 2, 0), 0) / 512;
  assert.ok(finalError < 0.05 * initialError && finalError < 0.02, `error ${initialError} → ${finalError}`);
  // Relative: the loss is ~2e-5, so an absolute 0.05 passed any loss of that size (the two agree to ~1e-14).
  assert.ok(Math.abs(loss - finalError) <= 1e-9 * finalError, `reported loss ${loss} agrees with the float64 evaluation ${finalError}`);
  const copy = PolicyNetwork.fromJSON(JSON.parse(JSON.stringify(net.toJSON())));
  const probe = Float64Array.of(0.3, -1.2, 2);
  assert.deepEqual(Array.from(copy.mean(probe)), Array.from(net.mean(probe)));
  assert.throws(() => PolicyNetwork.fromJSON({ ...net.toJSON(), W1: [1, 2] }), /'W1' must be 90 finite numbers/);
  assert.deepEqual(Array.from(net.mean(new Float64Array(3))), [0, 0], 'a zero history gives a zero step');
});

test('the precision weighting decides which output a too-small network fits', () => {
  // Two outputs that one hidden unit cannot both match: the heavily weighted one must win.
  const rng = new Rng('prec');
  const fitError = (scale: number[]) => {
    const net = new PolicyNetwork(3, 1, 2, rng.fork(`init-${scale}`));
    const data = linearTask(rng.fork('data'), 512, scale);
    net.fit(data, { iterations: 1500, batchSize: 64, learningRate: 0.02, rng: rng.fork('fit') });
    const err = [0, 0];
    data.observations.forEach((o, i) => net.mean(o).forEach((v, k) => (err[k] += (v - data.targets[i][k]) ** 2 / 512)));
    return err;
  };
  const first = fitError([10, 0.1]);
  const second = fitError([0.1, 10]);
  assert.ok(first[0] < second[0] && second[1] < first[1], `first-weighted ${first}, second-weighted ${second}`);
});

test('the distillation gradient matches central differences of the weighted loss', () => {
  const rng = new Rng('grad');
  const net = new PolicyNetwork(4, 6, 3, rng.fork('init'));
  // Non-trivial biases and output weights, so the anchor's b1 term and every path carry gradient.
  net.parameters[1].set(rng.normalVector(6));
  net.parameters[2].set(rng.normalVector(18, 0.5));
  const rows = 20;
  const data = {
    observations: Array.from({ length: rows }, () => rng.normalVector(4)),
    targets: Array.from({ length: rows }, () => rng.normalVector(3)),
    // A full (not diagonal) factor per row, so the precision's cross terms are exercised.
    precisionFactors: Array.from({ length: rows }, () => rng.normalVector(9)),
    weights: Float64Array.from({ length: rows }, () => rng.uniformIn(0.2, 2)),
  };
  const { gradients } = net.lossGradient(data);
  const h = 1e-6;
  net.parameters.forEach((param, p) => {
    for (let i = 0; i < param.length; i++) {
      const saved = param[i];
      param[i] = saved + h;
      const up = net.lossGradient(data).loss;
      param[i] = saved - h;
      const down = net.lossGradient(data).loss;
      param[i] = saved;
      const numeric = (up - down) / (2 * h);
      assert.ok(Math.abs(numeric - gradients[p][i]) < 1e-6 * Math.max(1, Math.abs(numeric)), `parameter ${p}[${i}]: analytic ${gradients[p][i]}, numeric ${numeric}`);
    }
  });
});

test('meanBatch gives, row by row, exactly what mean gives, clipping included', () => {
  const rng = new Rng('batch');
  const net = new PolicyNetwork(4, 7, 2, rng.fork('init'));
  net.parameters[1].set(rng.normalVector(7));
  net.inputScale.set([1, 2, 0.5, 3]);
  net.inputBound.set([0.5, 10, 1, 2]);
  const width = 5; // a state row with one extra entry the network must not read
  const rows = 9;
  const states = rng.normalVector(rows * width, 2);
  states[width + 1] = 0; // a zero feature takes the skip path
  const batch = net.meanBatch(states, rows, width);
  for (let r = 0; r < rows; r++) {
    assert.deepEqual(Array.from(batch.subarray(2 * r, 2 * r + 2)), Array.from(net.mean(states.subarray(r * width, (r + 1) * width))));
  }
});

test('meanBatchFloat32 (the wasm kernel) agrees with meanBatch to float32 rounding and follows changed weights', () => {
  const rng = new Rng('tensor-batch');
  // 21 hidden units: the kernel pads them to whole 4-lane vectors; 301 rows: its last pair is one row.
  const net = new PolicyNetwork(6, 21, 1, rng.fork('init'));
  net.parameters[1].set(rng.normalVector(21));
  net.parameters[2].set(rng.normalVector(21));
  net.inputScale.set(rng.normalVector(6).map((v) => 0.5 + Math.abs(v)));
  net.inputBound.fill(1.5);
  const rows = 301;
  const states = rng.normalVector(rows * 7, 3);
  const close = (fast: Float64Array, exact: Float64Array) => {
    const scale = Math.max(...exact.map(Math.abs));
    exact.forEach((v, r) => assert.ok(Math.abs(fast[r] - v) < 1e-5 * scale, `row ${r}: ${fast[r]} vs ${v}`));
  };
  close(net.meanBatchFloat32(states, rows, 7), net.meanBatch(states, rows, 7));
  // The weights handed out live are changed in place: the next call sees them.
  net.parameters[0][3] += 0.5;
  net.inputBound[2] = 0.25;
  const exact = net.meanBatch(states, rows, 7);
  close(net.meanBatchFloat32(states, rows, 7), exact);
  assert.ok(Math.abs(net.meanBatchFloat32(states, rows, 7)[0] - exact[0]) < 1e-5 * Math.max(...exact.map(Math.abs)));
  // A NaN state gives a NaN step, as in float64.
  const broken = states.slice();
  broken[7 * 5 + 1] = Number.NaN;
  assert.ok(Number.isNaN(net.meanBatchFloat32(broken, rows, 7)[5]));
  assert.ok(Number.isFinite(net.meanBatchFloat32(broken, rows, 7)[4]));
});

test('an average of networks steps by their mean action, each read with its own input scaling, and round-trips through JSON', () => {
  const rng = new Rng('average');
  const networks = [0, 1, 2].map((k) => {
    const net = new PolicyNetwork(3, 8, 2, rng.fork(`init-${k}`));
    net.parameters[1].set(rng.fork(`b1-${k}`).normalVector(8));
    net.inputScale.set(rng.fork(`scale-${k}`).normalVector(3).map((v) => 0.5 + Math.abs(v)));
    net.inputBound.fill(1 + k);
    net.variance.fill(k + 1);
    return net;
  });
  const average = PolicyNetwork.average(networks);
  assert.equal(average.members, 3);
  assert.deepEqual(Array.from(average.variance), [2, 2], "Σ_π is the members' mean");
  const probes = [Float64Array.of(0.3, -1.2, 2), Float64Array.of(3, 0.1, -0.4), Float64Array.of(-5, 4, 0.2)];
  for (const probe of probes) {
    const expected = [0, 1].map((k) => networks.reduce((s, net) => s + net.mean(probe)[k], 0) / 3);
    const got = Array.from(average.mean(probe));
    got.forEach((v, k) => assert.ok(Math.abs(v - expected[k]) < 1e-12, `output ${k}: ${v} vs the networks' mean ${expected[k]}`));
    assert.ok(networks.every((net) => Math.abs(net.mean(probe)[0] - got[0]) > 1e-6), 'the mean is none of the members');
  }
  const copy = PolicyNetwork.fromJSON(JSON.parse(JSON.stringify(average.toJSON())));
  assert.equal(copy.members, 3);
  probes.forEach((probe) => assert.deepEqual(Array.from(copy.mean(probe)), Array.from(average.mean(probe))));
  assert.equal(PolicyNetwork.average([average, networks[0]]).members, 4, 'an average of averages is flat');
  assert.deepEqual(Array.from(average.mean(new Float64Array(3))), [0, 0], 'a zero history still gives a zero step');
  assert.throws(() => average.fit(linearTask(rng, 8, [1, 1]), { iterations: 1, batchSize: 4, learningRate: 0.01, rng }), /not distilled further/);
  assert.throws(() => PolicyNetwork.fromJSON({ ...average.toJSON(), members: [{ ...average.toJSON().members![0], W1: [1] }] }), /members\[0\]\.'W1' must be 24 finite numbers/);
  assert.throws(() => PolicyNetwork.average([networks[0], new PolicyNetwork(3, 4, 2, rng)]), /one shape only \(3-8-2 and 3-4-2\)/);
  // The per-coordinate pass in float32 (one output) averages the same way.
  const perCoordinate = PolicyNetwork.average([1, 2].map((k) => new PolicyNetwork(3, 8, 1, rng.fork(`pc-${k}`))));
  const states = rng.normalVector(40 * 3);
  const exact = perCoordinate.meanBatch(states, 40, 3);
  perCoordinate.meanBatchFloat32(states, 40, 3).forEach((v, r) => assert.ok(Math.abs(v - exact[r]) < 1e-5 * Math.max(1e-3, Math.abs(exact[r])), `row ${r}: ${v} vs ${exact[r]}`));
});
