import assert from 'node:assert/strict';
import { test } from 'node:test';

import './catalogs.mjs';

import { explain, positionAt, previousPosition, recompute } from '../../static/js/math.js';
import { allSteps, loadRuns } from './helpers.mjs';

const close = (a, b, tol = 1e-9) => Math.abs(a - b) <= tol;

test('recomputed pre-activations, gates and states equal the numpy reference at every valid step', () => {
  for (const [name, run] of Object.entries(loadRuns())) {
    let checked = 0;
    for (const s of allSteps(run)) {
      if (!s.valid) continue;
      const step = recompute(run, s);
      const ref = run.reference.layers[s.layer][s.direction].pre;
      const served = run.layers[s.layer][s.direction];
      for (const bl of step.blocks) {
        bl.pre.forEach((v, u) => assert.ok(close(v, ref[bl.name][s.b][s.t][u]), `${name} pre ${bl.name} ${JSON.stringify(s)}`));
        if (run.config.cell !== 'rnn') {
          bl.value.forEach((v, u) => assert.ok(close(v, served.gates[bl.name][s.b][s.t][u]), `${name} gate ${bl.name}`));
        }
      }
      step.h.forEach((v, u) => assert.ok(close(v, served.states.h[s.b][s.t][u]), `${name} h ${JSON.stringify(s)}`));
      if (step.c) step.c.forEach((v, u) => assert.ok(close(v, served.states.c[s.b][s.t][u]), `${name} c`));
      checked += 1;
    }
    assert.ok(checked > 0, name);
  }
});

test('every check of the math panel matches the server at valid steps, for every unit', () => {
  for (const run of Object.values(loadRuns())) {
    for (const s of allSteps(run)) {
      for (let unit = 0; unit < run.config.hidden_size; unit += 1) {
        const panel = explain(run, { ...s, unit });
        assert.equal(panel.padding, !s.valid);
        if (!s.valid) continue;
        const expected = { rnn: 1, lstm: 6, gru: 4 }[run.config.cell];
        assert.equal(panel.checks.length, expected);
        assert.ok(panel.checks.every((c) => c.ok), JSON.stringify(panel.checks));
      }
    }
  }
});

test('the math panel writes the input, the previous state and the final h it checked', () => {
  const run = loadRuns().lstm_bidir_2layers;
  const panel = explain(run, { layer: 1, direction: 'backward', b: 1, t: 0, unit: 2 });
  const text = panel.lines.map((l) => l.text).join('\n');
  assert.match(text, /\(from position 1\)/);
  const x = [...run.layers[0].forward.outputs[1][0], ...run.layers[0].backward.outputs[1][0]];
  assert.ok(text.includes(`x_t = [${x.map((v) => v.toFixed(4)).join(', ')}]`));
  assert.ok(text.includes(`forget_bias = 1.0000`));
  const h = panel.checks.find((c) => c.name === 'h_t');
  assert.ok(close(h.js, run.layers[1].backward.states.h[1][0][2]));
});

test('a server value that disagrees with the equations is flagged', () => {
  const run = loadRuns().gru_reset_before;
  run.layers[0].forward.states.h[0][1][0] += 0.01;
  const panel = explain(run, { layer: 0, direction: 'forward', b: 0, t: 1, unit: 0 });
  const h = panel.checks.find((c) => c.name === 'h_t');
  assert.equal(h.ok, false);
  assert.match(h.text, /✗ server/);
});

test('padding steps explain the carried state instead of an equation', () => {
  const run = loadRuns().gru_reset_after;
  const panel = explain(run, { layer: 0, direction: 'backward', b: 1, t: 2, unit: 1 });
  assert.equal(panel.padding, true);
  assert.match(panel.lines.at(-1).text, /padding/);
});

test('the backward direction reads the valid prefix in reverse and starts from the initial state', () => {
  assert.deepEqual([0, 1, 2, 3, 4].map((s) => positionAt('backward', s, 3)), [2, 1, 0, 3, 4]);
  assert.deepEqual([0, 1, 2].map((s) => positionAt('forward', s, 3)), [0, 1, 2]);
  assert.equal(previousPosition('backward', 2, 3), null);
  assert.equal(previousPosition('backward', 0, 3), 1);
  assert.equal(previousPosition('forward', 0, 3), null);
});
