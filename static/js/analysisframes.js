// Pure: a run result with SPEC §6's analyses -> the connectivity map, the memory-reach curve and the
// state trajectories. The same contract as frames.js, so plot.js' createChart draws them:
// figure(model, opts) once per run ({data, layout}), frame(model, step, opts) per step (the layout's
// shapes alone), so playback only relayouts shapes. Each chart has a one-sentence summary for screen
// readers (the pages put it in a visually hidden element). The text, margin and tick helpers are
// exported for learnframes.js (the text size, cell ticks and ranges are frames.js' own).
import {
  ANALYSIS_HEIGHTS, COMPACT_WIDTH, CONNECTIVITY_COLORS, CONNECTIVITY_DECADES, CONNECTIVITY_SCALE, DIRECTION_COLORS, FONT,
  HEATMAP_GAPS_UP_TO, LINE_MARKERS_UP_TO, LOG_TICKS, OVERLAY,
} from './config.js';
import { cellTick, fontSize, plotlyText, range, textWidth } from './frames.js';
import { plural, t as tr } from './i18n.js';
import { positionAt } from './math.js';

// ---- text, margins and ticks (shared with learnframes.js) ----------------------------------------

// frames.js' own, for learnframes.js too.
export { cellTick, fontSize, range };

const LINE_EMS = 1.3; // one line of text

/** Pixels across `chars` characters of the charts' text. */
export const textPx = (opts, chars) => chars * fontSize(opts) * FONT.charWidth;

/** Pixels down `lines` lines of the charts' text. */
const linesPx = (opts, lines) => lines * fontSize(opts) * LINE_EMS;

/** Plotly's axis-title text size: 1.2 times the chart's (its Lib.bigFont). */
const axisTitleSize = (opts) => Math.round(fontSize(opts) * 1.2);

/**
 * Pixels from the plot's bottom edge to below its x-axis title: Plotly centres that title 10 px
 * and three title sizes under the axis (the tick labels' 1.5, then 1.5 of offset).
 */
const xTitleDepth = (opts) => Math.ceil(10 + 3.7 * axisTitleSize(opts));

/** Pixels a y-axis title takes beside its tick labels: its (rotated) line and a gap each side. */
const yTitlePx = (opts) => Math.ceil(1.4 * axisTitleSize(opts) + 10);

/**
 * Margins that hold the text around a plot, computed from the text size: `left` / `right`
 * characters of tick labels, `leftTitle` / `rightTitle` an axis title, `rightPx` more pixels (a
 * colour bar), `top` lines (a title, a key), below a line of tick labels or (`bottomTitle`) the
 * tick labels and an axis title.
 */
export function margins(opts, {
  left = 0, leftTitle = false, right = 0, rightTitle = false, rightPx = 0, top = 1, bottomTitle = false,
}) {
  return {
    l: Math.ceil(textPx(opts, left) + (leftTitle ? yTitlePx(opts) : 0) + 8),
    r: Math.ceil(textPx(opts, right) + (rightTitle ? yTitlePx(opts) : 0) + rightPx + 8),
    t: Math.ceil(linesPx(opts, top) + 8),
    b: bottomTitle ? xTitleDepth(opts) + 4 : Math.ceil(linesPx(opts, 1) + 8),
  };
}

/** The layout every analysis and Learn chart shares: `height` pixels (presenter-scaled), or opts.height for a fitted chart. */
export function chartLayout(opts, height, margin) {
  return {
    height: opts.height ?? Math.round(height * (opts.fontScale ?? 1)),
    margin,
    font: { family: FONT.family, size: fontSize(opts) },
    paper_bgcolor: '#ffffff',
    plot_bgcolor: '#ffffff',
    showlegend: false,
    hoverlabel: { namelength: -1 },
  };
}

/** The plot area of a layout in pixels: the chart's width (opts.width, or COMPACT_WIDTH) and height less the margins. */
export function plotArea(opts, layout) {
  const { l, r, t, b } = layout.margin;
  return { w: (opts.width ?? COMPACT_WIDTH) - l - r, h: layout.height - t - b };
}

