// npm run bench -- gradient [--data-dir=DIR]: one minibatch gradient (objective.evaluate) of the MLP
// objectives the experiments train, median of 100 after a warm-up: the image-mlp larger net on
// CIFAR-10, the MNIST net of the 2017 experiments, and a raw-pixel 784-48-10 sigmoid net.
import { fileURLToPath } from 'node:url';
import { createFamily } from '../envs/registry.ts';
import { initBackend } from '../src/backend.ts';
import { Rng } from '../src/random.ts';
import { formatSeconds, medianSeconds } from './timing.ts';

const NETS: { label: string; params: Record<string, string | number> }[] = [
  { label: 'larger net, CIFAR-10 projected to 100, 200 ReLU, 10 out', params: { dataset: 'cifar10', project: 100, hidden: '200', batchSize: 64 } },
  { label: 'MNIST net, projected to 48, 48 ReLU, 10 out', params: { dataset: 'mnist', project: 48, hidden: '48', batchSize: 64 } },
  { label: 'MNIST raw pixels, 784-48-10 sigmoid', params: { dataset: 'mnist', project: 0, hidden: '48', batchSize: 64, activation: 'sigmoid' } },
];

export async function benchGradient(args: string[]): Promise<void> {
  const backend = await initBackend();
  const dataDir = args.find((a) => a.startsWith('--data-dir='))?.split('=')[1] ?? fileURLToPath(new URL('../../shared/data', import.meta.url));
  console.log(`minibatch gradient of an MLP objective (batch 64), median of 100; tfjs backend ${backend}`);
  for (const { label, params } of NETS) {
    const objective = createFamily('image-mlp', { ...params, dataDir }).sample('test', 0);
    try {
      const x = objective.start(new Rng('bench-gradient'));
      objective.evaluate(x);
      const seconds = medianSeconds(100, () => objective.evaluate(x));
      console.log(`  ${label.padEnd(58)} ${String(objective.dim).padStart(6)} weights  ${formatSeconds(seconds).padStart(9)}`);
    } finally {
      objective.dispose?.();
    }
  }
}
