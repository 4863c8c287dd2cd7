import assert from 'node:assert/strict';
import { test } from 'node:test';

import './catalogs.mjs';
import './engine.mjs';

import {
  DEFAULTS, FIELDS, InputError, arange, decodeFields, decodeState, describeValues, embedCode, encodeFields, encodeState,
  parseValues, requestFromState, seededRandom, stateFromConfig,
} from '../../static/js/state.js';

const PRESETS = {
  lstm_batch: { cell: 'lstm', hidden_size: 2, input: { text: ['hello', 'eolll', 'lleel'], vocabulary: 'helo' } },
  bidirectional_lstm: {
    cell: 'lstm', hidden_size: 4, num_layers: 1, bidirectional: true, reset_after: true, forget_bias: 0,
    input: { text: null, vocabulary: null, values: arange(3, 5, 3) }, sequence_length: [2, 3, 1],
    initial_state: null, seed: 0, weights: null,
  },
};

const SAMPLES = {
  enum: (f, r) => f.values[Math.floor(r() * f.values.length)],
  int: (_, r) => Math.floor(r() * 50),
  float: (_, r) => Math.round((r() - 0.5) * 1000) / 100,
  bool: (_, r) => r() < 0.5,
  string: (_, r) => ['', 'hello\neolll', '<img src=x onerror=alert(1)>', 'a&b=c#d?e', '한글 ✓', '[[[1, 2]]]'][Math.floor(r() * 6)],
  list: (_, r) => (r() < 0.5 ? [] : ['network', 'math']),
};

test('a random state survives the URL round trip, field by field', () => {
  const r = seededRandom(1);
  for (let k = 0; k < 200; k += 1) {
    const state = Object.fromEntries(FIELDS.map((f) => [f.name, SAMPLES[f.type](f, r)]));
    state.preset = '';
    assert.deepEqual(decodeState(encodeState(state)), state);
  }
});

test('the default state has a URL of its language only, and an empty URL gives the defaults', () => {
  assert.equal(encodeState(DEFAULTS), 'lang=en');
  assert.equal(encodeState({ ...DEFAULTS, lang: 'ko' }), 'lang=ko');
  assert.deepEqual(decodeState(''), DEFAULTS);
  assert.deepEqual(decodeState('?lang=ko'), { ...DEFAULTS, lang: 'ko' });
  assert.deepEqual(decodeState('?lang=fr'), DEFAULTS);
});

test('a preset URL names the preset and only the fields changed from it', () => {
  const state = { ...decodeState('?preset=bidirectional_lstm', PRESETS), step: 2, hidden_size: 5 };
  assert.equal(state.values, 'arange 3,5,3');
  assert.equal(state.sequence_length, '2,3,1');
  const query = encodeState(state, PRESETS);
  assert.equal(query, 'hidden_size=5&preset=bidirectional_lstm&step=2&lang=en');
  assert.deepEqual(decodeState(query, PRESETS), state);
});

test('an unknown preset or a malformed value falls back to the defaults', () => {
  const state = decodeState('?preset=nope&hidden_size=abc&cell=transformer&bidirectional=1', PRESETS);
  assert.deepEqual(state, { ...DEFAULTS, bidirectional: true });
});

test('any declared fields go to and from the URL by one machinery: over a base, in their order, none without a value', () => {
  const fields = [
    { name: 'n', type: 'int', default: 3 },
    { name: 'at', type: 'int', default: null },
    { name: 'on', type: 'bool', default: false },
    { name: 'parts', type: 'list', default: [] },
    { name: 'lang', type: 'enum', values: ['en', 'ko'], default: 'en', always: true },
  ];
  const base = { n: 3, at: null, on: false, parts: [], lang: 'en' };
  assert.equal(encodeFields(fields, base, base), 'lang=en'); // `always` fields whatever the base
  assert.equal(encodeFields(fields, { ...base, parts: ['a', 'b'], n: 4, at: 0, on: true }, base), 'n=4&at=0&on=1&parts=a%2Cb&lang=en');
  assert.equal(encodeFields(fields, { lang: 'ko', n: undefined }, base), 'lang=ko'); // no value: left out
  assert.equal(encodeFields(fields, { ...base, n: 4 }, { ...base, n: 4 }), 'lang=en'); // what the base holds is not repeated
  assert.deepEqual(decodeFields(fields, '?n=7&at=2&on=1&parts=x,,y&lang=ko', base), { n: 7, at: 2, on: true, parts: ['x', 'y'], lang: 'ko' });
  assert.deepEqual(decodeFields(fields, new URLSearchParams('n=1.5&on=maybe&lang=fr&other=1'), base), base); // malformed: the base's
  assert.deepEqual(decodeFields(fields, '', { ...base, extra: 1 }), { ...base, extra: 1 }); // the base's other keys kept
  const state = { n: 0, at: 9, on: false, parts: ['p'], lang: 'ko' };
  assert.deepEqual(decodeFields(fields, encodeFields(fields, state, base), base), state);
});