/** Room in ems for a horizontal tick label of `chars` characters: its width and a space each side. */
export const labelEms = (chars) => chars * FONT.charWidth + 1;

/** At most how many ticks a continuous horizontal axis of `px` pixels gets for labels of `chars` characters (at least 2). */
export const nticks = (opts, px, chars) => Math.max(2, Math.floor(px / (fontSize(opts) * labelEms(chars))));

/** At most how many ticks a continuous vertical axis of `px` pixels gets: a label every two lines of text (at least 2). */
export const rowTicks = (opts, px) => Math.max(2, Math.floor(px / linesPx(opts, 2)));

/** A chart title above the plot area, centred on [x0, x1] of the paper, `lines` lines of text higher (over a key). */
export const chartTitle = (opts, text, [x0, x1] = [0, 1], y = 1, lines = 0) => ({
  text, x: (x0 + x1) / 2, y, xref: 'paper', yref: 'paper', xanchor: 'center', yanchor: 'bottom', yshift: 2 + linesPx(opts, lines), showarrow: false,
});

/** A key on its own line between a chart's title and its plot, from the left edge. */
export const chartKey = (text) => ({
  text, x: 0, y: 1, xref: 'paper', yref: 'paper', xanchor: 'left', yanchor: 'bottom', yshift: 2, showarrow: false,
});

/** A value as people read it: two significant digits, in e-notation when below 0.01 or from 1000 on. */
export function formatValue(v) {
  if (v === 0) return '0';
  return Math.abs(v) >= 0.01 && Math.abs(v) < 1000 ? String(Number(v.toPrecision(2))) : v.toExponential(1);
}

/** A fraction as a whole percentage ('<1%' for a small non-zero one). */
export const percent = (r) => (r > 0 && r < 0.005 ? '<1%' : `${Math.round(r * 100)}%`);

// ---- words (SPEC §10: English and Korean): the catalogs' analysis.* messages -----------------------

/** The catalogs' messages in opts.lang ('en' or 'ko'; the page's language by default): (key, params) => text. */
export const wordsFor = (opts = {}) => (key, params) => tr(key, params, opts.lang);

/** The analysis charts' words in opts.lang. */
function words(opts) {
  const m = wordsFor(opts);
  return {
    forward: m('direction.forward'),
    backward: m('direction.backward'),
    connectivity: m('analysis.connectivity'),
    reach: (t) => m('analysis.reach', { t }),
    reachShort: (t) => m('analysis.reach_compact', { t }),
    path: m('analysis.path'),
    stateAxis: m('analysis.state_axis'),
    inputAxis: m('analysis.input_axis'),
    strength: '‖∂h_t/∂x_s‖',
    key: (px) => (textWidth(m('analysis.key'), fontSize(opts)) <= px ? m('analysis.key') : m('analysis.key_compact')),
    noDependence: (t, s) => m('analysis.no_dependence', { t, s }),
    padding: (t, s) => m('analysis.padding', { t, s }),
    dependence: (t, s, value) => m('analysis.dependence', { t, s, value }),
    pc: (k, r, compact) => m(compact ? 'analysis.pc_compact' : 'analysis.pc', { k, percent: percent(r) }),
    time: 't',
    start: m('analysis.start'),
    at: (t, token) => `t = ${t}${token ? ` “${token}”` : ''}`,
    atStep: (step, T, text) => m('analysis.at_step', { step: step + 1, steps: T, text }),
    depends: (direction, t, most, least, none) => {
      const values = { direction, t, most: most.s, most_value: most.v, least: least?.s, least_value: least?.v };
      const others = none ? plural('analysis.depends_none', { n: none }, opts.lang) : '';
      return `${m(least ? 'analysis.depends_most_least' : 'analysis.depends_only', values)}${others}.`;
    },
    isPadding: (direction, t) => m('analysis.is_padding', { direction, t }),
    noInput: (direction, t) => m('analysis.no_input', { direction, t }),
    noSteps: m('analysis.no_steps'),
    reachSentence: (direction, t, self, far, ratio) => (far
      ? m('analysis.reach_far', { direction, t, s: self.s, value: self.v, far: far.s, far_value: far.v, ratio })
      : m('analysis.reach_self', { direction, t, s: self.s, value: self.v })),
    reachNone: (direction, t) => m('analysis.reach_none', { direction, t }),
    weaker: (ratio) => {
      if (ratio < 1) return m('analysis.stronger', { ratio: formatValue(1 / ratio) });
      return ratio < 1000 ? m('analysis.weaker', { ratio: formatValue(ratio) }) : m('analysis.weaker_powers', { powers: Math.log10(ratio).toFixed(1) });
    },
    variance: (d, ratios) => m('analysis.variance', {
      direction: `${d[0].toUpperCase()}${d.slice(1)}`,
      shares: ratios.map((r, k) => m('analysis.variance_share', { k: k + 1, percent: percent(r) })).join(', '),
    }),
    position: (step, t, point, pad) => m(pad ? 'analysis.position_padding' : 'analysis.position', { step: step + 1, t, point }),
  };
}

