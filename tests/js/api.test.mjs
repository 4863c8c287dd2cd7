import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { catalog } from './catalogs.mjs';
import './engine.mjs';

import {
  ApiError, errorText, expectedNumbers, fieldError, fieldErrorLine, fieldErrors, fieldErrorsText, runAnalysed, runNetwork, runRequest,
} from '../../static/js/api.js';
import { maxAnalysisSteps } from '../../static/js/cells.js';
import { COMPACT_NUMBERS, GET_QUERY_BYTES } from '../../static/js/config.js';
import { useCatalog } from '../../static/js/i18n.js';
import { arange } from '../../static/js/state.js';
import { numbersOf } from './helpers.mjs';

const body = (change = {}) => ({
  cell: 'lstm', hidden_size: 2, num_layers: 1, bidirectional: false, reset_after: true, forget_bias: 0,
  input: { text: ['hello'] }, sequence_length: null, initial_state: null, seed: 0, weights: null, ...change,
});
const query = (url) => new URL(url, 'http://h').searchParams;

test('errors of a POST body and of a GET ?config= name the same request fields', () => {
  const detail = [
    { loc: ['body', 'input', 'text', 0], msg: 'a' },
    { loc: ['query', 'config', 'input', 'text', 0], msg: 'b' },
    { loc: ['query', 'config', 'hidden_size'], msg: 'c' },
    { loc: ['query', 'config'], msg: 'd' },
    { loc: ['query', 'preset'], msg: 'e' },
    { loc: [], msg: 'f' },
  ];
  assert.deepEqual(fieldErrors(detail).map((e) => e.field), ['input.text.0', 'input.text.0', 'hidden_size', '', 'preset', '']);
  assert.deepEqual(fieldErrors('Not Found'), [{ field: '', name: '', message: 'Not Found' }]);
});

// Errors as the server sends them (pydantic's own, and the app's value_error), from tests/routes' requests.
const SERVER_ERRORS = [
  { loc: ['body', 'hidden_size'], msg: 'Input should be greater than or equal to 1', type: 'greater_than_equal' },
  { loc: ['body', 'num_layers'], msg: 'Input should be a valid integer, got a number with a fractional part', type: 'int_from_float' },
  { loc: ['body', 'cell'], msg: "Input should be 'rnn', 'lstm' or 'gru'", type: 'literal_error' },
  { loc: ['body', 'sequence_length', 0], msg: 'is 9, must be in [0, T=5]', type: 'value_error' },
  { loc: ['body', 'initial_state', 'layers', 0, 'forward', 'h'], msg: 'Field required', type: 'missing' },
];

test("pydantic's rules are said in the page's language, the app's own quoted in English inside it", () => {
  assert.deepEqual(fieldErrors(SERVER_ERRORS).map((e) => [e.name, e.message]), [
    ['hidden size', 'must be greater than or equal to 1'],
    ['layers', 'must be a whole number'],
    ['cell', 'must be one of rnn, lstm, gru'],
    ['sequence lengths [0]', 'is 9, must be in [0, T=5]'],
    ['initial state layers[0].forward.h', 'is required'],
  ]);
  useCatalog('ko', catalog('ko'));
  try {
    assert.deepEqual(fieldErrors(SERVER_ERRORS).map((e) => [e.name, e.message]), [
      ['은닉 크기', '1 이상이어야 합니다'],
      ['층 수', '정수여야 합니다'],
      ['셀', 'rnn, lstm, gru 중 하나여야 합니다'],
      ['시퀀스 길이 [0]', '서버가 받아들이지 않았습니다 (서버 메시지: is 9, must be in [0, T=5])'],
      ['초기 상태 layers[0].forward.h', '값을 입력해야 합니다'],
    ]);
  } finally {
    useCatalog('en', catalog('en'));
  }
  assert.equal(errorText({ type: 'greater_than_equal', msg: 'no number here' }), 'no number here'); // a rule it cannot read is quoted
});

