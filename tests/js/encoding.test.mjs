import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import './engine.mjs';

import { expectedNumbers } from '../../static/js/api.js';
import { decodeArrays, float32Values, isTypedArray } from '../../static/js/encoding.js';

// Presets as the app serves them in both encodings (fixtures/make_encoded.py).
const RUNS = JSON.parse(readFileSync(new URL('./fixtures/encoded.json', import.meta.url), 'utf8'));

const spec = (values, shape) => ({ dtype: 'float32', shape, bdata: Buffer.from(new Float32Array(values).buffer).toString('base64') });

/** Asserts that `decoded` is `plain` with every number read back as the float32 it was written from. */
function assertSameRun(decoded, plain, path = 'result') {
  if (typeof plain === 'number') {
    assert.equal(decoded, Math.fround(plain), path);
    return;
  }
  if (plain === null || typeof plain !== 'object') {
    assert.equal(decoded, plain, path);
    return;
  }
  assert.equal(Array.isArray(decoded), Array.isArray(plain), path);
  assert.deepEqual(Object.keys(decoded), Object.keys(plain), path);
  for (const key of Object.keys(plain)) assertSameRun(decoded[key], plain[key], `${path}.${key}`);
}

test('a compact run decodes to the plain JSON run of the server, number for number', () => {
  for (const [name, { json, b64 }] of Object.entries(RUNS)) {
    assert.ok(isTypedArray(b64.layers[0].forward.outputs), name);
    const decoded = decodeArrays(b64);
    assertSameRun({ ...decoded, meta: null }, { ...json, meta: null }, name);
    assert.deepEqual(decoded.config, json.config);
    assert.deepEqual(decoded.tokens, json.tokens);
  }
});

test('decoded arrays are plain arrays of numbers in C order, any rank', () => {
  assert.deepEqual(decodeArrays(spec([1, 2, 3, 4, 5, 6], '2,3')), [[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(decodeArrays(spec([1, 2, 3, 4, 5, 6, 7, 8], '2,2,2')), [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
  assert.deepEqual(decodeArrays({ bias: spec([0.5, -2], '2'), n: 3, s: 'x', none: null }), { bias: [0.5, -2], n: 3, s: 'x', none: null });
  assert.deepEqual(decodeArrays(spec([7], '')), 7);
  assert.deepEqual(decodeArrays(spec([], '0,4')), []);
  assert.ok(Array.isArray(decodeArrays(spec([1, 2], '2'))));
  assert.deepEqual([...float32Values(spec([0.1], '1').bdata)], [Math.fround(0.1)]);
});

test('the numbers expected from a request are the numbers the server sent', () => {
  for (const [name, { b64 }] of Object.entries(RUNS)) {
    let sent = 0;
    JSON.stringify(b64, (key, value) => {
      if (isTypedArray(value)) sent += value.shape.split(',').map(Number).reduce((a, d) => a * d, 1);
      return value;
    });
    assert.equal(expectedNumbers(b64.config), sent, name);
  }
});
