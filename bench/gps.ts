// One GPS iteration at the default logreg setting (DEFAULT_GPS_CONFIG; --conditions=N to vary it), split
// into sampling / dynamics / LQR / policy. The first iteration has no policy coupling (as in
// cbfinn/gps), so the second is the typical one; both are printed.
import { createFamily } from '../envs/registry.ts';
import { initBackend } from '../src/backend.ts';
import { DEFAULT_GPS_CONFIG, GuidedPolicySearch } from '../src/gps/badmm.ts';
import { divideTrainingSplit } from '../src/gps/train.ts';

export async function benchGps(args: string[]): Promise<void> {
  const backend = await initBackend();
  const requested = args.find((a) => a.startsWith('--conditions='))?.split('=')[1];
  const family = createFamily('logreg');
  // The split as l2o train divides it, so --conditions=80 holds out the 10 left rather than the default's 70.
  const { conditions, validation } = divideTrainingSplit(family, { conditions: requested === undefined ? undefined : Number(requested) });
  const config = { ...DEFAULT_GPS_CONFIG, conditions, validation, seed: 'bench' };
  console.log(`GPS on logreg: ${conditions} conditions, T = ${config.horizon}, M = ${config.samples}, H = ${config.historyLength}, ${config.innerIterations} inner iterations, tfjs backend ${backend}`);
  const started = Date.now();
  const gps = GuidedPolicySearch.create(config, family);
  console.log(`initial momentum teachers: ${((Date.now() - started) / 1000).toFixed(2)} s`);
  console.log('iteration   total  sampling  dynamics     LQR  policy   (seconds)');
  for (let i = 0; i < 2; i++) {
    const log = gps.runIteration();
    const t = log.timing;
    console.log(`${String(i + 1).padStart(9)} ${log.seconds.toFixed(2).padStart(7)} ${t.sampling.toFixed(2).padStart(9)} ${t.dynamics.toFixed(2).padStart(9)} ${t.lqr.toFixed(2).padStart(7)} ${t.policy.toFixed(2).padStart(7)}`);
  }
}