/** The pixels a title centred over the plot area has before it leaves the chart: the plot, and as much of each margin as of the narrower one. */
const titleRoom = (layout, area) => area.w + 2 * Math.min(layout.margin.l, layout.margin.r);

/** A panel's title: "layer 1 · forward · …", or "L1 → …" when compact or when the long one would not fit `px` pixels across. */
function panelTitle(opts, layer, direction, what, px = Infinity) {
  const m = wordsFor(opts);
  const long = m('frames.panel', { layer: layer + 1, direction: m(`direction.${direction}`), what });
  return opts.compact || textWidth(long, fontSize(opts)) > px
    ? m('frames.panel_compact', { layer: layer + 1, arrow: direction === 'backward' ? '←' : '→', what })
    : long;
}

// ---- the model ---------------------------------------------------------------------------------

/**
 * The slice of a run result the analysis charts draw for example b: {T, length, L, dirs, tokens
 * (Plotly-safe, '' at padding; null for values input), layers[l][direction]: {connectivity: [T][T]
 * or null, trajectory: {components: [T][K], ratios: [K]} or null}}.
 */
export function analysisModel(result, b) {
  const dirs = result.layers[0].backward ? ['forward', 'backward'] : ['forward'];
  const T = result.inputs[b].length;
  const tokens = result.tokens?.[b];
  return {
    T, L: result.layers.length, dirs, length: result.sequence_length[b],
    tokens: tokens ? range(0, T).map((t) => plotlyText((tokens[t] ?? '').replace(' ', '␣'))) : null,
    layers: result.layers.map((layer) => Object.fromEntries(dirs.map((d) => {
      const { connectivity = null, trajectory = null } = layer[d];
      const path = trajectory && { components: trajectory.components[b], ratios: trajectory.explained_variance_ratio };
      return [d, { connectivity: connectivity?.[b] ?? null, trajectory: path }];
    }))),
  };
}

/** The focused layer and direction of opts (layer 0, forward by default). */
const focus = (opts) => ({ layer: opts.layer ?? 0, direction: opts.direction ?? 'forward' });

/** The position the direction reads last: what the memory-reach curve shows (forward len - 1, backward 0). */
export const lastRead = (direction, length) => positionAt(direction, length - 1, length);

// ---- log scale -----------------------------------------------------------------------------------

/**
 * The log10 colour range {lo, hi, clamped} of the connectivity over every valid entry (t, s < len)
 * of several run results (the compare page's columns share it); `select` narrows it to one
 * {layer, direction, b}. Exact zeros are not on the scale. At most CONNECTIVITY_DECADES powers of ten
 * below the largest value: past that `lo` is a whole power and `clamped` is true. [-1, 0] when no
 * entry is positive.
 */
export function connectivityRange(results, select = {}) {
  const pick = (key, value) => select[key] === undefined || select[key] === value;
  const extents = results.flatMap((result) => result.layers.flatMap((layer, l) => Object.entries(layer)
    .filter(([d, run]) => pick('layer', l) && pick('direction', d) && run.connectivity)
    .flatMap(([, run]) => run.connectivity.filter((_, b) => pick('b', b)).map((rows, b) => extent(rows, result.sequence_length[b])))));
  return logRange(extents);
}

