// Pure: what /compare and /embed?cells=... (SPEC §7) make of a URL and of their runs. The page's
// state is the main page's (state.js' FIELDS, `cells` its columns); from it each column gets the
// same run request with its own cell variant, seeded weights and a zero initial state; and the
// columns' results give the colour scales every column shares, one per quantity.
import { connectivityRange } from './analysisframes.js';
import { variant, variantOf, variants } from './cells.js';
import { t } from './i18n.js';
import { DEFAULTS, FIELDS, decodeState, encodeState, requestFromState, stateFromConfig } from './state.js';

/**
 * The state a /compare query describes ({state, error}): `preset=NAME` or `config=<JSON of a run
 * request>` as its base, then every field the query gives, as on the main page. A query with
 * neither and no configuration field opens the preset `fallback`; one with configuration fields
 * and no preset is a configuration of its own (what the page writes for one). `error` is a message
 * when config= is not JSON (the state is then the fallback's).
 */
export function decodeComparison(search, presets, fallback) {
  const params = new URLSearchParams(search);
  const text = params.get('config');
  params.delete('config');
  if (text !== null) params.delete('preset'); // a configuration is the whole base
  if (text === null) {
    const configured = FIELDS.some((f) => f.config && params.has(f.name));
    if (!params.has('preset') && !configured && presets[fallback]) params.set('preset', fallback);
    return { state: decodeState(params.toString(), presets), error: null };
  }
  let config;
  try {
    config = JSON.parse(text);
    if (!config?.input) throw new TypeError(text);
  } catch {
    params.set('preset', fallback);
    return { state: decodeState(params.toString(), presets), error: t('compare.bad_config') };
  }
  // The configuration as the fields that differ from the defaults, after the query's own: the
  // query's fields win (URLSearchParams.get reads the first).
  const base = new URLSearchParams(encodeState({ ...DEFAULTS, ...stateFromConfig(config), lang: DEFAULTS.lang }));
  base.delete('lang');
  return { state: decodeState(`${params}&${base}`, presets), error: null };
}

/** The columns a state names ({keys, unknown}): its `cells` that are variants, each once, in its order, and the names that are not. */
export function columnsOf(state) {
  const names = [...new Set(state.cells)];
  return { keys: names.filter((key) => variant(key)), unknown: names.filter((key) => !variant(key)) };
}

/**
 * Why a state cannot be compared, in the page's language, or null: cells= naming no variant, or
 * fields that fit one cell only (SPEC §7): given weights, or an initial state (custom or random,
 * which is shaped like one cell's states).
 */
export function comparisonRefusal(state) {
  const { unknown } = columnsOf(state);
  if (unknown.length) return t('compare.unknown_cells', { names: unknown.join(', '), known: Object.keys(variants()).join(', ') });
  if (state.weights.trim()) return t('compare.refused_weights');
  if (state.init !== 'zeros') return t('compare.refused_initial_state');
  return null;
}

/** The run request of column `key`: the state's request with that variant's fields (cell, reset_after), seeded weights, zero initial state. */
export function columnRequest(state, key) {
  return { ...requestFromState(state), ...variant(key).request, initial_state: null, weights: null };
}

/** The state that opens column `key`'s run on the main page: the comparison's, with its cell. */
export const columnState = (state, key) => ({ ...state, ...variant(key).request });

/** The largest |value| of a state of example b over every layer and direction of several results. */
function largest(results, name, b) {
  let most = 0;
  for (const result of results) {
    for (const layer of result.layers) {
      for (const run of Object.values(layer)) {
        for (const row of run.states[name]?.[b] ?? []) for (const v of row) most = Math.max(most, Math.abs(v));
      }
    }
  }
  return most;
}

/**
 * The colour scales every column shares, by view ({example, layer, direction}): `ranges` for the
 * state heatmaps ({h: [-m, m], c: [-m, m]}, m the largest |value| of that state in any column:
 * centred on 0 as each heatmap is alone) and `range` for connectivity (connectivityRange over
 * every column). Gates are σ/tanh values on a fixed scale already. Returns view -> options,
 * computed once per view.
 */
export function sharedScales(results) {
  const names = [...new Set(results.flatMap((result) => variantOf(result.config).states))];
  const memo = new Map();
  return ({ example, layer, direction }) => {
    const key = `${example} ${layer} ${direction}`;
    if (!memo.has(key)) {
      const ranges = Object.fromEntries(names.map((name) => {
        const m = largest(results, name, example) || 1;
        return [name, [-m, m]];
      }));
      const analysed = results.filter((result) => result.layers[0].forward.connectivity);
      const range = analysed.length ? connectivityRange(analysed, { layer, direction, b: example }) : undefined;
      memo.set(key, { ranges, ...(range ? { range } : {}) });
    }
    return memo.get(key);
  };
}
