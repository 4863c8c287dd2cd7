import assert from 'node:assert/strict';
import { test } from 'node:test';

import './catalogs.mjs';

import { contrast } from '../../static/js/frames.js';
import { weightBlocks, weightTables } from '../../static/js/weightsview.js';
import { loadRuns } from './helpers.mjs';

const runs = loadRuns();
const values = (table) => table.rows.map((row) => row.cells.map((c) => Number(c.label.split(': ')[1])));

test('the weights are the run’s, in Keras layout, with columns named by the run’s own gate blocks', () => {
  const run = runs.lstm_bidir_2layers; // H = 3, two layers, both directions
  assert.deepEqual(weightBlocks(run), ['i', 'f', 'g', 'o']);
  for (const [layer, direction] of [[0, 'forward'], [1, 'backward']]) {
    const [W, U, b] = weightTables(run, { layer, direction });
    const w = run.weights.layers[layer][direction];
    assert.deepEqual(W.columns, ['i', 'f', 'g', 'o'].flatMap((g) => [0, 1, 2].map((u) => `${g}[${u}]`)));
    const close = (got, want) => got.forEach((row, r) => row.forEach((v, c) => assert.ok(Math.abs(v - want[r][c]) < 1e-4)));
    close(values(W), w.kernel);
    close(values(U), w.recurrent_kernel);
    close(values(b), [w.bias]);
    // Layer 2 reads layer 1's outputs, forward then backward.
    assert.equal(W.rows.length, layer === 0 ? run.inputs[0][0].length : 2 * 3);
    for (const cell of W.rows.flatMap((row) => row.cells)) assert.ok(contrast(cell.color, cell.ink) >= 4.5);
  }
});

test('a GRU has z r n blocks and, with reset_after, two bias rows; a basic RNN one unnamed block', () => {
  const gru = weightTables(runs.gru_reset_after);
  assert.deepEqual(gru[0].columns.slice(0, 4), ['z[0]', 'z[1]', 'z[2]', 'r[0]']);
  assert.equal(gru[2].rows.length, 2);
  assert.equal(weightTables(runs.gru_reset_before)[2].rows.length, 1);
  const rnn = runs.rnn_text;
  assert.deepEqual(weightBlocks(rnn), ['']);
  const [W] = weightTables(rnn);
  assert.deepEqual(W.columns, ['[0]', '[1]']);
  assert.deepEqual(W.rows.map((row) => row.head), [...rnn.config.input.vocabulary].map((ch) => `“${ch}”`));
});
