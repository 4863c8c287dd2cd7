// Pure: a run result -> Plotly figures ({data, layout}) and per-step updates ({data, layout, traces}).
// Every chart exports figure(model, opts) once per run and frame(model, step, opts) per step. A step
// replaces only a same-length `shapes` array (Plotly then redraws the shapes and nothing else) and
// the gates' small z arrays, so playback never rebuilds a chart.
import {
  CELL_SCALE, FONT, HEIGHTS, LABELLED_STEPS, LABELLED_UNITS, LINE_MARKERS_UP_TO, LINE_UNITS, NET_COLORS, NETWORK_MIN_COLUMNS,
  OVERLAY, STATE_SCALE, UNIT_COLORS, UNIT_DASHES,
} from './config.js';
import { GATES, positionAt } from './math.js';

const range = (a, b) => Array.from({ length: Math.max(0, b - a) }, (_, k) => a + k);
const transpose = (m) => (m.length ? m[0].map((_, j) => m.map((row) => row[j])) : []);
const num = (v) => String(Number(v.toFixed(2)));

/** Text as Plotly shows it literally (Plotly reads a few HTML tags in labels; user text must not be one). */
export function plotlyText(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A short label for an input or output vector: up to `keep` values, then an ellipsis. */
export function shortVector(v, keep = 3) {
  const head = v.slice(0, keep).map(num).join(', ');
  return `[${head}${v.length > keep ? ', …' : ''}]`;
}

/** The slice of a run result that the charts draw for example b. */
export function viewModel(result, b) {
  const { cell, hidden_size: H, num_layers: L } = result.config;
  const dirs = result.layers[0].backward ? ['forward', 'backward'] : ['forward'];
  const inputs = result.inputs[b];
  const tokens = result.tokens?.[b];
  return {
    cell, H, L, dirs,
    T: inputs.length,
    length: result.sequence_length[b],
    gateNames: GATES[cell],
    inputs,
    tokens: tokens && inputs.map((_, t) => plotlyText((tokens[t] ?? '').replace(' ', '␣'))),
    outputs: result.outputs[b],
    layers: result.layers.map((layer) => Object.fromEntries(dirs.map((d) => [d, {
      h: layer[d].states.h[b],
      c: layer[d].states.c ? layer[d].states.c[b] : null,
      gates: Object.fromEntries(GATES[cell].map((g) => [g, layer[d].gates[g][b]])),
    }]))),
  };
}

/** The positions [first, last] a direction has computed by playback step `step` (empty when first > last). */
export function revealed(direction, step, length) {
  if (direction === 'backward' && step < length) return [length - 1 - step, length - 1];
  return [0, step];
}

/** Whether position t of a direction has been computed by playback step `step`. */
export function isComputed(direction, t, step, length) {
  const [first, last] = revealed(direction, step, length);
  return t >= first && t <= last;
}

/** The first timestep of the network window that shows playback step `step`. */
export function windowStart(step, T, size) {
  return Math.min(Math.floor(step / size) * size, Math.max(0, T - size));
}

/** The text size of the charts: presenter mode scales it up, compact charts (small frames) down. */
const fontSize = ({ fontScale = 1, compact = false }) => Math.round(FONT.size * fontScale * (compact ? FONT.compactScale : 1));

/** The layout every chart shares: presenter mode scales it up; `compact` halves the margins. */
function baseLayout(opts, height, margin) {
  const scale = opts.compact ? 0.5 : opts.fontScale ?? 1;
  return {
    height: Math.round(height * (opts.fontScale ?? 1)),
    margin: Object.fromEntries(Object.entries(margin).map(([side, px]) => [side, Math.round(px * scale)])),
    font: { family: FONT.family, size: fontSize(opts) },
    paper_bgcolor: '#ffffff',
    plot_bgcolor: '#ffffff',
    showlegend: false,
    hoverlabel: { namelength: -1 },
  };
}

/** Side-by-side axis domains for n panels with a gap between them. */
function domains(n, gap) {
  const width = (1 - gap * (n - 1)) / n;
  return range(0, n).map((k) => [k * (width + gap), k * (width + gap) + width]);
}

const axisName = (k) => (k === 0 ? '' : String(k + 1));
const unitTick = (model) => (model.H <= LABELLED_UNITS ? 1 : undefined);
const timeTick = (model) => (model.T <= LABELLED_STEPS ? 1 : undefined);
const axisTitle = ({ compact }, text) => (compact ? undefined : { text, standoff: 2 });
const ARROWS = { forward: '→', backward: '←' };
/** A panel's name: "layer 1 · forward · h", or "L1 → h" when compact. */
const panelName = ({ compact }, layer, direction, what) => (compact
  ? `L${layer + 1} ${ARROWS[direction]} ${what}`
  : `layer ${layer + 1} · ${direction} · ${what}`);
const band = (ref, x0, x1, style) => ({
  type: 'rect', xref: `x${ref}`, yref: `y${ref} domain`, x0, x1, y0: 0, y1: 1, layer: 'above', ...style,
});
const title = (text, x, y) => ({
  text, x, y, xref: 'paper', yref: 'paper', xanchor: 'center', yanchor: 'bottom', showarrow: false,
});
/** Titles centred over side-by-side panels. */
const titles = (texts, xs) => texts.map((text, k) => title(text, (xs[k][0] + xs[k][1]) / 2, 0.92));

/**
 * Over one time panel (x = position): steps not computed yet covered with `fade` (before and after
 * the computed ones), grey padding, the cursor. Always the same four shapes, some of them empty:
 * Plotly redraws only the shapes when their number stays the same, and the whole chart otherwise.
 */
function timeOverlays(ref, model, direction, step, fade) {
  const { T, length } = model;
  const [first, last] = revealed(direction, step, length);
  const pos = positionAt(direction, step, length);
  const clip = (t) => Math.max(-0.5, Math.min(T - 0.5, t));
  const plain = (fillcolor) => ({ fillcolor, line: { width: 0 } });
  return [
    band(ref, -0.5, clip(first - 0.5), plain(fade)),
    band(ref, clip(last + 0.5), T - 0.5, plain(fade)),
    band(ref, clip(length - 0.5), T - 0.5, plain(OVERLAY.padding)),
    band(ref, pos - 0.5, pos + 0.5, { line: { color: OVERLAY.cursor, width: OVERLAY.cursorWidth } }),
  ];
}

// ---- the unrolled network ------------------------------------------------------------------

const BOX = { w: 0.32, h: 0.3 };

function netRows(model) {
  const half = model.dirs.length === 2;
  // Each layer is one row; a bidirectional layer's box has a forward (top) and backward (bottom) half.
  return model.layers.flatMap((_, l) => model.dirs.map((d, k) => ({
    layer: l, direction: d,
    y0: l + 1 - BOX.h + (half && k === 0 ? BOX.h : 0),
    y1: l + 1 + BOX.h - (half && k === 1 ? BOX.h : 0),
  })));
}

function boxStatus(model, row, t, step) {
  if (t >= model.length) return 'padding';
  if (t === positionAt(row.direction, step, model.length) && step < model.T) return 'current';
  return isComputed(row.direction, t, step, model.length) ? 'computed' : 'pending';
}

/** The arrows of the network as one line trace (gaps between segments) and the heads' positions and angles. */
function arrows(model, cols) {
  const { L } = model;
  const shafts = { x: [], y: [] };
  const heads = { x: [], y: [], angle: [] };
  const add = (x0, y0, x1, y1, angle) => {
    shafts.x.push(x0, x1, null);
    shafts.y.push(y0, y1, null);
    heads.x.push(x1);
    heads.y.push(y1);
    heads.angle.push(angle);
  };
  for (const t of cols) {
    add(t, 0.22, t, 1 - BOX.h, 0);
    for (let l = 1; l < L; l += 1) add(t, l + BOX.h, t, l + 1 - BOX.h, 0);
    add(t, L + BOX.h, t, L + 1 - 0.22, 0);
  }
  for (const row of netRows(model)) {
    const y = (row.y0 + row.y1) / 2;
    for (const t of cols.slice(1)) {
      if (row.direction === 'forward') add(t - 1 + BOX.w, y, t - BOX.w, y, 90);
      else add(t - BOX.w, y, t - 1 + BOX.w, y, -90);
    }
  }
  return { shafts, heads };
}

const BOX_STYLE = {
  pending: [NET_COLORS.pending, NET_COLORS.pendingLine, 1, 'solid'],
  computed: [NET_COLORS.computed, NET_COLORS.computedLine, 1.5, 'solid'],
  current: [NET_COLORS.current, NET_COLORS.currentLine, 3, 'solid'],
  padding: [NET_COLORS.padding, NET_COLORS.paddingLine, 1, 'dot'],
};

/**
 * Everything a step changes in the network, as shapes only (one relayout that redraws just the
 * shapes): each box coloured by its status, and the outputs computed so far as labels on the top row.
 */
function netShapes(model, cols, step, opts) {
  const boxes = netRows(model).flatMap((row) => cols.map((t) => {
    const [fillcolor, color, width, dash] = BOX_STYLE[boxStatus(model, row, t, step)];
    const { y0, y1 } = row;
    return { type: 'rect', x0: t - BOX.w, x1: t + BOX.w, y0, y1, layer: 'below', fillcolor, line: { color, width, dash } };
  }));
  const { length } = model;
  const done = (t) => (t >= length ? t <= step : model.dirs.every((d) => isComputed(d, t, step, length)));
  const font = { size: fontSize(opts), color: NET_COLORS.text };
  const outputs = cols.map((t) => ({
    type: 'rect', x0: t - 0.5, x1: t + 0.5, y0: model.L + 0.8, y1: model.L + 1.2, layer: 'below', line: { width: 0 },
    label: { text: done(t) ? shortVector(model.outputs[t], opts.compact ? 1 : 2) : '', font },
  }));
  return [...boxes, ...outputs];
}

/** The unrolled network over the timesteps [start, start + size): boxes, arrows, inputs and outputs. */
export const network = {
  page(model, step, { size }) {
    return windowStart(step, model.T, size);
  },
  figure(model, opts) {
    const { start = 0, size } = opts;
    const cols = range(start, Math.min(model.T, start + size));
    const { shafts, heads } = arrows(model, cols);
    const rows = netRows(model);
    // One point per box half, centred in it: the direction marks and the (invisible) hover targets.
    const cells = rows.flatMap((row) => cols.map((t) => ({ row, t, y: (row.y0 + row.y1) / 2 })));
    const hover = cells.map(({ row, t }) => {
      const h = shortVector(model.layers[row.layer][row.direction].h[t], 8);
      const state = t >= model.length ? `padding: output 0, state carried ${h}` : `h = ${h}`;
      return `layer ${row.layer + 1} ${row.direction}, t = ${t}<br>${state}`;
    });
    const at = { x: cells.map((c) => c.t), y: cells.map((c) => c.y), hoverinfo: 'skip' };
    const data = [
      { type: 'scatter', mode: 'lines', ...shafts, hoverinfo: 'skip', line: { color: NET_COLORS.arrow, width: 1.4 } },
      {
        type: 'scatter', mode: 'markers', ...heads, hoverinfo: 'skip',
        marker: { symbol: 'triangle-up', size: 8, angle: heads.angle, color: NET_COLORS.arrow },
      },
      { type: 'scatter', mode: 'text', ...at, text: cells.map((c) => ARROWS[c.row.direction]), textfont: { color: NET_COLORS.muted } },
      { type: 'scatter', mode: 'markers', ...at, marker: { size: 24, opacity: 0 }, text: hover, hoverinfo: 'text' },
      {
        type: 'scatter', mode: 'text', x: cols, y: cols.map(() => 0),
        text: cols.map((t) => model.tokens?.[t] ?? shortVector(model.inputs[t], opts.compact ? 2 : 3)),
        hoverinfo: 'skip', textfont: { color: NET_COLORS.text },
      },
    ];
    const marks = model.dirs.length === 2 ? ' →/←' : '';
    const layerLabel = (l) => `${opts.compact ? 'L' : 'layer '}${l + 1}${marks}`;
    const fixed = { showgrid: false, zeroline: false, fixedrange: true };
    const spare = Math.max(0, (NETWORK_MIN_COLUMNS - cols.length) / 2); // short runs: keep boxes box-sized, centred
    const height = Math.max(HEIGHTS.networkMin, HEIGHTS.networkRow * (model.L + 2) + 64);
    const layout = {
      ...baseLayout(opts, height, { l: 90, r: 10, t: 10, b: 36 }),
      xaxis: { ...fixed, range: [start - 0.6 - spare, start + cols.length - 0.4 + spare], tickvals: cols, ticktext: cols.map((t) => `t=${t}`) },
      yaxis: {
        ...fixed, range: [-0.5, model.L + 1.5], tickvals: range(0, model.L + 2),
        ticktext: ['input', ...range(0, model.L).map(layerLabel), 'output'],
      },
      shapes: netShapes(model, cols, 0, opts),
    };
    return { data, layout };
  },
  frame(model, step, opts) {
    const { start = 0, size } = opts;
    const cols = range(start, Math.min(model.T, start + size));
    return { data: {}, layout: { shapes: netShapes(model, cols, step, opts) }, traces: [] };
  },
};

// ---- heatmaps of h (and c) over time x units --------------------------------------------------

function heatPanels(model) {
  const quantities = model.cell === 'lstm' ? ['h', 'c'] : ['h'];
  const cols = model.dirs.flatMap((direction) => quantities.map((q) => ({ direction, q })));
  const xs = domains(cols.length, 0.06);
  const ys = domains(model.L, HEIGHTS.heatmapGap / (HEIGHTS.heatmapRow * model.L));
  const panels = model.layers.flatMap((_, layer) => cols.map((col, k) => ({ ...col, layer, x: xs[k], y: ys[layer] })));
  return panels.map((p, k) => ({ ...p, ref: axisName(k) }));
}

/** Per layer and direction: h (and c for LSTM) over time x units, with the step cursor. */
export const heatmaps = {
  figure(model, opts = {}) {
    const panels = heatPanels(model);
    const layout = baseLayout(opts, HEIGHTS.heatmapRow * model.L + 70, { l: 50, r: 80, t: 30, b: 40 });
    layout.annotations = [];
    const plain = { showgrid: false, zeroline: false };
    const data = panels.map((p) => {
      const bottom = p.layer === 0;
      layout[`xaxis${p.ref}`] = {
        ...plain, domain: p.x, anchor: `y${p.ref}`, range: [-0.5, model.T - 0.5], dtick: timeTick(model),
        title: bottom ? axisTitle(opts, 't') : undefined, showticklabels: bottom,
      };
      layout[`yaxis${p.ref}`] = {
        ...plain, domain: p.y, anchor: `x${p.ref}`, range: [model.H - 0.5, -0.5], dtick: unitTick(model),
        title: axisTitle(opts, 'unit'),
      };
      layout.annotations.push(title(panelName(opts, p.layer, p.direction, p.q), (p.x[0] + p.x[1]) / 2, p.y[1] + 0.01));
      return {
        type: 'heatmap',
        z: transpose(model.layers[p.layer][p.direction][p.q]),
        xaxis: `x${p.ref}`, yaxis: `y${p.ref}`,
        coloraxis: p.q === 'c' ? 'coloraxis2' : 'coloraxis',
        meta: { layer: p.layer, direction: p.direction },
        xgap: 1, ygap: 1,
        hovertemplate: `layer ${p.layer + 1} ${p.direction}<br>t = %{x}, unit %{y}<br>${p.q} = %{z:.4f}<extra></extra>`,
      };
    });
    const bar = (text, y) => ({
      title: { text }, len: model.cell === 'lstm' ? 0.45 : 0.9, y, yanchor: 'middle',
      thickness: opts.compact ? 8 : 14, nticks: opts.compact ? 5 : 6,
    });
    layout.coloraxis = { colorscale: STATE_SCALE, cmid: 0, colorbar: bar('h', model.cell === 'lstm' ? 0.77 : 0.5) };
    if (model.cell === 'lstm') layout.coloraxis2 = { colorscale: CELL_SCALE, cmid: 0, colorbar: bar('c', 0.23) };
    layout.shapes = heatmaps.frame(model, 0).layout.shapes;
    return { data, layout };
  },
  frame(model, step) {
    const shapes = heatPanels(model).flatMap((p) => timeOverlays(p.ref, model, p.direction, step, OVERLAY.pending));
    return { data: {}, layout: { shapes }, traces: [] };
  },
};

// ---- gates at the current step -----------------------------------------------------------------

function gateZ(model, layer, direction, step) {
  const pos = positionAt(direction, step, model.length);
  return model.gateNames.map((g) => model.layers[layer][direction].gates[g][pos]);
}

/** The gates (i, f, g, o or z, r, n) of one layer at the position each direction reads now (0 at padding). */
export const gates = {
  figure(model, opts = {}) {
    if (!model.gateNames.length) return null;
    const { layer = 0 } = opts;
    const xs = domains(model.dirs.length, 0.08);
    const layout = baseLayout(opts, HEIGHTS.gates, { l: 40, r: 70, t: 30, b: 40 });
    const data = model.dirs.map((direction, k) => {
      const ref = axisName(k);
      const plain = { showgrid: false, zeroline: false };
      layout[`xaxis${ref}`] = { ...plain, domain: xs[k], anchor: `y${ref}`, title: axisTitle(opts, 'unit'), dtick: unitTick(model) };
      layout[`yaxis${ref}`] = { ...plain, domain: [0, 0.9], anchor: `x${ref}`, autorange: 'reversed' };
      return {
        type: 'heatmap',
        z: gateZ(model, layer, direction, 0),
        y: model.gateNames,
        xaxis: `x${ref}`, yaxis: `y${ref}`,
        zmin: -1, zmax: 1, colorscale: STATE_SCALE,
        showscale: k === model.dirs.length - 1,
        meta: { layer, direction },
        colorbar: { thickness: 14, len: 0.9 },
        xgap: 2, ygap: 2,
        texttemplate: model.H <= LABELLED_UNITS ? '%{z:.2f}' : '',
        hovertemplate: `${direction}: %{y}[%{x}] = %{z:.4f}<extra></extra>`,
      };
    });
    layout.annotations = titles(model.dirs.map((d) => panelName(opts, layer, d, 'gates')), xs);
    return { data, layout };
  },
  frame(model, step, opts = {}) {
    return {
      data: { z: model.dirs.map((d) => gateZ(model, opts.layer ?? 0, d, step)) },
      layout: {},
      traces: model.dirs.map((_, k) => k),
    };
  },
};

// ---- each unit's value over time, shown up to the current step ----------------------------------

/** The window of at most LINE_UNITS units that holds `unit`. */
export function unitWindow(unit, H) {
  const first = Math.floor(unit / LINE_UNITS) * LINE_UNITS;
  return range(first, Math.min(H, first + LINE_UNITS));
}

/** h of each unit of one layer over time, one panel per direction; steps not computed yet are covered. */
export const lines = {
  figure(model, opts = {}) {
    const { layer = 0, unit = 0 } = opts;
    const units = unitWindow(unit, model.H);
    const xs = domains(model.dirs.length, 0.08);
    const all = model.dirs.flatMap((d) => model.layers[layer][d].h.flat());
    const lo = all.reduce((a, v) => Math.min(a, v), 0);
    const hi = all.reduce((a, v) => Math.max(a, v), 0);
    const pad = (hi - lo) * 0.08 || 0.1;
    const layout = baseLayout(opts, HEIGHTS.lines, { l: 50, r: 20, t: 30, b: 40 });
    layout.showlegend = units.length > 1 && !opts.compact;
    layout.legend = { orientation: 'h', y: -0.22, x: 0 };
    const data = model.dirs.flatMap((direction, k) => {
      const ref = axisName(k);
      layout[`xaxis${ref}`] = {
        domain: xs[k], anchor: `y${ref}`, range: [-0.5, model.T - 0.5], dtick: timeTick(model),
        title: axisTitle(opts, 't'), zeroline: false,
      };
      layout[`yaxis${ref}`] = {
        domain: [0, 0.9], anchor: `x${ref}`, range: [lo - pad, hi + pad], title: k === 0 ? axisTitle(opts, 'h') : undefined,
      };
      return units.map((u) => ({
        type: 'scatter', mode: model.T <= LINE_MARKERS_UP_TO ? 'lines+markers' : 'lines', xaxis: `x${ref}`, yaxis: `y${ref}`,
        x: range(0, model.T), y: model.layers[layer][direction].h.map((h) => h[u]),
        meta: { layer, direction, unit: u },
        name: `unit ${u}`, legendgroup: `unit ${u}`, showlegend: k === 0,
        line: {
          color: UNIT_COLORS[u % UNIT_COLORS.length],
          dash: UNIT_DASHES[Math.floor(u / UNIT_COLORS.length) % UNIT_DASHES.length],
          width: u === unit ? 3.5 : 1.5,
        },
        marker: { size: u === unit ? 7 : 4 },
        hovertemplate: `${direction} unit ${u}<br>t = %{x}: h = %{y:.4f}<extra></extra>`,
      }));
    });
    layout.annotations = titles(model.dirs.map((d) => panelName(opts, layer, d, 'h per unit')), xs);
    layout.shapes = lines.frame(model, 0).layout.shapes;
    return { data, layout };
  },
  frame(model, step) {
    const shapes = model.dirs.flatMap((d, k) => timeOverlays(axisName(k), model, d, step, OVERLAY.hidden));
    return { data: {}, layout: { shapes }, traces: [] };
  },
};