/** [min, max] of the positive entries of one example's [T][T] connectivity over its valid positions ([Infinity, 0] when none). */
function extent(rows, length) {
  let [min, max] = [Infinity, 0];
  for (const row of rows.slice(0, length)) {
    for (const v of row.slice(0, length)) {
      if (v > 0) [min, max] = [Math.min(min, v), Math.max(max, v)];
    }
  }
  return [min, max];
}

/** The log10 range {lo, hi, clamped} over several [min, max] extents. */
function logRange(extents) {
  const min = Math.min(...extents.map(([lo]) => lo));
  const max = Math.max(0, ...extents.map(([, hi]) => hi));
  if (!(max > 0)) return { lo: -1, hi: 0, clamped: false };
  const hi = Math.log10(max);
  const floor = Math.floor(hi) - CONNECTIVITY_DECADES;
  const lo = Math.log10(min);
  if (lo < floor) return { lo: floor, hi, clamped: true };
  return { lo: hi - lo < 1e-9 ? hi - 1 : lo, hi, clamped: false };
}

const SUPERSCRIPT = { '-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' };

/** m × 10^k as a label: "10⁻³", "2×10⁻³". */
export const powerText = (m, k) => `${m === 1 ? '' : `${m}×`}10${[...String(k)].map((c) => SUPERSCRIPT[c]).join('')}`;

/**
 * Labelled ticks of a log scale over {lo, hi, clamped} (log10 units): whole powers of ten (every
 * 1st, 2nd, 5th… to keep at most `most`), or 1, 2, 5 (then 1…9) × 10^k over less than two powers;
 * the ends when even those miss. The lowest reads "≤" when the range was clamped there.
 * Returns {values (log10), text}.
 */
export function logTicks({ lo, hi, clamped }, most = LOG_TICKS) {
  const inside = (v) => v >= lo - 1e-9 && v <= hi + 1e-9;
  const decades = range(Math.floor(lo), Math.ceil(hi) + 1);
  let ticks = [];
  if (hi - lo >= 2) {
    const every = [1, 2, 5, 10, 20].find((d) => decades.filter((k) => k % d === 0 && inside(k)).length <= most);
    ticks = decades.filter((k) => k % every === 0 && inside(k)).map((k) => ({ v: k, text: powerText(1, k) }));
  } else {
    for (const mantissas of [[1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]]) {
      ticks = decades.flatMap((k) => mantissas.map((m) => ({ v: k + Math.log10(m), text: powerText(m, k) }))).filter((x) => inside(x.v));
      if (ticks.length >= 2) break;
    }
  }
  if (ticks.length > most) ticks = ticks.filter((x) => Number.isInteger(x.v));
  if (ticks.length < 2) ticks = [lo, hi].map((v) => ({ v, text: formatValue(10 ** v) }));
  if (clamped && Math.abs(ticks[0].v - lo) < 1e-9) ticks[0] = { v: lo, text: `≤${ticks[0].text}` };
  return { values: ticks.map((x) => x.v), text: ticks.map((x) => x.text) };
}

// ---- connectivity map ----------------------------------------------------------------------------

const isPadding = (model, t, s) => t >= model.length || s >= model.length;

/** The colour range of the focused connectivity map alone: opts.range when several charts share one. */
const ownRange = (model, opts) => {
  const { layer, direction } = focus(opts);
  return opts.range ?? logRange([extent(model.layers[layer][direction].connectivity, model.length)]);
};

/** The cursor over the row of position t: a white outline under a black one, visible on dark and light cells. */
const rowCursor = (model, t) => [[OVERLAY.hidden, OVERLAY.cursorWidth + 2], [OVERLAY.cursor, OVERLAY.cursorWidth - 0.5]].map(([color, width]) => ({
  type: 'rect', xref: 'x', yref: 'y', x0: -0.5, x1: model.T - 0.5, y0: t - 0.5, y1: t + 0.5, layer: 'above', line: { color, width },
}));

