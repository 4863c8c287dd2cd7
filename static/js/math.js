// The cells' equations (SPEC section 3) recomputed in float64 from a run result, with every
// partial sum kept so the math panel can write them out with the real numbers.
import { DIGITS, MATCH_TOLERANCE, MATH_TERMS } from './config.js';
import { plural, t as tr } from './i18n.js';

/** Gate names of each cell, in the column-block order of its weights (Keras layout). */
export const GATES = { rnn: [], lstm: ['i', 'f', 'g', 'o'], gru: ['z', 'r', 'n'] };

/** The logistic sigmoid σ. */
export const sigmoid = (v) => 1 / (1 + Math.exp(-v));

const ACTIVATIONS = { σ: sigmoid, tanh: Math.tanh };
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
export function layerInput(result, layer, b, t) {
  if (layer === 0) return result.inputs[b][t];
  const below = result.layers[layer - 1];
  return [...below.forward.outputs[b][t], ...(below.backward ? below.backward.outputs[b][t] : [])];
}

/** The initial state {h, c} of one layer and direction for example b (zeros unless config.initial_state). */
export function initialState(result, layer, direction, b) {
  const H = result.config.hidden_size;
  const given = result.config.initial_state?.layers?.[layer]?.[direction];
  const c = result.config.cell === 'lstm' ? given?.c?.[b] ?? zeros(H) : null;
  return { h: given?.h?.[b] ?? zeros(H), c };
}

/** The state {h, c} a direction held just before reading position t (what the server returned there). */
export function previousState(result, layer, direction, b, t) {
  const prev = previousPosition(direction, t, result.sequence_length[b]);
  if (prev === null) return initialState(result, layer, direction, b);
  const { states } = result.layers[layer][direction];
  return { h: states.h[b][prev], c: states.c ? states.c[b][prev] : null };
}

const dot = (label, vector, matrix, offset) => ({ kind: 'dot', label, vector, matrix, offset });
const bias = (label, vector, offset) => ({ kind: 'bias', label, vector, offset });
const constant = (label, value) => ({ kind: 'const', label, value });

function partValue(part, unit) {
  if (part.kind === 'dot') return part.vector.reduce((sum, v, k) => sum + v * part.matrix[k][part.offset + unit], 0);
  if (part.kind === 'bias') return part.vector[part.offset + unit];
  if (part.kind === 'const') return part.value;
  return part.gate[unit] * part.parts.reduce((sum, p) => sum + partValue(p, unit), 0);
}

/** Per-unit values at `units` only (the other entries stay empty): the math panel needs one unit of H. */
function perUnit(H, units, f) {
  const out = new Array(H);
  for (const u of units) out[u] = f(u);
  return out;
}

function block(name, activation, parts, H, units) {
  const pre = perUnit(H, units, (u) => parts.reduce((sum, p) => sum + partValue(p, u), 0));
  return { name, activation, parts, pre, value: perUnit(H, units, (u) => ACTIVATIONS[activation](pre[u])) };
}

/**
 * One cell step, keeping every term: {blocks: [{name, activation, parts, pre, value}], h, c}, each
 * [H] with entries at `units` (default all). `weights` is {kernel, recurrent_kernel, bias}; bias is
 * [G*H], or [2][3H] for GRU reset_after.
 */
