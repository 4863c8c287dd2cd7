// The JSON API (SPEC section 5): presets and runs, with errors turned into per-field messages.
// Runs go by GET when they can (the browser and any CDN cache them), in the compact encoding when large.
import { maxAnalysisSteps, variantOf } from './cells.js';
import { COMPACT_NUMBERS, GET_QUERY_BYTES } from './config.js';
import { decodeArrays } from './encoding.js';
import { has, t } from './i18n.js';

/**
 * An API failure: the HTTP status, the server's own (English) message, and the request fields it
 * names, each with its message in the page's language ([{field, message}]).
 */
export class ApiError extends Error {
  constructor(status, message, fields = []) {
    super(message);
    this.status = status;
    this.fields = fields;
  }
}

// Where a request field sits in an error's loc: the POST body, or the JSON of GET's ?config=.
const FIELD_ROOTS = [['body'], ['query', 'config']];

// pydantic's error types (stable across its versions) -> the message that says the same rule, and
// what it takes from pydantic's English text: the first number (a limit) or the quoted choices.
const RULES = {
  missing: ['error.missing'],
  greater_than_equal: ['error.greater_than_equal', 'limit'],
  greater_than: ['error.greater_than', 'limit'],
  less_than_equal: ['error.less_than_equal', 'limit'],
  less_than: ['error.less_than', 'limit'],
  int_type: ['error.integer'],
  int_parsing: ['error.integer'],
  int_from_float: ['error.integer'],
  float_type: ['error.number'],
  float_parsing: ['error.number'],
  finite_number: ['error.finite_number'],
  bool_type: ['error.boolean'],
  bool_parsing: ['error.boolean'],
  literal_error: ['error.literal', 'choices'],
  extra_forbidden: ['error.extra_forbidden'],
  too_long: ['error.too_long', 'limit'],
  too_short: ['error.too_short', 'limit'],
  string_too_long: ['error.string_too_long', 'limit'],
  string_too_short: ['error.string_too_short', 'limit'],
};
const PARAMS = {
  limit: (msg) => msg.match(/-?\d+(\.\d+)?/)?.[0],
  choices: (msg) => [...msg.matchAll(/'([^']*)'/g)].map((m) => m[1]).join(', '),
};

/**
 * A server error ({type, msg}) in the page's language: pydantic's rules said again by the catalog
 * ("must be greater than or equal to 1"), the app's own rules (type value_error, json_invalid)
 * quoted in English inside a translated sentence (the API's messages stay English).
 */
export function errorText({ type, msg = '' }) {
  const [key, param] = RULES[type] ?? [];
  const value = param && PARAMS[param](msg);
  if (key && (!param || value)) return t(key, param ? { [param]: value } : {});
  return t('error.server', { message: msg });
}

/**
 * A request field's name in the page's language: the longest known start of its path
 * (catalog keys field.*), then the rest as a path ("sequence lengths [0]", "initial state layers[0].forward.h").
 */
function fieldName(field) {
  const parts = field ? field.split('.') : [];
  for (let n = parts.length; n > 0; n -= 1) {
    const key = `field.${parts.slice(0, n).join('.')}`;
    if (!has(key)) continue;
    const rest = parts.slice(n).map((p, k) => (/^\d+$/.test(p) ? `[${p}]` : `${k ? '.' : ''}${p}`)).join('');
    return rest ? `${t(key)} ${rest}` : t(key);
  }
  return field;
}

/** An error about the request field `field` ("" for the whole request): {field, name (fieldName), message}. */
export const fieldError = (field, message) => ({ field, name: fieldName(field), message });

/** One field error as a line of text: "name: message", the message alone for the whole request. */
export const fieldErrorLine = ({ name, message }) => (name ? t('status.field_error', { field: name, message }) : message);

/** Field errors as text, one line each: a page's status where no form shows them beside their fields. */
export const fieldErrorsText = (errors) => errors.map(fieldErrorLine).join('\n');

/**
 * The request fields a FastAPI error detail names, each with its name (fieldName) and message (errorText): loc
 * ["body", "input", "text", 0] (POST) or ["query", "config", "input", "text", 0] (GET) becomes
 * "input.text.0" ("" for the whole request).
 */