/**
 * The connectivity map of the focused layer and direction (opts.layer, opts.direction): y = the
 * state's position t (top down, as a matrix's rows), x = the input's position s; the colour is
 * log10 ‖∂h_t/∂x_s‖ on Viridis over opts.range (connectivityRange; this example's alone by default),
 * exact zeros white, padding (t or s ≥ len) grey, each a heatmap trace of its own with a value only
 * in its own cells. opts.showScale: false hides the colour bar (a comparison shows one).
 * frame(): the cursor on the row of the position the direction reads at the step (two shapes).
 */
export const connectivity = {
  figure(model, opts = {}) {
    const { layer, direction } = focus(opts);
    const w = words(opts);
    const rows = model.layers[layer][direction].connectivity;
    const scale = ownRange(model, opts);
    const ticks = logTicks(scale);
    const showScale = opts.showScale ?? true;
    const bar = { thickness: opts.compact ? 8 : 12, xpad: 4, ticklen: 3 };
    const barChars = Math.max(...ticks.text.map((s) => s.length));
    const margin = margins(opts, {
      left: String(model.T - 1).length, leftTitle: true, bottomTitle: true, top: 2,
      right: showScale ? barChars : 0, rightPx: showScale ? bar.thickness + 2 * bar.xpad + bar.ticklen + 4 : 0,
    });
    const layout = chartLayout(opts, ANALYSIS_HEIGHTS.connectivity, margin);
    const area = plotArea(opts, layout);
    const T = range(0, model.T);
    const cells = (keep, value) => T.map((t) => T.map((s) => (keep(t, s) ? value(t, s) : null)));
    const kind = (t, s) => {
      if (isPadding(model, t, s)) return 'padding';
      return rows[t][s] > 0 ? 'value' : 'zero';
    };
    const token = (s) => (model.tokens?.[s] ? ` “${model.tokens[s]}”` : '');
    const hover = {
      value: (t, s) => w.dependence(t, `${s}${token(s)}`, formatValue(rows[t][s])),
      zero: (t, s) => w.noDependence(t, `${s}${token(s)}`),
      padding: (t, s) => w.padding(t, s),
    };
    const heat = (name, z, extra) => ({
      type: 'heatmap', name, x: T, y: T, z, text: cells((t, s) => kind(t, s) === name, hover[name]),
      hovertemplate: '%{text}<extra></extra>', meta: { layer, direction },
      xgap: model.T <= HEATMAP_GAPS_UP_TO ? 1 : 0, ygap: model.T <= HEATMAP_GAPS_UP_TO ? 1 : 0, ...extra,
    });
    const flat = (color) => ({ colorscale: [[0, color], [1, color]], showscale: false, zmin: 0, zmax: 1 });
    const data = [
      heat('value', cells((t, s) => kind(t, s) === 'value', (t, s) => Math.log10(rows[t][s])), { coloraxis: 'coloraxis' }),
      heat('zero', cells((t, s) => kind(t, s) === 'zero', () => 0), flat(CONNECTIVITY_COLORS.zero)),
      heat('padding', cells((t, s) => kind(t, s) === 'padding', () => 0), flat(CONNECTIVITY_COLORS.padding)),
    ];
    const plain = { showgrid: false, zeroline: false };
    layout.xaxis = {
      ...plain, range: [-0.5, model.T - 0.5], dtick: cellTick(opts, model.T, area.w, labelEms(String(model.T - 1).length)),
      title: { text: w.inputAxis },
    };
    layout.yaxis = {
      ...plain, range: [model.T - 0.5, -0.5], dtick: cellTick(opts, model.T, area.h, LINE_EMS), title: { text: w.stateAxis },
    };
    layout.coloraxis = {
      colorscale: CONNECTIVITY_SCALE, cmin: scale.lo, cmax: scale.hi, showscale: showScale,
      colorbar: {
        ...bar, x: 1, xanchor: 'left', len: 1, outlinewidth: 0, ticks: 'outside', tickvals: ticks.values, ticktext: ticks.text,
      },
    };
    const across = titleRoom(layout, area);
    layout.annotations = [chartTitle(opts, panelTitle(opts, layer, direction, w.connectivity, across), [0, 1], 1, 1), chartKey(w.key(area.w + margin.r))];
    layout.shapes = connectivity.frame(model, 0, opts);
    return { data, layout };
  },
  frame(model, step, opts = {}) {
    return rowCursor(model, positionAt(focus(opts).direction, step, model.length));
  },
};

