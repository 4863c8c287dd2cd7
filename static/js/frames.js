// Pure: a run result -> what each chart draws. The Plotly charts (network, heatmaps, lines) export
// figure(model, opts) once per run ({data, layout}) and frame(model, step, opts) per step: the
// layout's shapes at that step, the only thing a step changes (plot.js relayouts just those, see
// shapeUpdate), so playback never rebuilds a chart. The gates are tables (table.js): figure() gives
// their headings, frame() every cell.
import {
  CELL_SCALE, COMPACT_WIDTH, DIGITS, FONT, HEATMAP_GAPS_UP_TO, HEIGHTS, LABELLED_UNITS, LINE_MARKERS_UP_TO, MIN_FONT_PX, NET_COLORS,
  NETWORK_COLUMN_PX, NETWORK_MIN_COLUMNS, NETWORK_WINDOW, OVERLAY, STATE_SCALE, STATE_SCALES, TICKED_CELLS, UNIT_COLORS,
  UNIT_DASHES, UNIT_WINDOW,
} from './config.js';
import { variantOf } from './cells.js';
import { t as tr } from './i18n.js';
import { positionAt } from './math.js';

export const range = (a, b) => Array.from({ length: Math.max(0, b - a) }, (_, k) => a + k);
const transpose = (m) => (m.length ? m[0].map((_, j) => m.map((row) => row[j])) : []);
const num = (v) => String(Number(v.toFixed(2)));