export function fieldErrors(detail) {
  if (detail === undefined || detail === null) return [fieldError('', t('error.request_failed'))];
  if (!Array.isArray(detail)) return [fieldError('', errorText({ msg: String(detail) }))];
  return detail.map((e) => {
    const loc = e.loc ?? [];
    const root = FIELD_ROOTS.find((r) => r.every((part, k) => loc[k] === part)) ?? loc.slice(0, 1);
    return fieldError(loc.slice(root.length).join('.'), errorText(e));
  });
}

/** The server's own message of an error detail (a 503's reason, or each field's message joined). */
export const serverMessage = (detail) => (Array.isArray(detail) ? detail.map((e) => e.msg).join('; ') : String(detail ?? ''));

/** [B, T, D] of a request's input: D is the vocabulary's size (or the distinct characters) for text. */
function inputShape(input) {
  if (input.values) return [input.values.length, input.values[0]?.length ?? 0, input.values[0]?.[0]?.length ?? 0];
  const chars = input.text.map((s) => [...s]);
  const vocabulary = new Set(input.vocabulary ? [...input.vocabulary] : chars.flat());
  return [chars.length, Math.max(0, ...chars.map((c) => c.length)), vocabulary.size];
}

/** How many numbers the analyses add to one layer-direction (app/validation.analysis_numbers): connectivity [B][T][T]; trajectory axes, mean, ratios, components. */
function analysisNumbers(analysis = [], B, T, H) {
  const K = Math.min(2, H);
  const sizes = { connectivity: B * T * T, trajectory: K * H + H + K + B * T * K };
  return analysis.reduce((sum, name) => sum + sizes[name], 0);
}

/** How many numbers the result of a run request carries, counted as the server does (app/validation.count_numbers). */
export function expectedNumbers(body) {
  const { hidden_size: H, num_layers: L, bidirectional } = body;
  const { states: { length: states }, gates: { length: gates }, blocks, bias_rows: biasRows } = variantOf(body);
  const [B, T, D] = inputShape(body.input);
  const dirs = bidirectional ? 2 : 1;
  const columns = blocks * H; // G·H: the width of every weight
  const perDirection = B * T * H * (1 + states + gates) + B * H * states + analysisNumbers(body.analysis, B, T, H);
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
  if (!response.ok) throw new ApiError(response.status, serverMessage(body.detail), fieldErrors(body.detail));
  return body;
}

/** GET /api/presets in a language: the seed notebook's examples, [{name, title, seed_heading, description, config}]. */
export function fetchPresets(lang) {
  return request(`/api/presets?lang=${encodeURIComponent(lang)}`, {}, 3);
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

/** Whether an error refuses only the analyses (the rest of the request would run): every field it names is under `analysis`. */
const refusesAnalyses = (error) => error instanceof ApiError && error.status === 422 && error.fields.length > 0
  && error.fields.every((f) => f.field === 'analysis' || f.field.startsWith('analysis.'));

// The server's rule for connectivity's length (app/validation), read for its two numbers.
const STEPS_RULE = /T <= (\d+) .*T is (\d+)/;

/**
 * Why the analyses were refused, in the page's language: the length rule said again by the catalog
 * ("Connectivity is computed for at most 200 steps; this run has 300"), any other rule quoted
 * inside a translated sentence.
 */
function analysisRefusal(message) {
  const steps = message.match(STEPS_RULE);
  if (steps) return t('analysis.refused_steps', { limit: steps[1], steps: steps[2] });
  return t('analysis.refused', { message });
}

/**
 * A run with the analyses `analysis` (SPEC §6; none: a plain runNetwork): {result, refused},
 * `refused` null, or why connectivity is missing (analysisRefusal) while the run and its other
 * analyses are there. A run longer than the page's max_analysis_steps is not asked for
 * connectivity; a 422 on the analyses alone (connectivity's other limits) is answered by fetching
 * the run without it.
 */
export async function runAnalysed(body, preset = '', analysis = []) {
  const fetchWith = (names) => (names.length ? runNetwork({ ...body, analysis: names }) : runNetwork(body, preset));
  const rest = analysis.filter((name) => name !== 'connectivity');
  const steps = inputShape(body.input)[1];
  if (rest.length < analysis.length && steps > maxAnalysisSteps()) {
    return { result: await fetchWith(rest), refused: t('analysis.refused_steps', { limit: maxAnalysisSteps(), steps }) };
  }
  try {
    return { result: await fetchWith(analysis), refused: null };
  } catch (error) {
    if (!refusesAnalyses(error)) throw error;
    return { result: await fetchWith(rest), refused: analysisRefusal(error.message) };
  }
}
