// `npm run bench -- gps --coordinatewise`: one per-coordinate learned step on the larger net
// (100-200-10 on a 100-dim CIFAR-10 projection, 22,210 weights, minibatch 64), gradient included,
// beside an SGD step on the same objective, for the MLP policy on the history features and on
// history-adam (the generalization experiment's), and the LSTM policy (32 and 128 cells), with
// untrained weights (the cost does not depend on them). Issue target: ≤ 3× SGD.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createFamily } from '../envs/registry.ts';
import { OptimizationEnv } from '../envs/optimization-env.ts';
import type { Objective } from '../envs/objective.ts';
import { GradientDescent } from '../policies/first-order.ts';
import { CoordinatewiseGpsPolicy } from '../policies/gps-policy.ts';
import { PolicyNetwork } from '../policies/policy-network.ts';
import { LstmPolicyNetwork } from '../policies/lstm-policy-network.ts';
import type { Policy } from '../policies/policy.ts';
import { createCoordinateFeatures } from '../envs/coordinate-features.ts';
import { initBackend } from '../src/backend.ts';
import { resolveDataDir } from '../src/data/data-dir.ts';
import { DEFAULT_GPS_CONFIG } from '../src/gps/badmm.ts';
import { Rng } from '../src/random.ts';
import { formatSeconds, medianSeconds } from './timing.ts';

const SHARED_DATA = fileURLToPath(new URL('../../shared/data', import.meta.url));
const LARGER_NET = { dataset: 'cifar10', project: 100, hidden: '200', batchSize: 64 };

/** The median seconds of one step (act, then x + Δx and its gradient), after 3 warm-up steps. */
function stepSeconds(policy: Policy, objective: Objective, steps: number): number {
  const env = new OptimizationEnv({ historyLength: 1 });
  const rng = new Rng('bench-learned-step');
  let observation = env.reset(objective, rng.fork('start'));
  policy.reset(objective, rng.fork('policy'));
  const step = () => {
    const result = env.step(policy.act(observation));
    observation = result.done ? env.reset(objective, rng.fork('restart')) : result.observation;
  };
  for (let i = 0; i < 3; i++) step();
  return medianSeconds(steps, step);
}

export async function benchLearnedStep(args: string[]): Promise<void> {
  const backend = await initBackend();
  const steps = Number(args.find((a) => a.startsWith('--steps='))?.split('=')[1] ?? 30);
  // As bench/peers.ts: the workplace's shared datasets when they are there, else the user's data dir.
  const dataDir = resolveDataDir(args.find((a) => a.startsWith('--data-dir='))?.split('=')[1] ?? (existsSync(SHARED_DATA) ? SHARED_DATA : undefined));
  const objective = createFamily('image-mlp', { ...LARGER_NET, dataDir }).sample('test', 0);
  const H = DEFAULT_GPS_CONFIG.historyLength;
  const scaling = DEFAULT_GPS_CONFIG.gradientScaling;
  const inputs = createCoordinateFeatures('history', H, scaling).observationDim;
  const adamInputs = createCoordinateFeatures('history-adam', H, scaling).observationDim;
  const rng = new Rng('bench-learned-step-policy');
  console.log(`per-coordinate learned step on the larger net (${objective.dim} weights), gradient included, median of ${steps}; tfjs backend ${backend}`);
  const sgd = stepSeconds(new GradientDescent(0.1), objective, steps);
  console.log(`${'SGD step'.padEnd(38)} ${formatSeconds(sgd).padStart(10)}`);
  const rows: [string, Policy][] = [
    [`MLP policy (${inputs}-${DEFAULT_GPS_CONFIG.hidden}-1)`, new CoordinatewiseGpsPolicy(new PolicyNetwork(inputs, DEFAULT_GPS_CONFIG.hidden, 1, rng.fork('mlp')), H, scaling)],
    [`MLP policy, history-adam (${adamInputs}-${DEFAULT_GPS_CONFIG.hidden}-1)`, new CoordinatewiseGpsPolicy(new PolicyNetwork(adamInputs, DEFAULT_GPS_CONFIG.hidden, 1, rng.fork('mlp-adam')), H, scaling, 'history-adam')],
    ['LSTM policy, 32 cells', new CoordinatewiseGpsPolicy(new LstmPolicyNetwork(inputs, 32, 1, rng.fork('lstm32')), H, scaling)],
    [`LSTM policy, ${DEFAULT_GPS_CONFIG.lstmCells} cells (the default)`, new CoordinatewiseGpsPolicy(new LstmPolicyNetwork(inputs, DEFAULT_GPS_CONFIG.lstmCells, 1, rng.fork('lstm128')), H, scaling)],
  ];
  for (const [label, policy] of rows) {
    const seconds = stepSeconds(policy, objective, label.startsWith('LSTM') ? Math.min(steps, 10) : steps);
    console.log(`${label.padEnd(38)} ${formatSeconds(seconds).padStart(10)}  ${(seconds / sgd).toFixed(2)}× SGD (target ≤ 3×)`);
  }
  objective.dispose?.();
}
