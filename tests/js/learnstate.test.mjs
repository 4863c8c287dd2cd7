import assert from 'node:assert/strict';
import { test } from 'node:test';

import './catalogs.mjs';
import './engine.mjs';

import {
  LEARN_CONFIG, LEARN_DEFAULTS, LEARN_FIELDS, decodeLearn, encodeLearn, followEpoch, formField, sameTraining, trainRequest,
} from '../../static/js/learnstate.js';
import { variants } from '../../static/js/cells.js';
import { seededRandom } from '../../static/js/state.js';

const pick = (r, values) => values[Math.floor(r() * values.length)];
const SAMPLES = {
  enum: (f, r) => pick(r, f.values),
  int: (f, r) => (f.default === null && r() < 0.3 ? null : Math.floor(r() * 600)),
  float: (_, r) => pick(r, [0.1, 0.05, 1e-4, 2.5, Math.round(r() * 1e6) / 1e5]),
  bool: (_, r) => r() < 0.5,
  string: (_, r) => pick(r, ['hihello', '', 'hello world', '<img src=x onerror=alert(1)>', 'a&b=c#d?e+f', '한글 ✓', ' spaces ']),
  list: (_, r) => (r() < 0.5 ? [] : ['loss', 'math']),
};
const randomState = (r) => Object.fromEntries(LEARN_FIELDS.map((f) => [f.name, SAMPLES[f.type](f, r)]));

test('a random Learn state survives the URL round trip, field by field', () => {
  const r = seededRandom(7);
  for (let k = 0; k < 300; k += 1) {
    const state = randomState(r);
    assert.deepEqual(decodeLearn(encodeLearn(state)), state);
  }
});

test('a URL holds only what differs from the defaults, its language always, and the epoch once a training is shown', () => {
  assert.equal(encodeLearn(LEARN_DEFAULTS), 'lang=en');
  assert.deepEqual(decodeLearn(''), LEARN_DEFAULTS);
  assert.equal(LEARN_DEFAULTS.epoch, null);
  const shown = { ...LEARN_DEFAULTS, lang: 'ko', cell: 'gru_tf1', epoch: 50, step: 3 };
  assert.deepEqual(Object.fromEntries(new URLSearchParams(encodeLearn(shown))), { cell: 'gru_tf1', epoch: '50', step: '3', lang: 'ko' });
  assert.equal(new URLSearchParams(encodeLearn({ ...LEARN_DEFAULTS, epoch: 0 })).get('epoch'), '0'); // epoch 0 is an epoch, not "none"
});

test('malformed or unknown values fall back to their defaults', () => {
  const state = decodeLearn('cell=transformer&hidden_size=five&epochs=1.5&learning_rate=abc&epoch=-&presenter=maybe&lang=fr&text=hi%20there&seed=3');
  assert.deepEqual(state, { ...LEARN_DEFAULTS, text: 'hi there', seed: 3 });
});

test('the request names the fields of SPEC §8 and sends gru_tf1 as a GRU with reset_after false', () => {
  const r = seededRandom(11);
  for (let k = 0; k < 50; k += 1) {
    const state = randomState(r);
    const request = trainRequest(state);
    const own = variants()[state.cell].request; // the engine's (tests/js/fixtures/engine.json)
    assert.deepEqual(Object.keys(request).sort(), [...new Set([...LEARN_CONFIG.map((f) => f.name), ...Object.keys(own)])].sort());
    assert.ok(['rnn', 'lstm', 'gru'].includes(request.cell));
    assert.equal(request.reset_after ?? true, state.cell !== 'gru_tf1');
    assert.equal(request.cell, state.cell === 'gru_tf1' ? 'gru' : state.cell);
    for (const f of LEARN_CONFIG.filter((c) => c.name !== 'cell')) assert.equal(request[f.name], state[f.name]);
  }
  const cells = Object.keys(variants());
  assert.deepEqual(cells, ['rnn', 'lstm', 'gru', 'gru_tf1']);
  assert.deepEqual(cells.map((cell) => trainRequest({ ...LEARN_DEFAULTS, cell }).cell), ['rnn', 'lstm', 'gru', 'gru']);
  assert.equal(formField('reset_after'), 'cell');
  assert.equal(formField('learning_rate'), 'learning_rate');
});

test('two states make the same training when their configuration fields agree, whatever their view', () => {
  const a = { ...LEARN_DEFAULTS, epoch: 3, step: 2, lang: 'ko' };
  assert.ok(sameTraining(a, LEARN_DEFAULTS));
  assert.ok(!sameTraining({ ...a, learning_rate: 0.05 }, LEARN_DEFAULTS));
  assert.ok(!sameTraining({ ...a, cell: 'gru_tf1' }, { ...a, cell: 'gru' }));
});

/** The epochs a page shows as batches of `sizes` epochs stream in, the reader moving to `moves[k]` before batch k. */
function follow(sizes, target, moves = {}) {
  let [epoch, count] = [0, 0];
  const shown = [];
  sizes.forEach((size, k) => {
    if (k in moves) epoch = moves[k];
    const next = followEpoch({ epoch, before: count, count: count + size, target });
    count += size;
    epoch = Math.min(next ?? epoch, count - 1); // the timeline clamps into the epochs so far
    shown.push(epoch);
  });
  return shown;
}

test('the shown epoch follows the newest one while it is at the newest, up to the target', () => {
  assert.deepEqual(follow([1, 3, 5, 1], Infinity), [0, 3, 8, 9]);
  assert.deepEqual(follow([1, 3, 5, 10], 6), [0, 3, 6, 6]); // a reload's epoch=6: followed up to it, then kept
  assert.deepEqual(follow([1, 3, 5, 10], 6, { 1: 12 }), [0, 3, 6, 6]); // an epoch past the streamed ones counts as the newest
  assert.deepEqual(follow([1, 3, 5, 10], Infinity, { 2: 1 }), [0, 3, 1, 1]); // the reader went back to 1: it stays
  assert.deepEqual(follow([1, 3, 5, 10], Infinity, { 2: 1, 3: 8 }), [0, 3, 1, 18]); // back at the newest: followed again
  assert.equal(followEpoch({ epoch: 4, before: 5, count: 5, target: Infinity }), null); // nothing new
  assert.equal(followEpoch({ epoch: 30, before: 0, count: 1, target: 30 }), 0); // the first epoch of a reload
});
