import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { catalog } from './catalogs.mjs';
import './engine.mjs';

import { connectivityRange } from '../../static/js/analysisframes.js';
import { variantOf, variants } from '../../static/js/cells.js';
import {
  columnRequest, columnState, columnsOf, comparisonRefusal, decodeComparison, sharedScales,
} from '../../static/js/comparison.js';
import { useCatalog } from '../../static/js/i18n.js';
import { DEFAULTS, encodeState, requestFromState } from '../../static/js/state.js';
import { loadRuns } from './helpers.mjs';

const PRESETS = {
  memory_reach: { cell: 'lstm', hidden_size: 8, forget_bias: 1, seed: 1, input: { values: [[[1, 0], [0, 8], [0, 8]]] } },
  initial_state: {
    cell: 'lstm', hidden_size: 2, input: { text: ['hi'] }, initial_state: { layers: [{ forward: { h: [[0, 0]], c: [[0, 0]] } }] },
  },
};
const analysed = JSON.parse(readFileSync(new URL('./fixtures/analysis.json', import.meta.url), 'utf8'));

test('a query without a preset or a configuration opens the fallback preset; fields alone are a configuration', () => {
  const { state, error } = decodeComparison('?step=2', PRESETS, 'memory_reach');
  assert.equal(error, null);
  assert.deepEqual([state.preset, state.hidden_size, state.forget_bias, state.step], ['memory_reach', 8, 1, 2]);
  assert.deepEqual(state.cells, ['rnn', 'lstm', 'gru']);
  const custom = decodeComparison('?hidden_size=3&text=abc', PRESETS, 'memory_reach').state;
  assert.deepEqual([custom.preset, custom.hidden_size, custom.text, custom.forget_bias], ['', 3, 'abc', 0]);
});

test('config= is the base of the state, the query\'s own fields over it, and it round-trips as fields', () => {
  const config = { cell: 'gru', hidden_size: 3, num_layers: 2, input: { text: ['abc', 'b'] }, sequence_length: [3, 1], seed: 7 };
  const search = new URLSearchParams({ config: JSON.stringify(config), hidden_size: '5', cells: 'rnn,gru_tf1', preset: 'memory_reach' });
  const { state, error } = decodeComparison(`?${search}`, PRESETS, 'memory_reach');
  assert.equal(error, null);
  const request = requestFromState(state);
  assert.deepEqual([request.input, request.sequence_length, request.hidden_size], [{ text: ['abc', 'b'] }, [3, 1], 5]);
  assert.deepEqual(
    [state.preset, state.cell, state.hidden_size, state.num_layers, state.text, state.sequence_length, state.seed, state.cells],
    ['', 'gru', 5, 2, 'abc\nb', '3,1', 7, ['rnn', 'gru_tf1']],
  );
  assert.deepEqual(decodeComparison(`?${encodeState(state, PRESETS)}`, PRESETS, 'memory_reach').state, state);
});

test('an unreadable config= is said, and the fallback preset stands in for it', () => {
  for (const text of ['{not json', '[1, 2]', '{"cell": "lstm"}']) {
    const { state, error } = decodeComparison(`?config=${encodeURIComponent(text)}`, PRESETS, 'memory_reach');
    assert.equal(error, catalog('en')['compare.bad_config'], text);
    assert.equal(state.preset, 'memory_reach');
  }
});

test('columns are the known variants each once, in the order given; the rest are named in the refusal', () => {
  assert.deepEqual(columnsOf({ cells: ['gru_tf1', 'rnn', 'gru_tf1', 'nope'] }), { keys: ['gru_tf1', 'rnn'], unknown: ['nope'] });
  const refusal = comparisonRefusal({ ...DEFAULTS, cells: ['rnn', 'nope', 'gone'] });
  assert.equal(refusal, `Unknown cells in cells=: nope, gone. The cells are ${Object.keys(variants()).join(', ')}.`);
});

test('what fits one cell only (weights, an initial state) is refused, in the page\'s language', () => {
  const preset = decodeComparison('?preset=initial_state', PRESETS, 'memory_reach').state;
  const cases = [[preset, 'compare.refused_initial_state'], [{ ...DEFAULTS, init: 'random' }, 'compare.refused_initial_state'],
    [{ ...DEFAULTS, weights: '{"layers": []}' }, 'compare.refused_weights']];
  for (const [state, key] of cases) assert.equal(comparisonRefusal(state), catalog('en')[key]);
  assert.equal(comparisonRefusal(DEFAULTS), null);
  useCatalog('ko', catalog('ko'));
  try {
    assert.equal(comparisonRefusal(preset), catalog('ko')['compare.refused_initial_state']);
  } finally {
    useCatalog('en', catalog('en'));
  }
});

test('each column runs the same request with its own variant, seeded weights and a zero state', () => {
  const state = { ...decodeComparison('?preset=memory_reach&reset_after=0', PRESETS, 'memory_reach').state };
  const base = requestFromState(state);
  for (const key of Object.keys(variants())) {
    const request = columnRequest(state, key);
    assert.equal(variantOf(request).key, key);
    assert.deepEqual({ ...request, cell: base.cell, reset_after: base.reset_after }, base);
    assert.deepEqual([request.initial_state, request.weights], [null, null]);
    assert.equal(variantOf(columnState(state, key)).key, key);
  }
});

test('the columns share one range per state, centred on 0, and one connectivity range per focus', () => {
  const results = Object.values(analysed);
  const scales = sharedScales(results);
  for (const view of [{ example: 0, layer: 0, direction: 'forward' }, { example: 1, layer: 0, direction: 'forward' }]) {
    const { ranges, range } = scales(view);
    for (const name of ['h', 'c']) {
      const values = results.flatMap((r) => r.layers.flatMap((layer) => Object.values(layer)
        .flatMap((run) => (run.states[name]?.[view.example] ?? []).flat())));
      const most = Math.max(...values.map(Math.abs));
      assert.deepEqual(ranges[name], [-most, most], name);
    }
    assert.deepEqual(range, connectivityRange(results, { layer: 0, direction: 'forward', b: view.example }));
    assert.equal(scales(view), scales({ ...view }), 'one computation per view');
  }
  // Without connectivity (a run past max_analysis_steps) there is no connectivity range.
  const plain = loadRuns().rnn_text;
  assert.deepEqual(Object.keys(sharedScales([plain])({ example: 0, layer: 0, direction: 'forward' })), ['ranges']);
});
