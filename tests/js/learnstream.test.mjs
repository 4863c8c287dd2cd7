import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import './catalogs.mjs';

import { ApiError } from '../../static/js/api.js';
import { learnModel, predictionsAt } from '../../static/js/learnframes.js';
import {
  STREAM_CUT, applyEvent, coalesce, createEventParser, createTraining, streamTraining, streamUrl,
} from '../../static/js/learnstream.js';
import { seededRandom } from '../../static/js/state.js';

// A real float64 training of an LSTM on "hihello" (make_training.py): 30 epochs, a snapshot every 5.
const fixture = () => JSON.parse(readFileSync(new URL('./fixtures/training.json', import.meta.url), 'utf8'));
const REQUEST = (({ vocabulary, ...rest }) => rest)(fixture().config);

/** The stream the server sends for a training (app/training.py: `event: NAME\ndata: JSON\n\n`). */
function streamText(train, newline = '\n') {
  const frame = (name, data) => `event: ${name}${newline}data: ${JSON.stringify(data)}${newline}${newline}`;
  const epochs = train.history.map((entry) => {
    const snapshot = train.snapshots.find((s) => s.epoch === entry.epoch);
    return frame('epoch', snapshot ? { ...entry, snapshot } : entry);
  });
  return epochs.join('') + frame('done', { config: train.config, vocabulary: train.vocabulary, meta: train.meta });
}

/** `text` cut at random places into `n` pieces (a piece may end inside a line, a \r\n or a character's escape). */
function pieces(text, n, r) {
  const cuts = [...new Set(Array.from({ length: n - 1 }, () => Math.floor(r() * text.length)))].sort((a, b) => a - b);
  return [0, ...cuts, text.length].slice(1).map((end, k, ends) => text.slice(k ? ends[k - 1] : 0, end));
}

test('the parser gives the server’s events whichever way the bytes are cut, with \\n or \\r\\n lines', () => {
  const train = fixture();
  const r = seededRandom(3);
  for (const newline of ['\n', '\r\n', '\r']) {
    const text = streamText(train, newline);
    const cuttings = [1, 2, 7, 50, 400].map((n) => pieces(text, n, r));
    cuttings.push(text.split(/(?<=\r)/)); // every \r\n cut between its two characters
    for (const cutting of cuttings) {
      const parser = createEventParser();
      const events = cutting.flatMap((piece) => parser.push(piece));
      assert.deepEqual(events.map((e) => e.event), [...train.history.map(() => 'epoch'), 'done']);
      const epochs = events.slice(0, -1).map((e) => JSON.parse(e.data));
      assert.deepEqual(epochs.map(({ snapshot, ...entry }) => entry), train.history);
      assert.deepEqual(epochs.filter((e) => e.snapshot).map((e) => e.snapshot), train.snapshots);
    }
  }
});

test('comments are skipped, data lines join with \\n, an event without data is no event, a partial one waits', () => {
  const parser = createEventParser();
  assert.deepEqual(parser.push(': keep-alive\n\nevent: note\ndata: a\ndata:b\n\ndata: plain\n'), [
    { event: 'note', data: 'a\nb' },
  ]);
  assert.deepEqual(parser.push('\nevent: lonely\n\n'), [{ event: 'message', data: 'plain' }]);
});

test('the training rebuilt from its events is the POST response; the vocabulary is known from epoch 0 on', () => {
  const train = fixture();
  const parser = createEventParser();
  const training = createTraining(REQUEST);
  const events = parser.push(streamText(train));
  applyEvent(training, events[0]);
  assert.equal(training.vocabulary, train.vocabulary); // from epoch 0's snapshot, before `done`
  const early = learnModel(training); // the charts can draw the first epoch already
  assert.deepEqual([early.T, early.C, early.epochs, early.history.length], [6, 5, 30, 1]);
  assert.deepEqual(predictionsAt(early, 0).map((p) => p.predicted).join(''), train.history[0].predicted);
  for (const event of events.slice(1, -1)) applyEvent(training, event);
  assert.equal(training.done, false);
  applyEvent(training, events.at(-1));
  assert.deepEqual(training, { ...train, done: true });
});

test('an error event throws what a JSON request would have got', () => {
  const training = createTraining(REQUEST);
  const detail = [{ loc: ['body', 'learning_rate'], msg: 'the loss is not finite', type: 'value_error' }];
  assert.throws(() => applyEvent(training, { event: 'error', data: JSON.stringify({ status: 422, detail }) }), (error) => {
    assert.ok(error instanceof ApiError);
    assert.deepEqual([error.status, error.retryAfter, error.fields.map((f) => f.field)], [422, null, ['learning_rate']]);
    return true;
  });
  const busy = { status: 503, detail: 'the training ran past train_timeout_s', retry_after: 4 };
  assert.throws(() => applyEvent(training, { event: 'error', data: JSON.stringify(busy) }), (e) => e.status === 503 && e.retryAfter === 4);
});

