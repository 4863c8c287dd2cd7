// A training as it streams in (SPEC §8, docs/TRAINING.md): GET /api/train?config= answers with
// server-sent events, `event: epoch` per epoch (its history entry, and its snapshot at snapshot
// epochs) and `event: done` with the rest of the POST response ({config, vocabulary, meta}); bad
// input and a full queue come before the stream as 422 / 503 JSON, a failure during it as
// `event: error`. The parser and the training they build are pure; streamTraining reads a fetch
// Response (the browser's, or a test's), so the whole module runs in Node.
import { ApiError, fieldErrors, serverMessage } from './api.js';

/** A failure with no HTTP answer of its own: the stream ended before `event: done`. */
export const STREAM_CUT = 0;

/**
 * A parser of text/event-stream (the WHATWG rules this server uses: `event:` and `data:` lines, a
 * blank line ends an event, `:` lines are comments): push(text) returns the events it completes,
 * [{event, data}] (data lines joined by \n); a partial line or event waits for the next push.
 */
export function createEventParser() {
  let buffer = '';
  let event = '';
  let data = [];
  let afterCR = false; // the last chunk ended with \r: a \n starting this one ends no other line
  return {
    push(chunk) {
      const text = afterCR && chunk.startsWith('\n') ? chunk.slice(1) : chunk;
      afterCR = chunk.endsWith('\r');
      const lines = (buffer + text).split(/\r\n|\r|\n/);
      buffer = lines.pop();
      const events = [];
      for (const line of lines) {
        if (line === '') {
          if (data.length) events.push({ event: event || 'message', data: data.join('\n') });
          [event, data] = ['', []];
        } else if (!line.startsWith(':')) {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event = value;
          else if (field === 'data') data.push(value);
        }
      }
      return events;
    },
  };
}

/** The ApiError of a failed training: the server's status and detail, `retryAfter` seconds for a 503 (or null). */
function trainError(status, detail, retryAfter = null) {
  return Object.assign(new ApiError(status, serverMessage(detail), fieldErrors(detail)), { retryAfter });
}

/**
 * A training before its first event, in the POST response's shape (learnframes' learnModel reads
 * it): `config` is the request until `done` brings the normalised one, `vocabulary` null until the
 * first snapshot (epoch 0 always has one) names it; `done` says whether the last epoch has come.
 */
export function createTraining(request) {
  return { config: { ...request }, vocabulary: null, history: [], snapshots: [], meta: null, done: false };
}

/**
 * `training` with one event applied (in place; returned): an epoch adds its history entry and
 * its snapshot, `done` sets config, vocabulary and meta, `error` throws its trainError.
 */
export function applyEvent(training, { event, data }) {
  const body = JSON.parse(data);
  if (event === 'epoch') {
    const { snapshot, ...entry } = body;
    training.history.push(entry);
    if (snapshot) {
      training.snapshots.push(snapshot);
      training.vocabulary ??= snapshot.run.config.input.vocabulary;
    }
  } else if (event === 'done') {
    Object.assign(training, { config: body.config, vocabulary: body.vocabulary, meta: body.meta, done: true });
  } else if (event === 'error') {
    throw trainError(body.status, body.detail, body.retry_after ?? null);
  }
  return training;
}

/** The URL of a training's event stream. */
export const streamUrl = (request) => `/api/train?${new URLSearchParams({ config: JSON.stringify(request) })}`;

/**
 * Train `request` as a stream, calling onUpdate(training) (not awaited) after each chunk that
 * brought events; resolves with the finished training. Rejects with a trainError (422 or 503
 * before the stream, an `event: error` in it, STREAM_CUT when it ends early), or with the abort
 * when `signal` aborts: that closes the connection, and the server stops the training.
 */
export async function streamTraining(request, { signal, onUpdate = () => {}, fetch: get = globalThis.fetch } = {}) {
  const response = await get(streamUrl(request), { signal, headers: { Accept: 'text/event-stream' } });
  if (!response.ok) {
    const body = await response.json().catch(() => ({ detail: response.statusText }));
    throw trainError(response.status, body.detail, Number(response.headers.get('Retry-After')) || null);
  }
  const training = createTraining(request);
  const parser = createEventParser();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    const events = parser.push(chunk.value);
    for (const event of events) applyEvent(training, event);
    if (events.length) onUpdate(training);
  }
  if (!training.done) throw trainError(STREAM_CUT, null);
  return training;
}

/**
 * `fn` (async, no arguments) made to run at most once at a time: a call while it runs asks for one
 * more run after it, and every call resolves once a run that began after the call has finished.
 * So a burst of epochs costs one drawing, and whoever waits (a playing timeline) waits for its own.
 */
export function coalesce(fn) {
  let running = null;
  let again = false;
  async function loop() {
    try {
      do {
        again = false;
        await fn();
      } while (again);
    } finally {
      running = null;
    }
  }
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = loop();
    return running;
  };
}