test('field errors become text in one way: "name: message" a line, the message alone for the whole request', () => {
  assert.deepEqual(fieldError('sequence_length.0', 'is 9'), { field: 'sequence_length.0', name: 'sequence lengths [0]', message: 'is 9' });
  assert.deepEqual(fieldError('', 'refused'), { field: '', name: '', message: 'refused' });
  assert.equal(fieldErrorLine(fieldError('hidden_size', 'must be a whole number')), 'hidden size: must be a whole number');
  assert.equal(fieldErrorLine(fieldError('', 'Not Found')), 'Not Found');
  assert.equal(fieldErrorsText(fieldErrors(SERVER_ERRORS.slice(0, 2))), 'hidden size: must be greater than or equal to 1\nlayers: must be a whole number');
  assert.equal(fieldErrorsText(fieldErrors(null)), 'request failed');
  assert.equal(fieldErrorsText([]), '');
  useCatalog('ko', catalog('ko'));
  try {
    assert.equal(fieldErrorsText(fieldErrors(SERVER_ERRORS.slice(0, 1))), '은닉 크기: 1 이상이어야 합니다');
  } finally {
    useCatalog('en', catalog('en'));
  }
});

test('an unchanged preset is fetched by name and a short configuration as GET ?config=', () => {
  assert.deepEqual(runRequest(body(), 'lstm_batch'), { url: '/api/run?preset=lstm_batch', init: {} });
  const { url, init } = runRequest(body({ input: { text: ['a&b=c#d?e', '한글 +'] } }));
  assert.deepEqual(init, {});
  assert.deepEqual(JSON.parse(query(url).get('config')), body({ input: { text: ['a&b=c#d?e', '한글 +'] } }));
  assert.equal(query(url).get('encoding'), null);
});

test('large results come compact, and a long configuration is POSTed', () => {
  const large = body({ hidden_size: 256, input: { text: ['ab'.repeat(300)] } });
  assert.ok(expectedNumbers(large) > COMPACT_NUMBERS);
  const get = runRequest(large);
  assert.equal(query(get.url).get('encoding'), 'b64');
  assert.deepEqual(JSON.parse(query(get.url).get('config')), large);

  const long = body({ input: { values: arange(2, 300, 16) } });
  assert.ok(JSON.stringify(long).length > GET_QUERY_BYTES);
  const post = runRequest(long);
  assert.equal(post.url, '/api/run?encoding=b64');
  assert.equal(post.init.method, 'POST');
  assert.deepEqual(JSON.parse(post.init.body), long);
});

test('the numbers expected are counted as app/validation.count_numbers counts them', () => {
  const values = (B, T, D) => ({ values: arange(B, T, D) });
  // Each expected number printed by count_numbers(NetworkSpec(...), B, T, D) in Python.
  assert.equal(expectedNumbers(body({ hidden_size: 512, input: values(1, 1000, 16) })), 5196416);
  assert.equal(expectedNumbers(body({ cell: 'gru', hidden_size: 3, num_layers: 2, bidirectional: true, input: values(2, 3, 3) })), 780);
  const tf1 = body({ cell: 'gru', hidden_size: 3, num_layers: 2, bidirectional: true, reset_after: false, input: values(2, 3, 3) });
  assert.equal(expectedNumbers(tf1), 744);
  assert.equal(expectedNumbers(body({ cell: 'rnn', hidden_size: 4, num_layers: 3, input: values(3, 5, 3) })), 605);
  assert.equal(expectedNumbers(body({ input: { text: ['hello', 'eolll', 'lleel'], vocabulary: 'helo' } })), 368);
  assert.equal(expectedNumbers(body({ input: { text: ['hello', 'eolll', 'lleel'] } })), 368);
});

test('a GET refused as too long (414) is POSTed, and the compact answer arrives decoded', async () => {
  const calls = [];
  const bias = { dtype: 'float32', shape: '2', bdata: Buffer.from(new Float32Array([0.5, -1]).buffer).toString('base64') };
  const reply = (status, json) => ({ status, ok: status < 400, headers: new Headers(), statusText: '', json: async () => json });
  const saved = globalThis.fetch;
  globalThis.fetch = async (url, init = {}) => {
    calls.push([init.method ?? 'GET', url]);
    return calls.length === 1 ? reply(414, { detail: [{ loc: [], msg: 'too long' }] }) : reply(200, { weights: { bias } });
  };
  try {
    assert.deepEqual(await runNetwork(body()), { weights: { bias: [0.5, -1] } });
  } finally {
    globalThis.fetch = saved;
  }
  assert.deepEqual(calls.map(([method, url]) => [method, url.split('?')[0]]), [['GET', '/api/run'], ['POST', '/api/run']]);
  assert.equal(calls[1][1], '/api/run?encoding=b64');
});

