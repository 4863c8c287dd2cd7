// Shared by the unit tests: the numpy-computed run results of fixtures/runs.json, and how many numbers a result carries.
import { readFileSync } from 'node:fs';

/** The fixture runs by name (see fixtures/make_runs.py), freshly parsed for each caller. */
export function loadRuns() {
  return JSON.parse(readFileSync(new URL('./fixtures/runs.json', import.meta.url), 'utf8'));
}

/** Every (layer, direction, example, position) of a run. */
export function* allSteps(run) {
  const T = run.inputs[0].length;
  for (const [layer, dirs] of run.layers.entries()) {
    for (const direction of Object.keys(dirs)) {
      for (let b = 0; b < run.inputs.length; b += 1) {
        for (let t = 0; t < T; t += 1) yield { layer, direction, b, t, valid: t < run.sequence_length[b] };
      }
    }
  }
}

/** How many numbers a run result's arrays carry (inputs, layers, top outputs, weights; not its echoed config). */
export function numbersOf(result) {
  const count = (v) => (Array.isArray(v) ? v.reduce((n, x) => n + count(x), 0) : typeof v === 'number' ? 1 : v && typeof v === 'object' ? Object.values(v).reduce((n, x) => n + count(x), 0) : 0);
  return count([result.inputs, result.layers, result.outputs, result.weights]);
}
