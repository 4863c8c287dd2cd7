import assert from 'node:assert/strict';
import { test } from 'node:test';

import './catalogs.mjs';
import { engine } from './engine.mjs';

import { useEngine, variantOf } from '../../static/js/cells.js';
import { explain, formulas, positionAt, previousPosition, recompute } from '../../static/js/math.js';
import { allSteps, loadRuns } from './helpers.mjs';

const close = (a, b, tol = 1e-9) => Math.abs(a - b) <= tol;

/** The engine's cells with the fake fifth variant of fixtures/make_runs.py beside them, for `fn`. */
function withFake(fn) {
  const fake = loadRuns().fake_variant.reference.variant;
  useEngine({ ...engine(), cells: { ...engine().cells, [fake.key]: fake } });
  try {
    return fn();
  } finally {
    useEngine(engine());
  }
}

/** Every numpy run, the fake variant's included, with the cells that describe it loaded. */
const eachRun = (fn) => withFake(() => Object.entries(loadRuns()).forEach(([name, run]) => fn(name, run)));

test('recomputed pre-activations, gates and states equal the numpy reference at every valid step', () => {
  eachRun((name, run) => {
    let checked = 0;
    const { states, gates } = variantOf(run.config);
    for (const s of allSteps(run)) {
      if (!s.valid) continue;
      const step = recompute(run, s);
      const ref = run.reference.layers[s.layer][s.direction].pre;
      const served = run.layers[s.layer][s.direction];
      assert.deepEqual(Object.keys(step.pre).sort(), Object.keys(ref).sort(), name);
      for (const [block, values] of Object.entries(step.pre)) {
        values.forEach((v, u) => assert.ok(close(v, ref[block][s.b][s.t][u]), `${name} pre ${block} ${JSON.stringify(s)}`));
      }
      for (const g of gates) step.values[g].forEach((v, u) => assert.ok(close(v, served.gates[g][s.b][s.t][u]), `${name} gate ${g}`));
      for (const q of states) step.values[q].forEach((v, u) => assert.ok(close(v, served.states[q][s.b][s.t][u]), `${name} ${q} ${JSON.stringify(s)}`));
      checked += 1;
    }
    assert.ok(checked > 0, name);
  });
});

test('every check of the math panel matches the server at valid steps, for every unit: one per gate and state', () => {
  eachRun((name, run) => {
    const { states, gates } = variantOf(run.config);
    for (const s of allSteps(run)) {
      for (let unit = 0; unit < run.config.hidden_size; unit += 1) {
        const panel = explain(run, { ...s, unit });
        assert.equal(panel.padding, !s.valid);
        if (!s.valid) continue;
        assert.equal(panel.checks.length, states.length + gates.length, name);
        assert.ok(panel.checks.every((c) => c.ok), JSON.stringify(panel.checks));
      }
    }
  });
});

test('a server value that disagrees with the equations is flagged, for every state of every cell', () => {
  eachRun((name, run) => {
    const s = { layer: 0, direction: 'forward', b: 0, t: 1, unit: 0 };
    for (const q of variantOf(run.config).states) {
      const changed = structuredClone(run);
      changed.layers[0].forward.states[q][0][1][0] += 0.01;
      const check = explain(changed, s).checks.find((c) => c.name === `${q}_t`);
      assert.equal(check.ok, false, `${name} ${q}`);
      assert.match(check.text, /✗ server/);
      assert.ok(explain(changed, s).checks.filter((c) => !c.ok).length === 1, `${name} ${q}`);
    }
  });
});

test('the math panel writes the input, the previous state and the final h it checked', () => {
  const run = loadRuns().lstm_bidir_2layers;
  const panel = explain(run, { layer: 1, direction: 'backward', b: 1, t: 0, unit: 2 });
  const text = panel.lines.map((l) => l.text).join('\n');
  assert.match(text, /\(from position 1\)/);
  const x = [...run.layers[0].forward.outputs[1][0], ...run.layers[0].backward.outputs[1][0]];
  assert.ok(text.includes(`x_t = [${x.map((v) => v.toFixed(4)).join(', ')}]`));
  assert.ok(text.includes(`c_prev = [${run.layers[1].backward.states.c[1][1].map((v) => v.toFixed(4)).join(', ')}]`));
  assert.ok(text.includes('forget_bias = 1.0000'));
  const h = panel.checks.find((c) => c.name === 'h_t');
  assert.ok(close(h.js, run.layers[1].backward.states.h[1][0][2]));
});