/** A fetch that answers with `status` and these body pieces, one per read; records what it was asked; honours the signal. */
function fakeFetch(pieceList, { status = 200, headers = {} } = {}) {
  const calls = [];
  const get = (url, init) => {
    calls.push({ url, init });
    let k = 0;
    const body = new ReadableStream({
      start(controller) {
        init.signal?.addEventListener('abort', () => controller.error(init.signal.reason));
      },
      pull(controller) {
        if (k < pieceList.length) controller.enqueue(new TextEncoder().encode(pieceList[k]));
        else if (k === pieceList.length) controller.close();
        k += 1;
      },
    });
    return Promise.resolve(new Response(body, { status, headers }));
  };
  return { get, calls };
}

test('a streamed training reports each chunk as it comes and resolves with the whole training', async () => {
  const train = fixture();
  const { get, calls } = fakeFetch(pieces(streamText(train), 12, seededRandom(5)));
  const seen = [];
  const training = await streamTraining(REQUEST, { fetch: get, onUpdate: (t) => seen.push(t.history.length) });
  assert.deepEqual(training, { ...train, done: true });
  assert.equal(calls[0].url, streamUrl(REQUEST));
  assert.deepEqual(JSON.parse(new URL(calls[0].url, 'http://x').searchParams.get('config')), REQUEST);
  assert.equal(calls[0].init.headers.Accept, 'text/event-stream');
  assert.ok(seen.length > 2 && seen.every((n, k) => k === 0 || n >= seen[k - 1]), seen.join());
  assert.equal(seen.at(-1), train.history.length);
});

test('a refused training rejects with the fields (422) or the wait (503) before any event', async () => {
  const detail = [{ loc: ['query', 'config', 'hidden_size'], msg: 'Input should be greater than or equal to 1', type: 'greater_than_equal' }];
  const refused = fakeFetch([JSON.stringify({ detail })], { status: 422, headers: { 'Content-Type': 'application/json' } });
  await assert.rejects(streamTraining(REQUEST, { fetch: refused.get }), (error) => {
    assert.deepEqual([error.status, error.fields], [422, [{ field: 'hidden_size', name: 'hidden size', message: 'must be greater than or equal to 1' }]]);
    return true;
  });
  const full = fakeFetch([JSON.stringify({ detail: 'max_concurrent_trainings (2) are running' })], { status: 503, headers: { 'Retry-After': '7' } });
  await assert.rejects(streamTraining(REQUEST, { fetch: full.get }), (e) => e.status === 503 && e.retryAfter === 7 && /max_concurrent/.test(e.message));
});

test('a stream that ends before done, or that is aborted, rejects; the abort closes the body', async () => {
  const text = streamText(fixture());
  const cut = fakeFetch([text.slice(0, text.indexOf('event: done'))]);
  await assert.rejects(streamTraining(REQUEST, { fetch: cut.get }), (e) => e.status === STREAM_CUT);
  const controller = new AbortController();
  const slow = fakeFetch(pieces(text, 30, seededRandom(9)));
  let updates = 0;
  const stopped = streamTraining(REQUEST, {
    fetch: slow.get,
    signal: controller.signal,
    onUpdate() {
      updates += 1;
      if (updates === 2) controller.abort();
    },
  });
  await assert.rejects(stopped, (e) => e.name === 'AbortError');
  assert.equal(updates, 2);
});

test('coalesce runs once at a time: a burst costs one more run, and each call waits for a run begun after it', async () => {
  const runs = [];
  let release;
  const draw = coalesce(async () => {
    runs.push('start');
    await new Promise((resolve) => { release = resolve; });
    runs.push('end');
  });
  const first = draw();
  const burst = [draw(), draw(), draw()];
  let burstDone = false;
  Promise.all(burst).then(() => { burstDone = true; });
  release();
  await new Promise((resolve) => { setImmediate(resolve); });
  assert.deepEqual(runs, ['start', 'end', 'start']); // one more run for the whole burst
  assert.equal(burstDone, false); // the burst waits for the run begun after it
  release();
  await Promise.all([first, ...burst]);
  assert.deepEqual(runs, ['start', 'end', 'start', 'end']);
  const idle = draw(); // idle again: a call runs at once
  assert.equal(runs.length, 5);
  release();
  await idle;
  assert.equal(runs.length, 6);
});