export function cellStep(cell, { x, h, c, weights, forgetBias = 0, resetAfter = true }, units = range(h.length)) {
  const H = h.length;
  const { kernel: W, recurrent_kernel: U } = weights;
  const split = Array.isArray(weights.bias[0]);
  const [b, bRec] = split ? weights.bias : [weights.bias, null];
  if (cell === 'rnn') {
    const hNew = block('h', 'tanh', [dot('x·W', x, W, 0), dot('h_prev·U', h, U, 0), bias('b', b, 0)], H, units);
    return { blocks: [hNew], h: hNew.value, c: null };
  }
  if (cell === 'lstm') {
    const blocks = GATES.lstm.map((g, k) => {
      const parts = [dot(`x·W_${g}`, x, W, k * H), dot(`h_prev·U_${g}`, h, U, k * H), bias(`b_${g}`, b, k * H)];
      if (g === 'f') parts.push(constant('forget_bias', forgetBias));
      return block(g, g === 'g' ? 'tanh' : 'σ', parts, H, units);
    });
    const [i, f, g, o] = blocks.map((bl) => bl.value);
    const cNew = perUnit(H, units, (u) => f[u] * c[u] + i[u] * g[u]);
    return { blocks, h: perUnit(H, units, (u) => o[u] * Math.tanh(cNew[u])), c: cNew };
  }
  const gateParts = (g, k) => {
    const [xW, hU] = [dot(`x·W_${g}`, x, W, k * H), dot(`h_prev·U_${g}`, h, U, k * H)];
    return resetAfter ? [xW, bias(`b_${g}`, b, k * H), hU, bias(`b'_${g}`, bRec, k * H)] : [xW, hU, bias(`b_${g}`, b, k * H)];
  };
  const z = block('z', 'σ', gateParts('z', 0), H, units);
  // Without reset_after, n reads r⊙h_prev over every unit.
  const r = block('r', 'σ', gateParts('r', 1), H, resetAfter ? units : range(H));
  const n0 = 2 * H;
  const recurrent = resetAfter
    ? { kind: 'gated', label: "r ⊙ (h_prev·U_n + b'_n)", gate: r.value, parts: [dot('h_prev·U_n', h, U, n0), bias("b'_n", bRec, n0)] }
    : dot('(r ⊙ h_prev)·U_n', r.value.map((rv, u) => rv * h[u]), U, n0);
  const candidate = resetAfter
    ? [dot('x·W_n', x, W, n0), bias('b_n', b, n0), recurrent]
    : [dot('x·W_n', x, W, n0), recurrent, bias('b_n', b, n0)];
  const n = block('n', 'tanh', candidate, H, units);
  const hNew = perUnit(H, units, (u) => z.value[u] * h[u] + (1 - z.value[u]) * n.value[u]);
  return { blocks: [z, r, n], h: hNew, c: null };
}