test('the panel heads each cell with its equations, written from the engine\'s data', () => {
  const runs = loadRuns();
  assert.deepEqual(formulas(variantOf(runs.rnn_text.config)), ['h_t = tanh(x·W + h_prev·U + b)']);
  assert.deepEqual(formulas(variantOf(runs.lstm_bidir_2layers.config)), [
    'i = σ(x·W_i + h_prev·U_i + b_i)', 'f = σ(x·W_f + h_prev·U_f + b_f + forget_bias)', 'g = tanh(x·W_g + h_prev·U_g + b_g)',
    'o = σ(x·W_o + h_prev·U_o + b_o)', 'c_t = f⊙c_prev + i⊙g', 'h_t = o⊙tanh(c_t)',
  ]);
  assert.deepEqual(formulas(variantOf(runs.gru_reset_after.config)), [
    "z = σ(x·W_z + b_z + h_prev·U_z + b'_z), r likewise", "n = tanh(x·W_n + b_n + r⊙(h_prev·U_n + b'_n))", 'h_t = z⊙h_prev + (1−z)⊙n',
  ]);
  assert.deepEqual(formulas(variantOf(runs.gru_reset_before.config)), [
    'z = σ(x·W_z + h_prev·U_z + b_z), r likewise', 'n = tanh(x·W_n + (r⊙h_prev)·U_n + b_n)', 'h_t = z⊙h_prev + (1−z)⊙n',
  ]);
});

test('each dot product is written term by term, and its terms add up to the sum the check reads', () => {
  const run = loadRuns().gru_reset_before;
  const s = { layer: 1, direction: 'forward', b: 1, t: 2, unit: 1 };
  const panel = explain(run, s);
  const line = panel.lines.find((l) => l.text.startsWith('(r⊙h_prev)·U_n[:,1] = '));
  const [, terms, total] = line.text.split(' = ');
  const sum = terms.split(' + ').map((term) => term.split('×').map((v) => Number(v.replace(/[()]/g, ''))).reduce((a, b) => a * b, 1)).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - Number(total)) < 1e-3, line.text);
  const r = run.layers[1].forward.gates.r[1][2]; // the numpy fixture's gate, not math.js' own
  const h = run.layers[1].forward.states.h[1][1];
  const U = run.weights.layers[1].forward.recurrent_kernel;
  const H = run.config.hidden_size;
  assert.ok(close(Number(total), r.reduce((acc, rv, j) => acc + rv * h[j] * U[j][2 * H + 1], 0), 5e-5));
});

test('a fifth variant the front end has never seen is explained from its description alone', () => {
  withFake(() => {
    const run = loadRuns().fake_variant;
    assert.deepEqual(formulas(variantOf(run.config)), [
      'f = σ(x·W_f + h_prev·U_f + b_f)', 'n = tanh(x·W_n + (f⊙h_prev)·U_n + b_n)', 'u = 1−f', 'h_t = u⊙h_prev + f⊙n',
      'm_t = leak⊙m_prev + (1−leak)⊙h_t',
    ]);
    const panel = explain(run, { layer: 0, direction: 'backward', b: 0, t: 1, unit: 1 });
    const text = panel.lines.map((l) => l.text);
    assert.deepEqual(panel.checks.map((c) => c.name), ['f', 'n', 'h_t', 'm_t']);
    assert.ok(text.includes('leak = 0.3000'), text.join('\n'));
    const f = run.layers[0].backward.gates.f[0][1][1];
    assert.ok(text.includes(`u = 1−f = 1.0000 − ${f.toFixed(4)} = ${(1 - f).toFixed(4)}`), 'the helper u is written, unchecked');
    assert.equal(text.filter((l) => l === 'leak = 0.3000').length, 1);
    assert.ok(text.some((l) => l.startsWith('m_prev = [')));
  });
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
