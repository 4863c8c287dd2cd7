// The JSON API (SPEC section 5): presets and runs, with errors turned into per-field messages.
// Runs go by GET when they can (the browser and any CDN cache them), in the compact encoding when large.
import { COMPACT_NUMBERS, GET_QUERY_BYTES } from './config.js';
import { decodeArrays } from './encoding.js';

/** An API failure: the HTTP status, a message, and the request fields it names ([{field, message}]). */
export class ApiError extends Error {
  constructor(status, message, fields = []) {
    super(message);
    this.status = status;
    this.fields = fields;
  }
}

// Where a request field sits in an error's loc: the POST body, or the JSON of GET's ?config=.
const FIELD_ROOTS = [['body'], ['query', 'config']];

/**
 * The request fields a FastAPI error detail names: loc ["body", "input", "text", 0] (POST) or
 * ["query", "config", "input", "text", 0] (GET) becomes "input.text.0" ("" for the whole request).
 */
export function fieldErrors(detail) {
  if (!Array.isArray(detail)) return [{ field: '', message: String(detail ?? 'request failed') }];
  return detail.map((e) => {
    const loc = e.loc ?? [];
    const root = FIELD_ROOTS.find((r) => r.every((part, k) => loc[k] === part)) ?? loc.slice(0, 1);
    return { field: loc.slice(root.length).join('.'), message: e.msg };
  });
}

const GATE_COUNT = { rnn: 0, lstm: 4, gru: 3 };

/** [B, T, D] of a request's input: D is the vocabulary's size (or the distinct characters) for text. */
function inputShape(input) {
  if (input.values) return [input.values.length, input.values[0]?.length ?? 0, input.values[0]?.[0]?.length ?? 0];
  const chars = input.text.map((s) => [...s]);
  const vocabulary = new Set(input.vocabulary ? [...input.vocabulary] : chars.flat());
  return [chars.length, Math.max(0, ...chars.map((c) => c.length)), vocabulary.size];
}

/** How many numbers the result of a run request carries, counted as the server does (app/validation.count_numbers). */
export function expectedNumbers(body) {
  const { cell, hidden_size: H, num_layers: L, bidirectional } = body;
  const [B, T, D] = inputShape(body.input);
  const dirs = bidirectional ? 2 : 1;
  const gates = GATE_COUNT[cell];
  const states = cell === 'lstm' ? 2 : 1;
  const columns = Math.max(1, gates) * H; // G·H: the width of every weight
  const biasRows = cell === 'gru' && (body.reset_after ?? true) ? 2 : 1;
  const perDirection = B * T * H * (1 + states + gates) + B * H * states;
  let weights = 0;
  for (let l = 0; l < L; l += 1) weights += ((l === 0 ? D : H * dirs) + H + biasRows) * columns;
  return B * T * D + L * dirs * perDirection + dirs * weights + B * T * H * dirs;
}

/**
 * How to fetch the run of `body`: {url, init}. An unchanged preset (`preset` names it) and a short
 * configuration go by GET (cacheable); a configuration past GET_QUERY_BYTES is POSTed. Results past
 * COMPACT_NUMBERS numbers, and every POSTed one, come in the compact encoding.
 */
export function runRequest(body, preset = '') {
  const json = JSON.stringify(body);
  const compact = expectedNumbers(body) > COMPACT_NUMBERS;
  const params = new URLSearchParams(preset ? { preset } : { config: json });
  if (compact) params.set('encoding', 'b64');
  const query = params.toString();
  if (query.length <= GET_QUERY_BYTES) return { url: `/api/run?${query}`, init: {} };
  return postRequest(json);
}

function postRequest(json) {
  return { url: '/api/run?encoding=b64', init: { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: json } };
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

async function request(url, init, retries) {
  const response = await fetch(url, init);
  if (response.status === 503 && retries > 0) {
    const wait = Math.min(10, Number(response.headers.get('Retry-After')) || 1);
    await sleep(wait * 1000);
    return request(url, init, retries - 1);
  }
  const body = await response.json().catch(() => ({ detail: response.statusText }));
  if (!response.ok) {
    const fields = fieldErrors(body.detail);
    throw new ApiError(response.status, fields.map((f) => f.message).join('; '), fields);
  }
  return body;
}

/** GET /api/presets: the seed notebook's examples, [{name, title, seed_heading, description, config}]. */
export function fetchPresets() {
  return request('/api/presets', {}, 3);
}

/**
 * The run result of a request (plain nested arrays, whichever encoding carried it), fetched as
 * runRequest says; a GET refused as too long (414) is POSTed, a 503 retried after its Retry-After.
 */
export async function runNetwork(body, preset = '', retries = 3) {
  const fetchRun = ({ url, init }) => request(url, init, retries).then(decodeArrays);
  try {
    return await fetchRun(runRequest(body, preset));
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 414)) throw error;
    return fetchRun(postRequest(JSON.stringify(body)));
  }
}
