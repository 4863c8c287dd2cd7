// Pure: the whole UI state as one declared object, its URL form, and the run request it makes.
// Like TensorFlow Playground's state.ts: each field has a name (also its URL key), a type and a
// default. A URL holds only the fields that differ from its base: the defaults, or the preset it
// names; and always the page's language, so a link opens in the language it was copied in.
import { cellNames, defaultVariants, variantOf } from './cells.js';
import { DEFAULT_SPEED, EMBED_SIZE } from './config.js';
import { t } from './i18n.js';

/**
 * Every field of the UI state. `config: true` fields make the run request; the rest are the view.
 * `always: true` fields are in every URL (the language: the page's default depends on the reader).
 * The cells are the engine's (cells.js); `cells` are /compare's columns (variant keys; by default
 * each cell's default variant: rnn, lstm, gru).
 */
export const FIELDS = [
  { name: 'cell', type: 'enum', get values() { return cellNames(); }, default: 'lstm', config: true },
  { name: 'hidden_size', type: 'int', default: 2, config: true },
  { name: 'num_layers', type: 'int', default: 1, config: true },
  { name: 'bidirectional', type: 'bool', default: false, config: true },
  { name: 'reset_after', type: 'bool', default: true, config: true },
  { name: 'forget_bias', type: 'float', default: 0, config: true },
  { name: 'input', type: 'enum', values: ['text', 'values'], default: 'text', config: true },
  { name: 'text', type: 'string', default: 'hello', config: true },
  { name: 'vocabulary', type: 'string', default: '', config: true },
  { name: 'values', type: 'string', default: 'arange 1,5,3', config: true },
  { name: 'sequence_length', type: 'string', default: '', config: true },
  { name: 'init', type: 'enum', values: ['zeros', 'random', 'custom'], default: 'zeros', config: true },
  { name: 'initial_state', type: 'string', default: '', config: true },
  { name: 'seed', type: 'int', default: 0, config: true },
  { name: 'weights', type: 'string', default: '', config: true },
  { name: 'preset', type: 'string', default: '' },
  { name: 'example', type: 'int', default: 0 },
  { name: 'step', type: 'int', default: 0 },
  { name: 'layer', type: 'int', default: 0 },
  { name: 'direction', type: 'enum', values: ['forward', 'backward'], default: 'forward' },
  { name: 'unit', type: 'int', default: 0 },
  { name: 'speed', type: 'float', default: DEFAULT_SPEED },
  { name: 'presenter', type: 'bool', default: false },
  { name: 'autoplay', type: 'bool', default: false },
  { name: 'hide', type: 'list', default: [] },
  { name: 'cells', type: 'list', default: defaultVariants() },
  { name: 'lang', type: 'enum', values: ['en', 'ko'], default: 'en', always: true },
];

/** The parts of the visualization that `hide=` can name (on /embed and /; `analysis` on / and /compare). */
export const PARTS = ['network', 'heatmaps', 'gates', 'lines', 'math', 'controls', 'analysis'];

/** The parts /embed has (the embed builder's choices): all but the analyses, which fill / and /compare. */
export const EMBED_PARTS = PARTS.filter((p) => p !== 'analysis');

/** The analyses (SPEC §6) a page asks for when it shows them. */
const ANALYSES = ['connectivity', 'trajectory'];

/** The analyses a state's view shows, which its run request asks for: none when `hide` names `analysis`. */
export const analysesOf = (state) => (state.hide.includes('analysis') ? [] : ANALYSES);

/** The state with every field at its default. */
export const DEFAULTS = Object.freeze(Object.fromEntries(FIELDS.map((f) => [f.name, f.default])));

const CONFIG_FIELDS = FIELDS.filter((f) => f.config).map((f) => f.name);

/** A value the user typed that cannot become a request; `field` is its request path (as in a 422's loc). */
export class InputError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

const PARSE = {
  enum: (s, f) => (f.values.includes(s) ? s : undefined),
  int: (s) => (/^-?\d+$/.test(s) ? Number(s) : undefined),
  float: (s) => (s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : undefined),
  bool: (s) => ({ 1: true, true: true, 0: false, false: false })[s],
  string: (s) => s,
  list: (s) => s.split(',').filter(Boolean),
};