/** A dependence {s, v (formatted)} of row `row` at s. */
const entry = (row, s) => ({ s, v: formatValue(row[s]) });

/**
 * One sentence on the connectivity at a playback step (opts.layer, opts.direction, opts.lang):
 * which input the state read at that step depends on most and least (exact zeros and padding
 * counted apart).
 */
export function connectivitySummary(model, step, opts = {}) {
  const { layer, direction } = focus(opts);
  const w = words(opts);
  const t = positionAt(direction, step, model.length);
  const d = w[direction];
  const say = (text) => w.atStep(step, model.T, text);
  if (t >= model.length) return say(w.isPadding(d, t));
  const row = model.layers[layer][direction].connectivity[t];
  const valid = range(0, model.length);
  const positive = valid.filter((s) => row[s] > 0);
  if (!positive.length) return say(w.noInput(d, t));
  const most = positive.reduce((a, s) => (row[s] > row[a] ? s : a));
  const least = positive.reduce((a, s) => (row[s] < row[a] ? s : a));
  return say(w.depends(d, t, entry(row, most), positive.length > 1 ? entry(row, least) : null, valid.length - positive.length));
}

// ---- memory reach --------------------------------------------------------------------------------

/** The memory-reach curve's values: the row of the position read last, null where not positive or padding (a log axis has no 0). */
export function reachValues(model, opts = {}) {
  const { layer, direction } = focus(opts);
  if (model.length === 0) return range(0, model.T).map(() => null);
  const row = model.layers[layer][direction].connectivity[lastRead(direction, model.length)];
  return range(0, model.T).map((s) => (s < model.length && row[s] > 0 ? row[s] : null));
}

/**
 * How far back memory reaches: ‖∂h_t/∂x_s‖ of the state the direction reads last (t = len - 1
 * forward, 0 backward) against s, on a log axis over opts.range (as the map's colours), padding
 * greyed. frame(): the grey padding band and a dotted line at the position read at the step.
 */
export const reach = {
  figure(model, opts = {}) {
    const { layer, direction } = focus(opts);
    const w = words(opts);
    const scale = ownRange(model, opts);
    const ticks = logTicks(scale);
    const margin = margins(opts, { left: Math.max(...ticks.text.map((s) => s.length)), leftTitle: true, bottomTitle: true, right: 1 });
    const layout = chartLayout(opts, ANALYSIS_HEIGHTS.reach, margin);
    const area = plotArea(opts, layout);
    const y = reachValues(model, opts);
    const t = lastRead(direction, model.length);
    const data = [{
      type: 'scatter', mode: model.T <= LINE_MARKERS_UP_TO ? 'lines+markers' : 'lines', x: range(0, model.T), y,
      line: { color: CONNECTIVITY_COLORS.reach, width: 2.5 }, marker: { size: 6 }, connectgaps: false,
      text: y.map((v, s) => (v === null ? '' : w.dependence(t, s, formatValue(v)))), hovertemplate: '%{text}<extra></extra>',
      meta: { layer, direction },
    }];
    const pad = (scale.hi - scale.lo) * 0.06;
    layout.xaxis = {
      range: [-0.5, model.T - 0.5], dtick: cellTick(opts, model.T, area.w, labelEms(String(model.T - 1).length)),
      zeroline: false, title: { text: w.inputAxis },
    };
    layout.yaxis = {
      type: 'log', range: [scale.lo - pad, scale.hi + pad], tickvals: ticks.values.map((v) => 10 ** v), ticktext: ticks.text,
      title: { text: w.strength },
    };
    const at = model.length ? t : '–';
    const across = titleRoom(layout, area);
    const title = panelTitle(opts, layer, direction, w.reach(at), across);
    // Past the chart's width even in its compact form: the short name of the curve.
    const fits = textWidth(title, fontSize(opts)) <= across;
    layout.annotations = [chartTitle(opts, fits ? title : panelTitle(opts, layer, direction, w.reachShort(at), across))];
    layout.shapes = reach.frame(model, 0, opts);
    return { data, layout };
  },
  frame(model, step, opts = {}) {
    const { T, length } = model;
    const s = positionAt(focus(opts).direction, step, length);
    return [
      { type: 'rect', xref: 'x', yref: 'y domain', x0: Math.min(length, T) - 0.5, x1: T - 0.5, y0: 0, y1: 1, layer: 'below', fillcolor: OVERLAY.padding, line: { width: 0 } },
      { type: 'line', xref: 'x', yref: 'y domain', x0: s, x1: s, y0: 0, y1: 1, layer: 'above', line: { color: OVERLAY.cursor, width: 2, dash: 'dot' } },
    ];
  },
};