/** Text as Plotly shows it literally (Plotly reads a few HTML tags in labels; user text must not be one). */
export function plotlyText(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A short label for a vector: up to `keep` values (fewer past `chars` characters, at least one), then an ellipsis. */
export function shortVector(v, keep = 3, chars = Infinity) {
  const values = v.slice(0, keep).map(num);
  const text = (n) => `[${values.slice(0, n).join(', ')}${v.length > n ? ', …' : ''}]`;
  let n = values.length;
  while (n > 1 && text(n).length > chars) n -= 1;
  return text(n);
}

/** A run's details line: its device, TensorFlow version, compute time and the weights' SHA-256 (first 12 hex digits). */
export function runDetails(meta) {
  const device = meta.device.replace(/^\/device:/, '');
  return tr('viewer.run_details', { device, tensorflow: meta.tensorflow, ms: meta.compute_ms, sha: meta.weights_sha256.slice(0, 12) });
}

/**
 * The slice of a run result that the charts draw for example b. Its cell's names come from the
 * engine's declaration (cells.js): `stateNames` (h first), `gateNames`; each layer and direction
 * holds every state by name ([T][H]) and `gates`.
 */
export function viewModel(result, b) {
  const { cell, hidden_size: H, num_layers: L } = result.config;
  const variant = variantOf(result.config);
  const dirs = result.layers[0].backward ? ['forward', 'backward'] : ['forward'];
  const inputs = result.inputs[b];
  const tokens = result.tokens?.[b];
  return {
    cell, H, L, dirs,
    T: inputs.length,
    length: result.sequence_length[b],
    stateNames: variant.states,
    gateNames: variant.gates,
    inputs,
    tokens: tokens && inputs.map((_, t) => plotlyText((tokens[t] ?? '').replace(' ', '␣'))),
    outputs: result.outputs[b],
    layers: result.layers.map((layer) => Object.fromEntries(dirs.map((d) => [d, {
      ...Object.fromEntries(variant.states.map((s) => [s, layer[d].states[s][b]])),
      gates: Object.fromEntries(variant.gates.map((g) => [g, layer[d].gates[g][b]])),
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

// Shape attributes that Plotly redraws in place when edited one by one ("arraydraw"). Any other edit
// (a position, a line width) re-plots the whole chart, slower than replacing the array of shapes.
const STYLE_PATHS = new Set(['fillcolor', 'opacity', 'line.color', 'line.dash', 'label.text']);

/** An object's leaves by dotted path ({line: {color: 'red'}} -> {"line.color": 'red'}). */
function leaves(value, prefix = '', out = {}) {
  for (const [key, v] of Object.entries(value)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) leaves(v, `${prefix}${key}.`, out);
    else out[`${prefix}${key}`] = v;
  }
  return out;
}

/**
 * The Plotly.relayout update from shapes `before` to `after`: the edited attributes alone
 * ({"shapes[3].fillcolor": …}) when every change is a colour or a label (Plotly redraws just those
 * shapes), else the whole new array (Plotly redraws every shape); {} when nothing changed.
 */
export function shapeUpdate(before, after) {
  if (before.length !== after.length) return { shapes: after };
  const edits = {};
  for (const [k, shape] of after.entries()) {
    const [old, next] = [leaves(before[k]), leaves(shape)];
    for (const path of new Set([...Object.keys(old), ...Object.keys(next)])) {
      if (old[path] === next[path]) continue;
      if (!STYLE_PATHS.has(path)) return { shapes: after };
      edits[`shapes[${k}].${path}`] = next[path];
    }
  }
  return edits;
}

/** The text size of the charts: presenter mode scales it up, compact charts (small frames) down, never under MIN_FONT_PX. */
export function fontSize({ fontScale = 1, compact = false } = {}) {
  return Math.max(MIN_FONT_PX, Math.round(FONT.size * fontScale * (compact ? FONT.compactScale : 1)));
}

/** How much the margins scale: with the text, less in a fitted chart with axis titles (it drops them), half in compact charts. */
const marginScale = (opts, titled = true) => (opts.compact ? 0.5 : (opts.fontScale ?? 1) * (opts.fit && titled ? 0.65 : 1));

/**
 * A chart's margins in pixels: `margin` scaled (marginScale), never less than its text needs: the
 * tick labels below and left (four characters), and on a chart `titled` above its panels, a title.
 */
function marginsOf(opts, margin, titled = true) {
  const scale = marginScale(opts, titled);
  const font = fontSize(opts);
  const m = Object.fromEntries(Object.entries(margin).map(([side, px]) => [side, Math.round(px * scale)]));
  return {
    ...m,
    t: titled ? Math.max(m.t, Math.round(font * 1.5 + 4)) : m.t,
    b: Math.max(m.b, Math.round(font * 1.6 + 6)),
    l: Math.max(m.l, Math.round(font * FONT.charWidth * 4.5 + 6)),
  };
}

/** The layout every chart shares: presenter mode scales it up; `compact` halves the margins. */
function baseLayout(opts, height, margin, titled = true) {
  return {
    height: Math.round(height * (opts.fontScale ?? 1)),
    margin: marginsOf(opts, margin, titled),
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
/** The pixels across a chart's plot area: its width (opts.width, or COMPACT_WIDTH) less its margins. */
function plotWidth(opts, margin, titled = true) {
  const { l, r } = marginsOf(opts, margin, titled);
  return (opts.width ?? COMPACT_WIDTH) - l - r;
}

/**
 * The dtick of an axis over `n` cells in `px` pixels: every cell, or every 2nd, 5th, 10th… so that
 * each label has `lines` text lines of room; Plotly's own spacing past TICKED_CELLS cells.
 */
export function cellTick(opts, n, px, lines) {
  if (n > TICKED_CELLS) return undefined;
  return [1, 2, 5, 10, 20, 50].find((d) => (px / n) * d >= fontSize(opts) * lines) ?? n;
}
// A compact or fitted chart's axes go untitled: their ticks (t, units, values) and the panel titles say enough.
const axisTitle = ({ compact, fit }, text) => (compact || fit ? undefined : { text, standoff: 2 });
const ARROWS = { forward: '→', backward: '←' };
/** A direction's name in the page's language. */
const directionName = (direction) => tr(`direction.${direction}`);
/** A panel's name: "layer 1 · forward · h", or "L1 → h" when compact. */
const panelName = ({ compact }, layer, direction, what) => (compact
  ? tr('frames.panel_compact', { layer: layer + 1, arrow: ARROWS[direction], what })
  : tr('frames.panel', { layer: layer + 1, direction: directionName(direction), what }));
/** About how wide `text` is at `px` pixels a character's em (Hangul takes a whole em, other characters FONT.charWidth). */
export const textWidth = (text, px) => [...text].reduce((w, ch) => w + (/[\uac00-\ud7a3]/.test(ch) ? 1 : FONT.charWidth), 0) * px;
/** A panel's name that fits `room` pixels: the full one, else the compact one. */
const fittedName = (opts, room, layer, direction, what) => {
  const full = panelName(opts, layer, direction, what);
  return textWidth(full, fontSize(opts)) <= room ? full : panelName({ compact: true }, layer, direction, what);
};
/** A trace's name in hover labels: "layer 1 forward". */
const traceName = (layer, direction) => tr('frames.trace', { layer: layer + 1, direction: directionName(direction) });
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

// Fill, outline and dash of a box by status; one outline width for all, so a step only recolours (shapeUpdate).
const BOX_STYLE = {
  pending: [NET_COLORS.pending, NET_COLORS.pendingLine, 'solid'],
  computed: [NET_COLORS.computed, NET_COLORS.computedLine, 'solid'],
  current: [NET_COLORS.current, NET_COLORS.currentLine, 'solid'],
  padding: [NET_COLORS.padding, NET_COLORS.paddingLine, 'dot'],
};

/**
 * Everything a step changes in the network, as shapes only (one relayout that redraws just the
 * shapes): each box coloured by its status, and the outputs computed so far as labels on the top row.
 */
function netShapes(model, cols, step, opts) {
  const boxes = netRows(model).flatMap((row) => cols.map((t) => {
    const [fillcolor, color, dash] = BOX_STYLE[boxStatus(model, row, t, step)];
    const { y0, y1 } = row;
    const line = { color, width: NET_COLORS.boxLine, dash };
    return { type: 'rect', x0: t - BOX.w, x1: t + BOX.w, y0, y1, layer: 'below', fillcolor, line };
  }));
  const { length } = model;
  const done = (t) => (t >= length ? t <= step : model.dirs.every((d) => isComputed(d, t, step, length)));
  const font = { size: fontSize(opts), color: NET_COLORS.text };
  const chars = netChars(opts, cols);
  const outputs = cols.map((t) => ({
    type: 'rect', x0: t - 0.5, x1: t + 0.5, y0: model.L + 0.8, y1: model.L + 1.2, layer: 'below', line: { width: 0 },
    label: { text: done(t) ? shortVector(model.outputs[t], 2, chars) : '', font },
  }));
  return [...boxes, ...outputs];
}

const NET_MARGIN = { l: 90, r: 10, t: 10, b: 36 };

/** The network's x range over the columns `cols`; short runs keep box-sized boxes, centred. */
function netRange(cols) {
  const spare = Math.max(0, (NETWORK_MIN_COLUMNS - cols.length) / 2);
  return [cols[0] - 0.6 - spare, cols.at(-1) + 0.6 + spare];
}

/** How many characters of a vector label fit in one column of the network (opts.width: the chart's pixels). */
function netChars(opts, cols) {
  const [x0, x1] = netRange(cols);
  const plot = plotWidth(opts, NET_MARGIN, false);
  return Math.floor(plot / (x1 - x0) / (fontSize(opts) * FONT.charWidth));
}

/** How many timesteps the network draws: a column per NETWORK_COLUMN_PX (scaled with the text) of its plot, 3 to NETWORK_WINDOW. */
function netColumns(opts) {
  if (!opts.width) return NETWORK_WINDOW;
  const plot = plotWidth(opts, NET_MARGIN, false);
  const column = (NETWORK_COLUMN_PX * fontSize(opts)) / FONT.size;
  return Math.max(3, Math.min(NETWORK_WINDOW, Math.floor(plot / column)));
}

/**
 * The size of the direction marks (→, ←) inside the boxes: the text size, smaller when a box (half
 * a box, bidirectional) is shorter, 0 (no marks: the arrows say it) when that would be under MIN_FONT_PX.
 */
function markSize(model, opts, height) {
  const { t, b } = marginsOf(opts, NET_MARGIN, false);
  const plot = (opts.height ?? Math.round(height * (opts.fontScale ?? 1))) - t - b;
  const box = ((plot / (model.L + 2)) * BOX.h * 2) / model.dirs.length;
  const size = Math.min(fontSize(opts), Math.floor(box * 0.85));
  return size >= MIN_FONT_PX ? size : 0;
}

/** The timesteps the network draws: netColumns(opts) from opts.start. */
const netCols = (model, opts) => range(opts.start ?? 0, Math.min(model.T, (opts.start ?? 0) + netColumns(opts)));

/** The unrolled network over a window of timesteps (opts.start on): boxes, arrows, inputs and outputs. */
export const network = {
  page(model, step, opts) {
    return windowStart(step, model.T, netColumns(opts));
  },
  figure(model, opts) {
    const cols = netCols(model, opts);
    const chars = netChars(opts, cols);
    const { shafts, heads } = arrows(model, cols);
    const rows = netRows(model);
    // One point per box half, centred in it: the direction marks and the (invisible) hover targets.
    const cells = rows.flatMap((row) => cols.map((t) => ({ row, t, y: (row.y0 + row.y1) / 2 })));
    const hover = cells.map(({ row, t }) => {
      const h = shortVector(model.layers[row.layer][row.direction].h[t], 8);
      const state = t >= model.length ? tr('frames.box_padding', { h }) : tr('frames.box_state', { h });
      return `${tr('frames.box', { layer: row.layer + 1, direction: directionName(row.direction), t })}<br>${state}`;
    });
    const at = { x: cells.map((c) => c.t), y: cells.map((c) => c.y), hoverinfo: 'skip' };
    const marks = markSize(model, opts, Math.max(HEIGHTS.networkMin, HEIGHTS.networkRow * (model.L + 2) + 64));
    const data = [
      { type: 'scatter', mode: 'lines', ...shafts, hoverinfo: 'skip', line: { color: NET_COLORS.arrow, width: 1.4 } },
      {
        type: 'scatter', mode: 'markers', x: heads.x, y: heads.y, hoverinfo: 'skip',
        marker: { symbol: 'triangle-up', size: 8, angle: heads.angle, color: NET_COLORS.arrow },
      },
      { type: 'scatter', mode: 'text', ...at, text: cells.map((c) => (marks ? ARROWS[c.row.direction] : '')), textfont: { color: NET_COLORS.muted, size: marks } },
      { type: 'scatter', mode: 'markers', ...at, marker: { size: 24, opacity: 0 }, text: hover, hoverinfo: 'text' },
      {
        type: 'scatter', mode: 'text', x: cols, y: cols.map(() => 0),
        text: cols.map((t) => model.tokens?.[t] ?? shortVector(model.inputs[t], 3, chars)),
        hoverinfo: 'skip', textfont: { color: NET_COLORS.text },
      },
    ];
    const both = model.dirs.length === 2 ? ' →/←' : '';
    const layerLabel = (l) => `${tr(opts.compact ? 'frames.layer_tick_compact' : 'frames.layer_tick', { layer: l + 1 })}${both}`;
    const fixed = { showgrid: false, zeroline: false, fixedrange: true };
    const height = Math.max(HEIGHTS.networkMin, HEIGHTS.networkRow * (model.L + 2) + 64);
    const layout = {
      ...baseLayout(opts, height, NET_MARGIN, false),
      xaxis: { ...fixed, range: netRange(cols), tickvals: cols, ticktext: cols.map((t) => `t=${t}`) },
      yaxis: {
        ...fixed, range: [-0.5, model.L + 1.5], tickvals: range(0, model.L + 2),
        ticktext: [tr('frames.input'), ...range(0, model.L).map(layerLabel), tr('frames.output')],
      },
      shapes: netShapes(model, cols, 0, opts),
    };
    return { data, layout };
  },
  frame(model, step, opts) {
    return netShapes(model, netCols(model, opts), step, opts);
  },
};

// ---- heatmaps of h (and c) over time x units --------------------------------------------------

const HEAT_MARGIN = { l: 50, r: 80, t: 30, b: 40 };

/** The heatmaps' height before presenter scaling: a row per layer, or (narrow pages) a row per panel. */
function heatHeight(model, opts, panels) {
  return (opts.narrow ? HEIGHTS.heatmapNarrowRow * panels : HEIGHTS.heatmapRow * model.L) + 70;
}

/**
 * The panels (layer x direction x quantity) with their axis domains, title heights and sizes in
 * pixels: a row per layer, or one panel per row on narrow pages (h above c, layers top down), each
 * with room above it for its title.
 */
function heatPanels(model, opts = {}) {
  const cols = model.dirs.flatMap((direction) => model.stateNames.map((q) => ({ direction, q })));
  const n = model.L * cols.length;
  const height = opts.height ?? heatHeight(model, opts, n) * (opts.fontScale ?? 1); // opts.height: a fitted chart's pixels
  const { t, b } = marginsOf(opts, HEAT_MARGIN);
  const plot = { w: plotWidth(opts, HEAT_MARGIN), h: height - t - b };
  const gap = (fontSize(opts) * 1.4 + 12) / plot.h; // a title's line, nearer its own panel than the one above
  const xs = domains(opts.narrow ? 1 : cols.length, 0.06);
  const ys = domains(opts.narrow ? n : model.L, gap);
  return model.layers.flatMap((_, layer) => cols.map((col, k) => {
    const [x, y] = [xs[opts.narrow ? 0 : k], ys[opts.narrow ? layer * cols.length + cols.length - 1 - k : layer]];
    const px = { w: (x[1] - x[0]) * plot.w, h: (y[1] - y[0]) * plot.h, room: (x[1] - x[0] + 0.05) * plot.w };
    return { ...col, layer, x, y, px, titleY: y[1] + 2 / plot.h, ref: axisName(layer * cols.length + k) };
  }));
}

/** The colour axis of state k of a cell: coloraxis (h), coloraxis2 (c), ... */
const colorAxis = (k) => `coloraxis${k ? k + 1 : ''}`;

/** The pixels a colour bar takes right of its plot: its gap, the bar, its tick labels ("−0.25"). */
const barRoom = (opts) => 6 + (opts.compact ? 8 : 14) + 4 + fontSize(opts) * FONT.charWidth * 5.5;

/**
 * A colour bar `len` of the plot's height, centred at `y`, titled `text` on its side (it then takes
 * no height of its own): as many ticks as have two lines of text of room each, so labels never touch.
 */
function colorBar(opts, text, y, len, plotHeight, top) {
  const room = Math.floor((len * plotHeight) / (fontSize(opts) * 2));
  return {
    title: { text, side: 'right' }, len, y, yanchor: 'middle', x: 1, xanchor: 'left', xpad: 6,
    thickness: opts.compact ? 8 : 14, ...barTicks(top, room),
  };
}

/**
 * The ticks of a colour bar centred on 0 that spans ±top, with room for `room` labels: Plotly's own
 * (up to 6) when it has room for 5, else the ends and 0, the ends alone, or its top alone (two
 * significant digits, inside the range), so that a short bar still tells its range.
 */
export function barTicks(top, room) {
  if (room >= 5) return { nticks: Math.min(6, room) };
  const digits = Math.max(0, 1 - Math.floor(Math.log10(top || 1)));
  const end = Math.floor(top * 10 ** digits) / 10 ** digits;
  const values = room >= 3 ? [-end, 0, end] : room === 2 ? [-end, end] : [end];
  return { tickvals: values, ticktext: values.map((v) => (v === 0 ? '0' : v.toFixed(digits).replace('-', '−'))) };
}

/**
 * Per layer and direction: each state (h, and c for LSTM) over time x units, with the step cursor;
 * a colour axis per state, centred on 0, or over opts.ranges[state] ([lo, hi]) when several charts
 * share one scale (/compare).
 */
export const heatmaps = {
  figure(model, opts = {}) {
    const panels = heatPanels(model, opts);
    const layout = baseLayout(opts, heatHeight(model, opts, panels.length), HEAT_MARGIN);
    layout.margin.r = Math.max(layout.margin.r, barRoom(opts));
    const plotHeight = (opts.height ?? layout.height) - layout.margin.t - layout.margin.b;
    layout.annotations = [];
    const plain = { showgrid: false, zeroline: false };
    const data = panels.map((p) => {
      const bottom = p.y[0] === 0;
      layout[`xaxis${p.ref}`] = {
        ...plain, domain: p.x, anchor: `y${p.ref}`, range: [-0.5, model.T - 0.5], dtick: cellTick(opts, model.T, p.px.w, 2),
        title: bottom ? axisTitle(opts, 't') : undefined, showticklabels: bottom,
      };
      layout[`yaxis${p.ref}`] = {
        ...plain, domain: p.y, anchor: `x${p.ref}`, range: [model.H - 0.5, -0.5], dtick: cellTick(opts, model.H, p.px.h, 1.2),
        title: axisTitle(opts, tr('frames.unit_axis')),
      };
      layout.annotations.push(title(fittedName(opts, p.px.room, p.layer, p.direction, p.q), (p.x[0] + p.x[1]) / 2, p.titleY));
      return {
        type: 'heatmap',
        z: transpose(model.layers[p.layer][p.direction][p.q]),
        xaxis: `x${p.ref}`, yaxis: `y${p.ref}`,
        coloraxis: colorAxis(model.stateNames.indexOf(p.q)),
        meta: { layer: p.layer, direction: p.direction },
        xgap: model.T <= HEATMAP_GAPS_UP_TO ? 1 : 0, ygap: model.H <= HEATMAP_GAPS_UP_TO ? 1 : 0,
        hovertemplate: `${traceName(p.layer, p.direction)}<br>${tr('frames.heat_point')}<br>${p.q} = %{z:.4f}<extra></extra>`,
      };
    });
    // Each state's colour axis spans ±(its largest |value|) (cmid 0), or opts.ranges[state] when
    // several charts share one scale (/compare).
    const top = (q) => Math.max(1e-6, ...panels.filter((p) => p.q === q).map((p) => model.layers[p.layer][p.direction][q].flat().reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
    const n = model.stateNames.length;
    model.stateNames.forEach((q, k) => {
      const [cmin, cmax] = opts.ranges?.[q] ?? [];
      const scale = cmin === undefined ? { cmid: 0 } : { cmin, cmax };
      const span = cmin === undefined ? top(q) : Math.max(Math.abs(cmin), Math.abs(cmax));
      // The bars spread over the plot's height, the first at its top and the last at its bottom.
      const len = 0.9 / n;
      const y = n === 1 ? 0.5 : 0.995 - len / 2 - (k * (0.99 - len)) / (n - 1);
      const colorbar = colorBar(opts, q, y, len, plotHeight, span);
      layout[colorAxis(k)] = { colorscale: STATE_SCALES[q] ?? CELL_SCALE, ...scale, colorbar };
    });
    layout.shapes = heatmaps.frame(model, 0, opts);
    return { data, layout };
  },
  frame(model, step, opts) {
    return heatPanels(model, opts).flatMap((p) => timeOverlays(p.ref, model, p.direction, step, OVERLAY.pending));
  },
};


/**
 * The numbers behind the heatmaps as tables ({caption, corner, columns, rows: [{head, cells}]},
 * table.js' dataTable): now() the step's values of every panel for the focused unit's window (what a
 * screen reader reads in place of the picture), all() every step of the focused layer and direction.
 */
export const heatValues = {
  now(model, step, { unit = 0 } = {}) {
    const units = unitWindow(unit, model.H);
    const panels = model.layers.flatMap((_, layer) => model.dirs.flatMap((direction) => model.stateNames.map((q) => ({ layer, direction, q }))));
    const at = (direction) => positionAt(direction, step, model.length);
    return {
      caption: tr('values.now', { step: step + 1 }) + windowNote(units, model.H),
      corner: tr('frames.unit_axis'),
      columns: panels.map((p) => `${panelName({}, p.layer, p.direction, p.q)} (t = ${at(p.direction)})`),
      rows: units.map((u) => ({
        head: String(u),
        cells: panels.map((p) => model.layers[p.layer][p.direction][p.q][at(p.direction)][u].toFixed(DIGITS)),
      })),
    };
  },
  all(model, { layer = 0, direction = 'forward', unit = 0 } = {}) {
    const units = unitWindow(unit, model.H);
    return model.stateNames.map((q) => ({
      caption: panelName({}, layer, direction, q) + windowNote(units, model.H),
      corner: 't',
      columns: units.map((u) => tr('frames.unit', { unit: u })),
      rows: model.layers[layer][direction][q].map((row, t) => ({
        head: t >= model.length ? tr('values.padding', { t }) : String(t),
        cells: units.map((u) => row[u].toFixed(DIGITS)),
      })),
    }));
  },
};

// ---- gates at the current step -----------------------------------------------------------------

/** The window of at most UNIT_WINDOW units that holds `unit` (the gates and the unit lines show one). */
export function unitWindow(unit, H) {
  const first = Math.floor(unit / UNIT_WINDOW) * UNIT_WINDOW;
  return range(first, Math.min(H, first + UNIT_WINDOW));
}

/** A chart title's note of which units it shows, when not all of them: " · units 16–31". */
const windowNote = (units, H) => (units.length < H ? tr('frames.units_window', { first: units[0], last: units.at(-1) }) : '');

/** The colour of `value` on a Plotly colour scale spanning [lo, hi], as CSS rgb() (linear between stops). */
export function scaleColor(scale, value, lo, hi) {
  const at = Math.max(0, Math.min(1, (value - lo) / (hi - lo)));
  const k = Math.max(1, scale.findIndex(([stop]) => stop >= at));
  const [[s0, c0], [s1, c1]] = [scale[k - 1], scale[k]];
  const f = s1 > s0 ? (at - s0) / (s1 - s0) : 0;
  const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const [a, b] = [rgb(c0), rgb(c1)];
  return `rgb(${a.map((v, i) => Math.round(v + (b[i] - v) * f)).join(', ')})`;
}

/** The relative luminance (WCAG 2) of a CSS rgb() colour or a #rrggbb one. */
function luminance(color) {
  const channels = color.startsWith('#') ? [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16)) : color.match(/\d+/g).map(Number);
  const linear = (c) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
  const [r, g, b] = channels.map(linear);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The contrast ratio (WCAG 2) of two colours, from 1 to 21. */
export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Text colour that reads on a background: white or black, whichever contrasts more (always at least 4.58:1). */
export function inkOn(background) {
  return contrast(background, '#ffffff') >= contrast(background, '#000000') ? '#ffffff' : '#000000';
}

/**
 * The gates (i, f, g, o or z, r, n) of one layer at the position each direction reads now (0 at
 * padding), drawn as tables (table.js): one per direction, a row per gate and a column per unit of
 * the window that holds the focused unit. A step rewrites 3-4 x UNIT_WINDOW cells, whatever H.
 * figure(): the tables' headings (null for a cell without gates); frame(): every cell at a step.
 */
export const gates = {
  figure(model, opts = {}) {
    if (!model.gateNames.length) return null;
    const { layer = 0, unit = 0 } = opts;
    const units = unitWindow(unit, model.H);
    const note = windowNote(units, model.H);
    return {
      tables: model.dirs.map((direction) => ({ title: panelName(opts, layer, direction, tr('frames.gates')) + note, meta: { layer, direction } })),
      rows: model.gateNames,
      units,
      labelled: units.length * model.dirs.length <= LABELLED_UNITS * (opts.compact ? 0.5 : 1), // compact charts are about half as wide
      scale: { colors: STATE_SCALE, min: -1, max: 1 },
    };
  },
  frame(model, step, opts = {}) {
    const { layer = 0, unit = 0 } = opts;
    const units = unitWindow(unit, model.H);
    const cells = model.dirs.map((direction) => {
      const pos = positionAt(direction, step, model.length);
      return model.gateNames.map((g) => units.map((u) => {
        const value = model.layers[layer][direction].gates[g][pos][u];
        const color = scaleColor(STATE_SCALE, value, -1, 1);
        const label = tr('frames.gate_cell', { direction: directionName(direction), gate: g, unit: u, value: value.toFixed(DIGITS) });
        return { text: value.toFixed(2), color, ink: inkOn(color), label };
      }));
    });
    return { cells };
  },
};

// ---- each unit's value over time, shown up to the current step ----------------------------------

const LINE_MARGIN = { l: 50, r: 20, t: 30, b: 40 };

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
    const layout = baseLayout(opts, HEIGHTS.lines, LINE_MARGIN);
    const plotHeight = (opts.height ?? layout.height) - layout.margin.t - layout.margin.b;
    // More units: a crowded legend; a fitted chart has no height to spare (each line still names its unit on hover).
    layout.showlegend = units.length > 1 && units.length <= UNIT_COLORS.length && !opts.compact && !opts.fit;
    layout.legend = { orientation: 'h', y: -0.22, x: 0 };
    const data = model.dirs.flatMap((direction, k) => {
      const ref = axisName(k);
      const px = (xs[k][1] - xs[k][0]) * plotWidth(opts, LINE_MARGIN);
      layout[`xaxis${ref}`] = {
        domain: xs[k], anchor: `y${ref}`, range: [-0.5, model.T - 0.5], dtick: cellTick(opts, model.T, px, 2),
        title: axisTitle(opts, 't'), zeroline: false,
      };
      layout[`yaxis${ref}`] = {
        domain: [0, 0.9], anchor: `x${ref}`, range: [lo - pad, hi + pad], title: k === 0 ? axisTitle(opts, 'h') : undefined,
        nticks: Math.max(2, Math.floor((0.9 * plotHeight) / (fontSize(opts) * 2))), // two lines of room a label
      };
      return units.map((u) => ({
        type: 'scatter', mode: model.T <= LINE_MARKERS_UP_TO ? 'lines+markers' : 'lines', xaxis: `x${ref}`, yaxis: `y${ref}`,
        x: range(0, model.T), y: model.layers[layer][direction].h.map((h) => h[u]),
        meta: { layer, direction, unit: u },
        name: tr('frames.unit', { unit: u }), legendgroup: String(u), showlegend: k === 0,
        line: {
          color: UNIT_COLORS[u % UNIT_COLORS.length],
          dash: UNIT_DASHES[Math.floor(u / UNIT_COLORS.length) % UNIT_DASHES.length],
          width: u === unit ? 3.5 : 1.5,
        },
        marker: { size: u === unit ? 7 : 4 },
        hovertemplate: `${tr('frames.line_hover', { direction: directionName(direction), unit: u })}<br>t = %{x}: h = %{y:.4f}<extra></extra>`,
      }));
    });
    const note = windowNote(units, model.H);
    const room = (k) => (xs[k][1] - xs[k][0] + 0.06) * plotWidth(opts, LINE_MARGIN);
    layout.annotations = titles(model.dirs.map((d, k) => fittedName(opts, room(k), layer, d, tr('frames.h_per_unit')) + note), xs);
    layout.shapes = lines.frame(model, 0);
    return { data, layout };
  },
  frame(model, step) {
    return model.dirs.flatMap((d, k) => timeOverlays(axisName(k), model, d, step, OVERLAY.hidden));
  },
};