const FORMAT = {
  bool: (v) => (v ? '1' : '0'),
  list: (v) => v.join(','),
};

/** A field's value read from its URL text (undefined when malformed: the caller keeps its base). */
const parseField = (f, text) => PARSE[f.type](text, f);

/** A field's URL text. */
export const formatField = (f, value) => (FORMAT[f.type] ?? String)(value);

// A value's URL text, undefined for no value (null or undefined).
const urlText = (f, value) => (value === null || value === undefined ? undefined : formatField(f, value));

const same = (a, b) => (Array.isArray(a) ? a.join(',') === b.join(',') : a === b);

/**
 * The URL machinery of any declared fields (FIELDS here, learnstate.js' LEARN_FIELDS): `base` with
 * each of `fields` that the query string `search` gives well-formed (a malformed one keeps its base).
 */
export function decodeFields(fields, search, base) {
  const params = new URLSearchParams(search);
  const state = { ...base };
  for (const f of fields) {
    if (!params.has(f.name)) continue;
    const value = parseField(f, params.get(f.name));
    if (value !== undefined) state[f.name] = value;
  }
  return state;
}

/**
 * The query string of `state`'s `fields`, in their order: the `always` ones and every other whose
 * URL text differs from `base`'s; a field with no value (null or undefined) is left out.
 */
export function encodeFields(fields, state, base) {
  const params = new URLSearchParams();
  for (const f of fields) {
    const text = urlText(f, state[f.name]);
    if (text !== undefined && (f.always || text !== urlText(f, base[f.name]))) params.set(f.name, text);
  }
  return params.toString();
}

function baseOf(preset, presets) {
  const found = presets?.[preset];
  return found ? { ...DEFAULTS, ...stateFromConfig(found), preset } : DEFAULTS;
}

/** The state a query string describes: `preset=NAME` (if known) then each field given overrides the defaults. */
export function decodeState(search, presets = {}) {
  const base = baseOf(new URLSearchParams(search).get('preset'), presets);
  return { ...decodeFields(FIELDS, search, base), preset: base.preset }; // the preset is the base's: a known one, or none
}

/** The query string of a state: its preset (if any) and every field that differs from that base. */
export function encodeState(state, presets = {}) {
  const base = baseOf(state.preset, presets);
  // The preset is written when it is the base (a known one), as a change from no preset.
  return encodeFields(FIELDS, { ...state, preset: base.preset }, { ...base, preset: DEFAULTS.preset });
}

/** Whether two states make the same run request. */
export function sameConfig(a, b) {
  return CONFIG_FIELDS.every((name) => same(a[name], b[name]));
}

/** The values array np.arange(B*T*D).reshape(B, T, D). */
export function arange(B, T, D) {
  return Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => Array.from({ length: D }, (_, d) => (b * T + t) * D + d)));
}

const ARANGE = [
  /^\s*arange\s*\(?\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)?\s*$/i,
  /^\s*(?:np\.)?arange\s*\(\s*(\d+)\s*\)\s*\.\s*reshape\s*\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)\s*$/i,
];

/** The values a values field describes: "arange B,T,D", "np.arange(N).reshape(B,T,D)" or a JSON [B][T][D] array. */
export function parseValues(text) {
  const short = text.match(ARANGE[0]);
  if (short) return arange(...short.slice(1).map(Number));
  const numpy = text.match(ARANGE[1]);
  if (numpy) {
    const [n, B, T, D] = numpy.slice(1).map(Number);
    if (n !== B * T * D) throw new InputError('input.values', t('error.values_reshape', { n, B, T, D }));
    return arange(B, T, D);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new InputError('input.values', t('error.values_unreadable'));
  }
}

/** How the values field writes an array: "arange B,T,D" when it is one, JSON otherwise. */
export function describeValues(values) {
  const [B, T, D] = [values.length, values[0]?.length ?? 0, values[0]?.[0]?.length ?? 0];
  const flat = JSON.stringify(values);
  return B && T && D && flat === JSON.stringify(arange(B, T, D)) ? `arange ${B},${T},${D}` : flat;
}

/** The text field's examples: one per line (a trailing empty line is ignored). */
export function textLines(text) {
  const lines = text.replace(/\r/g, '').split('\n');
  while (lines.length > 1 && lines.at(-1) === '') lines.pop();
  return lines;
}

