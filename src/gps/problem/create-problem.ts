// The MDP view a GPS config asks for (gps-problem.ts): per coordinate (Li & Malik 2017) or over the
// full state (2016).
import type { GpsConfig } from '../config.ts';
import type { GpsProblem } from './gps-problem.ts';
import { CoordinatewiseProblem } from './coordinatewise-problem.ts';
import { FullStateProblem } from './full-state-problem.ts';

export function gpsProblem(config: GpsConfig, dim: number): GpsProblem {
  return config.coordinatewise ? new CoordinatewiseProblem(config) : new FullStateProblem(dim, config);
}