test('a preset configuration becomes the same request again', () => {
  const request = requestFromState({ ...DEFAULTS, ...stateFromConfig(PRESETS.bidirectional_lstm) });
  assert.deepEqual(request, { ...PRESETS.bidirectional_lstm, input: { values: arange(3, 5, 3) } });
  const text = requestFromState({ ...DEFAULTS, ...stateFromConfig(PRESETS.lstm_batch) });
  assert.deepEqual(text.input, PRESETS.lstm_batch.input);
  assert.equal(text.initial_state, null);
});

test('values accept arange shorthands and JSON, and name the field when they cannot be read', () => {
  assert.deepEqual(parseValues('arange 3,5,3'), arange(3, 5, 3));
  assert.deepEqual(parseValues('np.arange(45).reshape(3,5,3)'), arange(3, 5, 3));
  assert.equal(arange(3, 5, 3)[2][4][2], 44);
  assert.deepEqual(parseValues('[[[1.5, 2]]]'), [[[1.5, 2]]]);
  assert.throws(() => parseValues('np.arange(44).reshape(3,5,3)'), (e) => e instanceof InputError && e.field === 'input.values');
  assert.throws(() => parseValues('[[1,'), (e) => e.field === 'input.values');
  assert.equal(describeValues(arange(2, 3, 4)), 'arange 2,3,4');
  assert.equal(describeValues([[[1, 0]]]), '[[[1,0]]]');
});

test('sequence lengths, custom initial state and weights are checked before sending', () => {
  assert.throws(() => requestFromState({ ...DEFAULTS, sequence_length: '5, x' }), (e) => e.field === 'sequence_length');
  assert.throws(() => requestFromState({ ...DEFAULTS, init: 'custom', initial_state: '{' }), (e) => e.field === 'initial_state');
  assert.throws(() => requestFromState({ ...DEFAULTS, weights: 'nope' }), (e) => e.field === 'weights');
  assert.deepEqual(requestFromState({ ...DEFAULTS, sequence_length: '5 3,4' }).sequence_length, [5, 3, 4]);
});

test('a random initial state is shaped for the run and the same for the same seed', () => {
  const state = { ...DEFAULTS, cell: 'lstm', hidden_size: 3, num_layers: 2, bidirectional: true, text: 'ab\ncd\nef', init: 'random', seed: 4 };
  const a = requestFromState(state).initial_state;
  assert.deepEqual(a, requestFromState(state).initial_state);
  assert.notDeepEqual(a, requestFromState({ ...state, seed: 5 }).initial_state);
  assert.equal(a.layers.length, 2);
  assert.equal(a.layers[1].backward.c.length, 3);
  assert.equal(a.layers[1].backward.c[0].length, 3);
  assert.ok(a.layers.flatMap((l) => l.forward.h.flat()).every((v) => v >= -1 && v <= 1));
});

test('text lines keep user characters verbatim and drop only a trailing empty line', () => {
  const request = requestFromState({ ...DEFAULTS, text: '<b>x</b>\r\nhi\n' });
  assert.deepEqual(request.input, { text: ['<b>x</b>', 'hi'] });
});

test('the embed code is an iframe whose src attribute cannot be broken out of', () => {
  const code = embedCode('http://h/embed?text=%22&a=1');
  assert.equal(code.match(/"/g).length % 2, 0);
  assert.match(code, /^<iframe src="http:\/\/h\/embed\?text=%22&amp;a=1" width="800" height="450"/);
});