function parseJson(field, text) {
  try {
    return JSON.parse(text);
  } catch {
    throw new InputError(field, t(`error.${field}_json`));
  }
}

/** A small seeded generator (mulberry32) so a "random" initial state is the same on every reload. */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An initial state shaped for this configuration and `batch` examples; each number from fill(). */
export function shapedInitialState(state, batch, fill) {
  const matrix = () => Array.from({ length: batch }, () => Array.from({ length: state.hidden_size }, fill));
  const direction = () => Object.fromEntries(variantOf(state).states.map((s) => [s, matrix()]));
  const layer = () => (state.bidirectional ? { forward: direction(), backward: direction() } : { forward: direction() });
  return { layers: Array.from({ length: state.num_layers }, layer) };
}

function batchSize(state, input) {
  return state.input === 'text' ? input.text.length : input.values.length;
}

/** The run request (SPEC section 5) a state makes; throws InputError for a field it cannot read. */
export function requestFromState(state) {
  const input = state.input === 'text'
    ? { text: textLines(state.text), ...(state.vocabulary ? { vocabulary: state.vocabulary } : {}) }
    : { values: parseValues(state.values) };
  const lengths = state.sequence_length.trim();
  if (lengths && !/^\d+(\s*[,\s]\s*\d+)*$/.test(lengths)) {
    throw new InputError('sequence_length', t('error.sequence_length'));
  }
  const random = seededRandom(state.seed);
  const initial = {
    zeros: () => null,
    random: () => shapedInitialState(state, batchSize(state, input), () => Math.round((random() * 2 - 1) * 1e4) / 1e4),
    custom: () => parseJson('initial_state', state.initial_state),
  }[state.init]();
  return {
    cell: state.cell,
    hidden_size: state.hidden_size,
    num_layers: state.num_layers,
    bidirectional: state.bidirectional,
    reset_after: state.reset_after,
    forget_bias: state.forget_bias,
    input,
    sequence_length: lengths ? lengths.split(/[\s,]+/).map(Number) : null,
    initial_state: initial,
    seed: state.seed,
    weights: state.weights.trim() ? parseJson('weights', state.weights) : null,
  };
}

/** The configuration fields of a state that makes `config` (a preset's or a request's). */
export function stateFromConfig(config) {
  const text = config.input.text;
  return {
    cell: config.cell ?? DEFAULTS.cell,
    hidden_size: config.hidden_size ?? DEFAULTS.hidden_size,
    num_layers: config.num_layers ?? DEFAULTS.num_layers,
    bidirectional: config.bidirectional ?? DEFAULTS.bidirectional,
    reset_after: config.reset_after ?? DEFAULTS.reset_after,
    forget_bias: config.forget_bias ?? DEFAULTS.forget_bias,
    input: text ? 'text' : 'values',
    text: text ? text.join('\n') : DEFAULTS.text,
    vocabulary: text ? config.input.vocabulary ?? '' : DEFAULTS.vocabulary,
    values: text ? DEFAULTS.values : describeValues(config.input.values),
    sequence_length: config.sequence_length ? config.sequence_length.join(',') : '',
    init: config.initial_state ? 'custom' : 'zeros',
    initial_state: config.initial_state ? JSON.stringify(config.initial_state) : '',
    seed: config.seed ?? DEFAULTS.seed,
    weights: config.weights ? JSON.stringify(config.weights) : '',
  };
}

const attribute = (text) => String(text).replace(/&/g, '&amp;').replace(/"/g, '&quot;');

/** The `<iframe>` code of an embed at `src`, `width` x `height` pixels, titled `title`. */
export function iframeCode(src, { width, height, title }) {
  return `<iframe src="${attribute(src)}" width="${width}" height="${height}" style="border:0" title="${attribute(title)}" loading="lazy" allowfullscreen></iframe>`;
}

/** The `<iframe>` snippet that embeds the chart-only page at `url` at the default size, titled as the embed builder titles it. */
export function embedCode(url) {
  const [width, height] = EMBED_SIZE.default;
  return iframeCode(url, { width, height, title: t('page.title_embed') });
}
