import assert from 'node:assert/strict';
import { test } from 'node:test';

import './engine.mjs';

import { variant, variants } from '../../static/js/cells.js';
import { evaluator, expansions, notation, shape } from '../../static/js/equations.js';
import { seededRandom } from '../../static/js/state.js';

/** Random inputs of one step of `v` (D inputs, H units), each weight matrix counting the columns read. */
function randomStep(v, D, H, seed) {
  const r = seededRandom(seed);
  const matrix = (rows, cols) => Array.from({ length: rows }, () => Array.from({ length: cols }, () => r() * 2 - 1));
  const read = new Set();
  const watched = (m) => m.map((row) => new Proxy(row, { get: (target, key) => { if (/^\d+$/.test(key)) read.add(Number(key)); return target[key]; } }));
  const width = v.blocks * H;
  const bias = v.bias_rows > 1 ? matrix(v.bias_rows, width) : matrix(1, width)[0];
  return {
    read,
    inputs: {
      x: matrix(1, D)[0],
      prev: Object.fromEntries(v.states.map((s) => [s, matrix(1, H)[0]])),
      weights: { kernel: watched(matrix(D, width)), recurrent_kernel: watched(matrix(H, width)), bias },
      options: Object.fromEntries(v.options.map((o) => [o, r()])),
    },
  };
}

test('explaining one unit reads only that unit\'s columns of each block, but every r of TF1\'s GRU', () => {
  const [D, H, u] = [3, 5, 2];
  for (const key of Object.keys(variants())) {
    const v = variant(key);
    const { read, inputs } = randomStep(v, D, H, 11);
    const ev = evaluator(v, inputs);
    for (const s of v.states) ev.value(s, u);
    const columns = (units) => new Set([...Array(v.blocks).keys()].flatMap((k) => units.map((unit) => k * H + unit)));
    const expected = key === 'gru_tf1'
      ? new Set([...columns([u]), ...[...Array(H).keys()].map((j) => H + j)]) // r of every unit feeds (r ⊙ h_prev)·U_n
      : columns([u]);
    assert.deepEqual([...read].sort((a, b) => a - b), [...expected].sort((a, b) => a - b), key);
  }
});

test('a unit\'s value does not depend on which units were asked for before it (each name is computed once per unit)', () => {
  for (const key of Object.keys(variants())) {
    const v = variant(key);
    const { inputs } = randomStep(v, 4, 3, 5);
    const alone = evaluator(v, inputs).value('h', 1);
    const ev = evaluator(v, inputs);
    [0, 2].forEach((unit) => ev.value('h', unit));
    assert.equal(ev.value('h', 1), alone, key);
  }
});

test('the notation names blocks by gate, the recurrent bias b\', and parenthesises what a product or dot reads', () => {
  const gru = variant('gru');
  const [, , n] = gru.equations;
  assert.equal(notation(gru, n.value), "tanh(x·W_n + b_n + r⊙(h_prev·U_n + b'_n))");
  assert.deepEqual(expansions(n.value).map((e) => notation(gru, e)), ['x·W_n', 'b_n', 'h_prev·U_n', "b'_n", "r⊙(h_prev·U_n + b'_n)"]);
  assert.equal(shape(gru.equations[0].value), shape(gru.equations[1].value));
  assert.notEqual(shape(gru.equations[0].value), shape(n.value));
  assert.equal(notation(variant('rnn'), variant('rnn').equations[0].value), 'tanh(x·W + h_prev·U + b)');
});