test('the numbers expected with analyses are the numbers a result with them carries', () => {
  const analysed = JSON.parse(readFileSync(new URL('./fixtures/analysis.json', import.meta.url), 'utf8'));
  for (const [name, result] of Object.entries(analysed)) {
    assert.deepEqual(result.config.analysis, ['connectivity', 'trajectory'], name);
    assert.equal(expectedNumbers(result.config), numbersOf(result), name);
  }
});

/** A fetch that answers each /api/run by `answer(config)` ({status, detail} or a result) and records the configs asked for ({preset} for one asked by name). */
function fakeRuns(answer) {
  const asked = [];
  globalThis.fetch = async (url, init = {}) => {
    const params = new URL(url, 'http://h').searchParams;
    const config = init.body || params.has('config') ? JSON.parse(init.body ?? params.get('config')) : { preset: params.get('preset') };
    asked.push(config);
    const { status = 200, ...json } = answer(config);
    return { status, ok: status < 400, headers: new Headers(), statusText: '', json: async () => json };
  };
  return asked;
}

test('a run with analyses asks for them, and one past max_analysis_steps is not asked for connectivity', async () => {
  const saved = globalThis.fetch;
  try {
    const asked = fakeRuns((config) => ({ layers: [], analysis: config.analysis }));
    const short = await runAnalysed(body(), 'lstm_batch', ['connectivity', 'trajectory']);
    assert.deepEqual([short.result.analysis, short.refused], [['connectivity', 'trajectory'], null]);
    const steps = maxAnalysisSteps() + 1;
    const long = await runAnalysed(body({ input: { text: ['a'.repeat(steps)] } }), '', ['connectivity', 'trajectory']);
    assert.deepEqual(long.result.analysis, ['trajectory']);
    assert.equal(long.refused, `Connectivity is computed for runs of at most ${maxAnalysisSteps()} steps; this one has ${steps}. The other charts show the whole run.`);
    assert.deepEqual(asked.map((c) => c.analysis), [['connectivity', 'trajectory'], ['trajectory']]);
    await runAnalysed(body(), 'lstm_batch', []);
    assert.deepEqual(asked.at(-1), { preset: 'lstm_batch' }, 'a preset without analyses goes by name');
  } finally {
    globalThis.fetch = saved;
  }
});

test('a 422 on the analyses alone is said in the page\'s language and the run comes without connectivity', async () => {
  const saved = globalThis.fetch;
  const refusal = (msg) => ({ status: 422, detail: [{ loc: ['query', 'config', 'analysis'], msg, type: 'value_error' }] });
  const macs = 'connectivity would cost about 6e+11 multiply-adds, above the limit of 5e+11 (setting max_connectivity_macs): use fewer steps';
  const steps = 'connectivity needs T <= 50 (setting max_analysis_steps); T is 80: use fewer steps or drop connectivity';
  try {
    for (const [msg, en, ko] of [
      [macs, `Connectivity was not computed: the server refused it (server message: ${macs}). The other charts show the whole run.`,
        `연결도를 계산하지 못했습니다. 서버가 받아들이지 않았습니다 (서버 메시지: ${macs}). 나머지 차트는 실행 전체를 보여 줍니다.`],
      [steps, 'Connectivity is computed for runs of at most 50 steps; this one has 80. The other charts show the whole run.',
        '연결도는 50단계 이하인 실행에서만 계산합니다. 이 실행은 80단계입니다. 나머지 차트는 실행 전체를 보여 줍니다.'],
    ]) {
      for (const [lang, expected] of [['en', en], ['ko', ko]]) {
        useCatalog(lang, catalog(lang));
        const asked = fakeRuns((config) => (config.analysis?.includes('connectivity') ? refusal(msg) : { layers: [], analysis: config.analysis }));
        const { result, refused } = await runAnalysed(body(), '', ['connectivity', 'trajectory']);
        assert.deepEqual([result.analysis, refused], [['trajectory'], expected]);
        assert.equal(asked.length, 2);
      }
    }
    // Any other field's error is the run's own: it is not retried.
    fakeRuns(() => ({ status: 422, detail: [{ loc: ['query', 'config', 'hidden_size'], msg: 'too big', type: 'value_error' }] }));
    await assert.rejects(runAnalysed(body(), '', ['connectivity']), (error) => error instanceof ApiError && error.fields[0].field === 'hidden_size');
  } finally {
    globalThis.fetch = saved;
    useCatalog('en', catalog('en'));
  }
});