/** One sentence on the memory reach: the last state's dependence on its own input and on the farthest input it depends on at all. */
export function reachSummary(model, opts = {}) {
  const { layer, direction } = focus(opts);
  const w = words(opts);
  if (model.length === 0) return w.noSteps;
  const t = lastRead(direction, model.length);
  const row = model.layers[layer][direction].connectivity[t];
  const positive = range(0, model.length).filter((s) => row[s] > 0);
  if (!positive.length) return w.reachNone(w[direction], t);
  const far = direction === 'forward' ? positive[0] : positive.at(-1);
  return w.reachSentence(w[direction], t, entry(row, t), far === t ? null : entry(row, far), w.weaker(row[t] / row[far]));
}

// ---- state trajectories --------------------------------------------------------------------------

/** The positions a direction reads, in the order it reads them (forward 0…len-1, backward len-1…0). */
export const readingOrder = (direction, length) => range(0, length).map((k) => positionAt(direction, k, length));

/** A trajectory point's plot coordinates: (PC1, PC2), or (t, PC1) with one component (H = 1). */
const point = (components, t) => (components[t].length > 1 ? [components[t][0], components[t][1]] : [t, components[t][0]]);

/** [lo, hi] of values with 8% room each side (±1 around a single value). */
function padded(values) {
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  const room = (hi - lo) * 0.08 || 1;
  return [lo - room, hi + room];
}

/**
 * The trajectory panels (one per direction: their PCA axes differ, so they never share a plot) with
 * their axis domains and sizes in pixels: side by side, or one per row on narrow pages, each gap
 * wide enough for the next panel's tick labels and axis title.
 */
function trajectoryPanels(model, opts, layout) {
  const area = plotArea(opts, layout);
  const n = model.dirs.length;
  const across = opts.narrow ? 1 : n;
  const down = opts.narrow ? n : 1;
  const gapX = across > 1 ? (textPx(opts, 6) + yTitlePx(opts) + 16) / area.w : 0; // the right panel's tick labels and title
  const gapY = down > 1 ? (xTitleDepth(opts) + linesPx(opts, 1) + 8) / area.h : 0; // the upper panel's x title, the lower one's title
  const width = (1 - gapX * (across - 1)) / across;
  const height = (1 - gapY * (down - 1)) / down;
  return model.dirs.map((direction, k) => {
    const [i, j] = opts.narrow ? [0, k] : [k, 0];
    const x = [i * (width + gapX), i * (width + gapX) + width];
    const y = [1 - j * (height + gapY) - height, 1 - j * (height + gapY)];
    return { direction, ref: k === 0 ? '' : String(k + 1), x, y, px: { w: width * area.w, h: height * area.h } };
  });
}

/**
 * The path of h through time of the focused layer (opts.layer) of example b, one panel per
 * direction: (PC1, PC2) joined in reading order, or PC1 against t when H = 1; padding positions
 * are not drawn; the first position read is a diamond. Axis titles give each component's share of
 * the variance. frame(): a ring (pixel-sized, so it stays round) on the state read at the step,
 * dotted at padding, where the state is the one carried.
 */