/** The step at position t of example b, layer and direction, recomputed from the result's own numbers (at `units`, default all). */
export function recompute(result, { layer, direction, b, t }, units) {
  const { config } = result;
  const prev = previousState(result, layer, direction, b, t);
  const x = layerInput(result, layer, b, t);
  const inputs = {
    x, h: prev.h, c: prev.c,
    weights: result.weights.layers[layer][direction],
    forgetBias: config.forget_bias ?? 0,
    resetAfter: config.reset_after ?? true,
  };
  return { x, prev, ...cellStep(config.cell, inputs, units) };
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
export function fmtVector(v) {
  return `[${elide(v.length, (k) => fmt(v[k]), 'math.more').join(', ')}]`;
}

function expandPart(part, unit) {
  if (part.kind === 'dot') {
    const term = (k) => `${fmt(part.vector[k], true)}×${fmt(part.matrix[k][part.offset + unit], true)}`;
    return `${part.label}[:,${unit}] = ${elide(part.vector.length, term, 'math.more_terms').join(' + ')} = ${fmt(partValue(part, unit))}`;
  }
  if (part.kind === 'bias') return `${part.label}[${unit}] = ${fmt(partValue(part, unit))}`;
  if (part.kind === 'const') return `${part.label} = ${fmt(part.value)}`;
  const inner = part.parts.map((p) => fmt(partValue(p, unit), true)).join(' + ');
  return [
    ...part.parts.map((p) => expandPart(p, unit)),
    `${part.label} = ${fmt(part.gate[unit])} × (${inner}) = ${fmt(partValue(part, unit))}`,
  ].join('\n');
}

// The equations as the panel writes them (notation, in no language; "r likewise" is a message).
const FORMULAS = {
  rnn: () => ['h_t = tanh(x_t·W + h_prev·U + b)'],
  lstm: () => ['[i, f, g, o] = [σ, σ(· + forget_bias), tanh, σ](x_t·W + h_prev·U + b)', 'c_t = f⊙c_prev + i⊙g', 'h_t = o⊙tanh(c_t)'],
  gru: (resetAfter) => [
    `${resetAfter ? "z = σ(x·W_z + b_z + h_prev·U_z + b'_z)" : 'z = σ(x·W_z + h_prev·U_z + b_z)'}, ${tr('math.likewise', { gate: 'r' })}`,
    resetAfter ? "n = tanh(x·W_n + b_n + r⊙(h_prev·U_n + b'_n))" : 'n = tanh(x·W_n + (r⊙h_prev)·U_n + b_n)',
    'h_t = z⊙h_prev + (1−z)⊙n',
  ],
};

/**
 * The math panel for one unit: its cell's equations with the numbers of position t plugged in,
 * each result checked against the server. Returns {padding, lines: [{kind, text, ok?}], checks}.
 */
export function explain(result, sel) {
  const { layer, direction, b, t, unit } = sel;
  const { cell } = result.config;
  const length = result.sequence_length[b];
  const served = result.layers[layer][direction];
  const lines = FORMULAS[cell](result.config.reset_after ?? true).map((text) => ({ kind: 'formula', text }));
  if (t >= length) {
    const text = tr('math.padding', { t, length, unit, h: fmt(served.states.h[b][t][unit]) });
    return { padding: true, lines: [...lines, { kind: 'note', text }], checks: [] };
  }
  const step = recompute(result, { layer, direction, b, t }, [unit]);
  const prevPos = previousPosition(direction, t, length);
  lines.push({ kind: 'given', text: `x_t = ${fmtVector(step.x)}` });
  const origin = prevPos === null ? tr('math.from_initial') : tr('math.from_position', { t: prevPos });
  lines.push({ kind: 'given', text: `h_prev = ${fmtVector(step.prev.h)}   ${origin}` });
  if (step.prev.c) lines.push({ kind: 'given', text: `c_prev = ${fmtVector(step.prev.c)}` });

  const checks = [];
  const verify = (name, expression, js, server) => {
    const ok = Math.abs(js - server) <= MATCH_TOLERANCE * Math.max(1, Math.abs(server));
    const verdict = ok ? tr('math.matches') : tr('math.mismatch', { value: fmt(server) });
    checks.push({ kind: 'result', text: `${name} = ${expression} = ${fmt(js)}   ${verdict}`, name, js, server, ok });
    lines.push(checks.at(-1));
  };
  const v = Object.fromEntries(step.blocks.map((bl) => [bl.name, bl.value[unit]]));
  const server = (m) => m[b][t][unit];
  for (const bl of step.blocks) {
    for (const part of bl.parts) lines.push({ kind: 'sum', text: expandPart(part, unit) });
    const sum = bl.parts.map((p) => fmt(partValue(p, unit), true)).join(' + ');
    const expression = `${bl.activation}(${sum}) = ${bl.activation}(${fmt(bl.pre[unit])})`;
    if (cell === 'rnn') verify('h_t', expression, v.h, server(served.states.h));
    else verify(bl.name, expression, v[bl.name], server(served.gates[bl.name]));
  }
  const cPrev = step.prev.c?.[unit];
  const hPrev = step.prev.h[unit];
  if (cell === 'lstm') {
    verify('c_t', `f⊙c_prev + i⊙g = ${fmt(v.f)}×${fmt(cPrev, true)} + ${fmt(v.i)}×${fmt(v.g, true)}`, step.c[unit], server(served.states.c));
    verify('h_t', `o⊙tanh(c_t) = ${fmt(v.o)}×tanh(${fmt(step.c[unit])})`, step.h[unit], server(served.states.h));
  }
  if (cell === 'gru') {
    const expression = `z⊙h_prev + (1−z)⊙n = ${fmt(v.z)}×${fmt(hPrev, true)} + ${fmt(1 - v.z)}×${fmt(v.n, true)}`;
    verify('h_t', expression, step.h[unit], server(served.states.h));
  }
  return { padding: false, lines, checks };
}
