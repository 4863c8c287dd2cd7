// The math panel: a cell's equations (the engine's own, as data: cells.js, equations.js)
// recomputed in float64 from a run result's numbers, written out with every partial sum, and
// each value the server returns checked against them. Nothing here knows a particular cell.
import { DIGITS, MATCH_TOLERANCE, MATH_TERMS } from './config.js';
import { variantOf } from './cells.js';
import { evaluator, expansion, expansions, isActivation, nameText, notation, numeric, shape } from './equations.js';
import { plural, t as tr } from './i18n.js';

const range = (n) => Array.from({ length: n }, (_, k) => k);
const zeros = (n) => new Array(n).fill(0);

/** The position a direction reads at playback step `step`: backward reads the valid prefix in reverse. */
export function positionAt(direction, step, length) {
  return direction === 'backward' && step < length ? length - 1 - step : step;
}

/** The position a direction read just before position t, or null when t starts it (initial state). */
export function previousPosition(direction, t, length) {
  if (direction === 'forward') return t > 0 ? t - 1 : null;
  return t + 1 < length ? t + 1 : null;
}

/** What layer `layer` read at position t of example b: the input, or the layer below's outputs (forward|backward). */
function layerInput(result, layer, b, t) {
  if (layer === 0) return result.inputs[b][t];
  const below = result.layers[layer - 1];
  return [...below.forward.outputs[b][t], ...(below.backward ? below.backward.outputs[b][t] : [])];
}

/** The initial state {h, c, ...} (the variant's states) of one layer and direction for example b: zeros unless config.initial_state. */
function initialState(result, layer, direction, b) {
  const H = result.config.hidden_size;
  const given = result.config.initial_state?.layers?.[layer]?.[direction];
  return Object.fromEntries(variantOf(result.config).states.map((s) => [s, given?.[s]?.[b] ?? zeros(H)]));
}

/** The state {h, c, ...} a direction held just before reading position t (what the server returned there). */
function previousState(result, layer, direction, b, t) {
  const prev = previousPosition(direction, t, result.sequence_length[b]);
  if (prev === null) return initialState(result, layer, direction, b);
  const { states } = result.layers[layer][direction];
  return Object.fromEntries(Object.keys(states).map((s) => [s, states[s][b][prev]]));
}

/**
 * The step at position t of example b, layer and direction, recomputed in float64 from the
 * result's own numbers at `units` (default all): {variant, x, prev, ev (equations.js' evaluator),
 * values: {name: [H]}, pre: {name: [H]}}, every equation's value and, for those that are an
 * activation, its argument (the pre-activation); entries outside `units` stay empty.
 */
export function recompute(result, { layer, direction, b, t }, units) {
  const variant = variantOf(result.config);
  const prev = previousState(result, layer, direction, b, t);
  const x = layerInput(result, layer, b, t);
  const weights = result.weights.layers[layer][direction];
  const options = Object.fromEntries(variant.options.map((name) => [name, result.config[name] ?? 0]));
  const ev = evaluator(variant, { x, prev, weights, options });
  const at = units ?? range(ev.H);
  const perUnit = (f) => {
    const out = new Array(ev.H);
    for (const u of at) out[u] = f(u);
    return out;
  };
  const values = {};
  const pre = {};
  for (const { name, value } of variant.equations) {
    values[name] = perUnit((u) => ev.value(name, u));
    if (isActivation(value)) pre[name] = perUnit((u) => ev.at(value[1], u));
  }
  return { variant, x, prev, ev, values, pre };
}

/** A number as the math panel writes it (fixed decimals, negatives in parentheses when asked). */
export function fmt(v, paren = false) {
  const s = v.toFixed(DIGITS).replace(/^-(0\.0*)$/, '$1');
  return paren && s.startsWith('-') ? `(${s})` : s;
}

/** The first MATH_TERMS of n items (item(k) writes item k), then how many more there are (message `more`): O(MATH_TERMS), whatever n. */
function elide(n, item, more) {
  const shown = range(Math.min(n, MATH_TERMS)).map(item);
  return n > MATH_TERMS ? [...shown, plural(more, { n: n - MATH_TERMS })] : shown;
}

/** A vector as the math panel writes it, eliding the end of long ones. */
function fmtVector(v) {
  return `[${elide(v.length, (k) => fmt(v[k]), 'math.more').join(', ')}]`;
}

/**
 * The equations as the panel heads them, one line each in the engine's order ("c_t = f⊙c_prev +
 * i⊙g"); an equation of the same form as the one before it is named on that line instead
 * ("z = σ(x·W_z + b_z + h_prev·U_z + b'_z), r likewise").
 */
export function formulas(variant) {
  const lines = [];
  variant.equations.forEach(({ name, value }, k) => {
    const before = variant.equations[k - 1];
    if (before && shape(before.value) === shape(value) && lines.length) {
      lines[lines.length - 1] += `, ${tr('math.likewise', { gate: nameText(variant, name) })}`;
    } else {
      lines.push(`${nameText(variant, name)} = ${notation(variant, value)}`);
    }
  });
  return lines;
}

/**
 * The math panel for one unit: its cell's equations with the numbers of position t plugged in,
 * each gate and state checked against the server (helper names the engine does not return are
 * written, not checked). Returns {padding, lines: [{kind, text, ok?}], checks}.
 */
export function explain(result, sel) {
  const { layer, direction, b, t, unit } = sel;
  const variant = variantOf(result.config);
  const length = result.sequence_length[b];
  const served = result.layers[layer][direction];
  const lines = formulas(variant).map((text) => ({ kind: 'formula', text }));
  const [first] = variant.states;
  if (t >= length) {
    const text = tr('math.padding', { t, length, unit, h: fmt(served.states[first][b][t][unit]) });
    return { padding: true, lines: [...lines, { kind: 'note', text }], checks: [] };
  }
  const step = recompute(result, { layer, direction, b, t }, [unit]);
  const prevPos = previousPosition(direction, t, length);
  lines.push({ kind: 'given', text: `x_t = ${fmtVector(step.x)}` });
  const origin = prevPos === null ? tr('math.from_initial') : tr('math.from_position', { t: prevPos });
  for (const s of variant.states) {
    lines.push({ kind: 'given', text: `${s}_prev = ${fmtVector(step.prev[s])}${s === first ? `   ${origin}` : ''}` });
  }

  const checks = [];
  const server = (name) => (served.states[name] ?? served.gates[name])?.[b][t][unit];
  for (const { name, value } of variant.equations) {
    for (const part of expansions(value)) lines.push({ kind: 'sum', text: expansion(variant, step.ev, part, unit, fmt, (n, item) => elide(n, item, 'math.more_terms')) });
    const js = step.values[name][unit];
    const head = isActivation(value) ? '' : `${notation(variant, value)} = `;
    const text = `${nameText(variant, name)} = ${head}${numeric(variant, step.ev, value, unit, fmt)} = ${fmt(js)}`;
    const expected = server(name);
    if (expected === undefined) {
      lines.push({ kind: 'sum', text });
      continue;
    }
    const ok = Math.abs(js - expected) <= MATCH_TOLERANCE * Math.max(1, Math.abs(expected));
    const verdict = ok ? tr('math.matches') : tr('math.mismatch', { value: fmt(expected) });
    checks.push({ kind: 'result', text: `${text}   ${verdict}`, name: nameText(variant, name), js, server: expected, ok });
    lines.push(checks.at(-1));
  }
  return { padding: false, lines, checks };
}