export const trajectory = {
  figure(model, opts = {}) {
    const { layer } = focus(opts);
    const w = words(opts);
    const rows = opts.narrow ? model.dirs.length : 1;
    const margin = margins(opts, { left: 6, leftTitle: true, bottomTitle: true, right: 2 });
    const layout = chartLayout(opts, ANALYSIS_HEIGHTS.trajectory * rows, margin);
    layout.annotations = [];
    const panels = trajectoryPanels(model, opts, layout);
    const data = panels.map((p) => {
      const { components, ratios } = model.layers[layer][p.direction].trajectory;
      const order = readingOrder(p.direction, model.length);
      const points = order.map((t) => point(components, t));
      const everywhere = range(0, model.T).map((t) => point(components, t));
      const pc = (k) => w.pc(k + 1, ratios[k], opts.compact);
      const one = ratios.length === 1;
      layout[`xaxis${p.ref}`] = {
        domain: p.x, anchor: `y${p.ref}`, zeroline: false, title: { text: one ? w.time : pc(0) },
        ...(one
          ? { range: [-0.5, model.T - 0.5], dtick: cellTick(opts, model.T, p.px.w, labelEms(String(model.T - 1).length)) }
          : { range: padded(everywhere.map(([x]) => x)), nticks: nticks(opts, p.px.w, 5) }),
      };
      layout[`yaxis${p.ref}`] = {
        domain: p.y, anchor: `x${p.ref}`, zeroline: false, title: { text: pc(one ? 0 : 1) },
        range: padded(everywhere.map(([, y]) => y)), nticks: rowTicks(opts, p.px.h),
      };
      layout.annotations.push(chartTitle(opts, panelTitle(opts, layer, p.direction, w.path, p.px.w), p.x, p.y[1]));
      const label = (t, k) => `${w.at(t, model.tokens?.[t])}${k === 0 ? ` (${w.start})` : ''}<br>`
        + components[t].map((v, c) => `PC${c + 1} = ${formatValue(v)}`).join(', ');
      return {
        type: 'scatter', mode: 'lines+markers', xaxis: `x${p.ref}`, yaxis: `y${p.ref}`,
        x: points.map(([x]) => x), y: points.map(([, y]) => y), customdata: order,
        text: order.map(label), hovertemplate: '%{text}<extra></extra>', meta: { layer, direction: p.direction },
        line: { color: DIRECTION_COLORS[p.direction], width: 2 },
        marker: { color: DIRECTION_COLORS[p.direction], size: order.map((_, k) => (k === 0 ? 11 : 7)), symbol: order.map((_, k) => (k === 0 ? 'diamond' : 'circle')) },
      };
    });
    layout.shapes = trajectory.frame(model, 0, opts);
    return { data, layout };
  },
  frame(model, step, opts = {}) {
    const { layer } = focus(opts);
    const r = fontSize(opts) * 0.75;
    return model.dirs.map((direction, k) => {
      const t = positionAt(direction, step, model.length);
      const [x, y] = point(model.layers[layer][direction].trajectory.components, t);
      const ref = k === 0 ? '' : String(k + 1);
      return {
        type: 'circle', xref: `x${ref}`, yref: `y${ref}`, xsizemode: 'pixel', ysizemode: 'pixel', xanchor: x, yanchor: y,
        x0: -r, x1: r, y0: -r, y1: r, layer: 'above',
        line: { color: OVERLAY.cursor, width: OVERLAY.cursorWidth, dash: t >= model.length ? 'dot' : 'solid' },
      };
    });
  },
};

/** One sentence on the trajectories: each direction's share of variance and where the state read at the step lies. */
export function trajectorySummary(model, step, opts = {}) {
  const { layer } = focus(opts);
  const w = words(opts);
  return model.dirs.map((direction) => {
    const { components, ratios } = model.layers[layer][direction].trajectory;
    const t = positionAt(direction, step, model.length);
    const values = components[t].map(formatValue);
    const at = values.length > 1 ? `(${values.join(', ')})` : `PC1 = ${values[0]}`;
    return w.variance(w[direction], ratios) + w.position(step, t, at, t >= model.length);
  }).join(' ');
}
