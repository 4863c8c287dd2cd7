import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import './catalogs.mjs';
import './engine.mjs';

import {
  analysisModel, connectivity, connectivityRange, connectivitySummary, fontSize, formatValue, lastRead, logTicks, powerText,
  reach, reachSummary, reachValues, readingOrder, trajectory, trajectorySummary,
} from '../../static/js/analysisframes.js';
import { CONNECTIVITY_COLORS, CONNECTIVITY_DECADES, FONT, MIN_FONT_PX } from '../../static/js/config.js';
import { shapeUpdate } from '../../static/js/frames.js';

// Run results with connectivity and trajectories computed by make_analysis.py (float64 numpy).
const runs = JSON.parse(readFileSync(new URL('./fixtures/analysis.json', import.meta.url), 'utf8'));
const range = (n) => Array.from({ length: n }, (_, k) => k);
const close = (a, b, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);
/** Every (run name, example b, layer, direction) of the fixtures. */
const focuses = Object.entries(runs).flatMap(([name, run]) => run.inputs.flatMap((_, b) => run.layers.flatMap(
  (layer, l) => Object.keys(layer).map((direction) => ({ name, run, b, layer: l, direction })),
)));
/** A synthetic one-direction model: T steps, `length` valid, dependence decaying as `decay` ** (t - s) (wide spans of powers of ten). */
function decaying(T, length, decay) {
  const rows = range(T).map((t) => range(T).map((s) => (s <= t && t < length ? decay ** (t - s) : 0)));
  return { T, length, L: 1, dirs: ['forward'], tokens: null, layers: [{ forward: { connectivity: rows, trajectory: null } }] };
}
/** Every font size a layout sets (layout.font, annotations, axis titles). */
function fontSizes(layout) {
  const sizes = [];
  JSON.stringify(layout, (key, value) => {
    if (key === 'size' && typeof value === 'number') sizes.push(value);
    return value;
  });
  return sizes;
}

test('the analysis model takes example b of every layer and direction', () => {
  const run = runs.gru_bidir;
  const model = analysisModel(run, 1);
  assert.deepEqual([model.T, model.length, model.L, model.dirs], [4, 2, 2, ['forward', 'backward']]);
  assert.deepEqual(model.layers[1].backward.connectivity, run.layers[1].backward.connectivity[1]);
  assert.deepEqual(model.layers[0].forward.trajectory.components, run.layers[0].forward.trajectory.components[1]);
  assert.deepEqual(model.layers[0].forward.trajectory.ratios, run.layers[0].forward.trajectory.explained_variance_ratio);
  assert.deepEqual(analysisModel(runs.lstm_padded, 1).tokens, ['h', 'e', 'l', '', '']);
  const unsafe = structuredClone(runs.lstm_padded);
  unsafe.tokens[0][0] = '<b>';
  assert.equal(analysisModel(unsafe, 0).tokens[0], '&lt;b&gt;');
});

test('every connectivity cell is in exactly one trace: a log10 value, an exact zero, or padding (t >= len or s >= len)', () => {
  for (const { run, b, layer, direction } of focuses) {
    const model = analysisModel(run, b);
    const { data } = connectivity.figure(model, { layer, direction });
    assert.deepEqual(data.map((d) => d.name), ['value', 'zero', 'padding']);
    const [values, zeros, padding] = data.map((d) => d.z);
    const rows = run.layers[layer][direction].connectivity[b];
    const n = run.sequence_length[b];
    for (const t of range(model.T)) {
      for (const s of range(model.T)) {
        const pad = t >= n || s >= n;
        assert.equal(padding[t][s] !== null, pad, `padding at ${t},${s}`);
        assert.equal(zeros[t][s] !== null, !pad && rows[t][s] === 0, `zero at ${t},${s}`);
        if (!pad && rows[t][s] > 0) close(values[t][s], Math.log10(rows[t][s]));
        else assert.equal(values[t][s], null);
      }
    }
    assert.deepEqual(data.slice(1).map((d) => d.colorscale[0][1]), [CONNECTIVITY_COLORS.zero, CONNECTIVITY_COLORS.padding]);
  }
});

test('states never depend on inputs they have not read: zeros above the diagonal forward, below it backward, none above a bidirectional layer', () => {
  const zeroCells = (run, b, layer, direction) => {
    const { data } = connectivity.figure(analysisModel(run, b), { layer, direction });
    return data[1].z.flatMap((row, t) => row.flatMap((v, s) => (v === null ? [] : [[t, s]])));
  };
  const n = runs.lstm_padded.sequence_length[0];
  const above = range(n).flatMap((t) => range(n).filter((s) => s > t).map((s) => [t, s]));
  assert.deepEqual(zeroCells(runs.lstm_padded, 0, 0, 'forward'), above);
  assert.deepEqual(zeroCells(runs.gru_bidir, 0, 0, 'backward'), range(4).flatMap((t) => range(t).map((s) => [t, s])));
  assert.deepEqual(zeroCells(runs.gru_bidir, 0, 1, 'forward'), []);
  assert.deepEqual(zeroCells(runs.gru_bidir, 0, 1, 'backward'), []);
});

test('the map reads as a matrix: state t down the rows, input s across, both labelled', () => {
  const model = analysisModel(runs.rnn_2layers, 0);
  const { layout, data } = connectivity.figure(model, {});
  assert.deepEqual(layout.yaxis.range, [7.5, -0.5]);
  assert.deepEqual(layout.xaxis.range, [-0.5, 7.5]);
  assert.equal(layout.yaxis.title.text, 'state at t');
  assert.equal(layout.xaxis.title.text, 'input at s');
  assert.match(data[0].text[3][1], /^state t = 3 ← input s = 1: \d/);
  assert.match(layout.annotations[0].text, /^layer 1 · forward · /);
  assert.equal(connectivity.figure(analysisModel(runs.lstm_padded, 0), {}).data[0].text[1][0], `state t = 1 ← input s = 0 “h”: ${formatValue(runs.lstm_padded.layers[0].forward.connectivity[0][1][0])}`);
});

test('the colour range spans the positive valid entries in log10, shared over several results when asked', () => {
  const all = Object.values(runs);
  const positives = all.flatMap((run) => run.layers.flatMap((layer) => Object.values(layer).flatMap((d) => d.connectivity.flatMap(
    (rows, b) => rows.slice(0, run.sequence_length[b]).flatMap((row) => row.slice(0, run.sequence_length[b]).filter((v) => v > 0)),
  ))));
  const shared = connectivityRange(all);
  close(shared.lo, Math.log10(Math.min(...positives)));
  close(shared.hi, Math.log10(Math.max(...positives)));
  assert.equal(shared.clamped, false);
  // Two different runs drawn with the shared range use the same colours.
  for (const name of ['lstm_padded', 'rnn_2layers']) {
    const { coloraxis } = connectivity.figure(analysisModel(runs[name], 0), { range: shared }).layout;
    assert.deepEqual([coloraxis.cmin, coloraxis.cmax], [shared.lo, shared.hi]);
  }
  // By default a map spans its own entries only.
  const own = runs.rnn_2layers.layers[1].forward.connectivity[0].flat().filter((v) => v > 0);
  const { coloraxis } = connectivity.figure(analysisModel(runs.rnn_2layers, 0), { layer: 1 }).layout;
  close(coloraxis.cmin, Math.log10(Math.min(...own)));
  close(coloraxis.cmax, Math.log10(Math.max(...own)));
  const one = connectivityRange([runs.rnn_2layers], { layer: 1, direction: 'forward', b: 0 });
  assert.deepEqual([one.lo, one.hi], [coloraxis.cmin, coloraxis.cmax]);
});

test('the colour scale keeps at most CONNECTIVITY_DECADES powers of ten and marks the clamped end "≤"', () => {
  const model = decaying(200, 200, 0.8); // 0.8 ** 199: about 1e-19
  const range1 = connectivityRange([{ layers: [{ forward: { connectivity: [model.layers[0].forward.connectivity] } }], sequence_length: [200] }]);
  assert.deepEqual(range1, { lo: -CONNECTIVITY_DECADES, hi: 0, clamped: true });
  const ticks = logTicks(range1);
  assert.equal(ticks.text[0], `≤${powerText(1, -CONNECTIVITY_DECADES)}`);
  assert.ok(ticks.values.every(Number.isInteger) && ticks.values.length <= 6);
  assert.equal(ticks.text.at(-1), '10⁰');
  const bar = connectivity.figure(model, {}).layout.coloraxis.colorbar;
  assert.deepEqual([bar.tickvals, bar.ticktext], [ticks.values, ticks.text]);
});

test('log ticks are powers of ten, or 1-2-5 multiples over less than two powers', () => {
  assert.deepEqual(logTicks({ lo: -9.5, hi: -0.5, clamped: false }).values, [-8, -6, -4, -2]);
  assert.deepEqual(logTicks({ lo: -3.2, hi: 0.4, clamped: false }), { values: [-3, -2, -1, 0], text: ['10⁻³', '10⁻²', '10⁻¹', '10⁰'] });
  const narrow = logTicks({ lo: Math.log10(0.15), hi: Math.log10(0.6), clamped: false });
  assert.deepEqual(narrow.text, ['2×10⁻¹', '5×10⁻¹']);
  narrow.values.forEach((v, k) => close(10 ** v, [0.2, 0.5][k], 1e-12));
  assert.deepEqual(logTicks({ lo: -12, hi: 1, clamped: false }).values, [-10, -5, 0]); // every 2nd would make 7
  const tiny = logTicks({ lo: Math.log10(0.41), hi: Math.log10(0.43), clamped: false });
  assert.deepEqual(tiny.text, ['0.41', '0.43']);
});

test('the cursor is the row each direction reads at the step, and a step changes only those shapes', () => {
  const model = analysisModel(runs.gru_bidir, 1); // T = 4, length 2
  const rowOf = (step, direction) => {
    const shapes = connectivity.frame(model, step, { direction });
    assert.equal(shapes.length, 2);
    assert.ok(shapes.every((s) => s.x0 === -0.5 && s.x1 === 3.5 && s.y1 - s.y0 === 1));
    return shapes[0].y0 + 0.5;
  };
  assert.deepEqual([0, 1, 2, 3].map((step) => rowOf(step, 'forward')), [0, 1, 2, 3]);
  assert.deepEqual([0, 1, 2, 3].map((step) => rowOf(step, 'backward')), [1, 0, 2, 3]);
  const opts = { layer: 1, direction: 'backward' };
  const fig = connectivity.figure(model, opts);
  assert.deepEqual(fig.layout.shapes, connectivity.frame(model, 0, opts));
  assert.deepEqual(shapeUpdate(connectivity.frame(model, 0, opts), connectivity.frame(model, 1, opts)), { shapes: connectivity.frame(model, 1, opts) });
  assert.deepEqual(shapeUpdate(connectivity.frame(model, 2, opts), connectivity.frame(model, 2, opts)), {});
});

test('memory reach is the row the direction reads last, on a log axis, zeros and padding left out', () => {
  for (const { run, b, layer, direction } of focuses) {
    const model = analysisModel(run, b);
    const n = run.sequence_length[b];
    const { data, layout } = reach.figure(model, { layer, direction });
    assert.equal(layout.yaxis.type, 'log');
    if (n === 0) {
      assert.ok(data[0].y.every((v) => v === null));
      continue;
    }
    const last = direction === 'forward' ? n - 1 : 0;
    assert.equal(lastRead(direction, n), last);
    const row = run.layers[layer][direction].connectivity[b][last];
    assert.deepEqual(data[0].y, row.map((v, s) => (s < n && v > 0 ? v : null)));
    assert.deepEqual(reachValues(model, { layer, direction }), data[0].y);
    assert.match(layout.annotations[0].text, new RegExp(`\\(t = ${last}\\)$`));
  }
});

test('memory reach greys padding inputs and marks the input read at the step', () => {
  const model = analysisModel(runs.lstm_padded, 1); // T = 5, length 3
  const [band, cursor] = reach.frame(model, 1, {});
  assert.deepEqual([band.x0, band.x1, band.fillcolor.startsWith('rgba(140')], [2.5, 4.5, true]);
  assert.deepEqual([cursor.x0, cursor.x1], [1, 1]);
  const full = analysisModel(runs.lstm_padded, 0);
  assert.ok(reach.frame(full, 0, {})[0].x0 >= reach.frame(full, 0, {})[0].x1); // nothing padded: an empty band, the same count
  const bidir = analysisModel(runs.gru_bidir, 0);
  assert.equal(reach.frame(bidir, 0, { direction: 'backward' })[1].x0, 3);
  const { layout } = reach.figure(full, { range: { lo: -3, hi: 0, clamped: false } });
  assert.deepEqual(layout.yaxis.ticktext, ['10⁻³', '10⁻²', '10⁻¹', '10⁰']);
  assert.deepEqual(layout.yaxis.tickvals, [1e-3, 1e-2, 1e-1, 1]);
});

test('a trajectory joins the valid states in reading order, skipping padding', () => {
  for (const { run, b, layer } of focuses) {
    const model = analysisModel(run, b);
    const { data } = trajectory.figure(model, { layer });
    assert.equal(data.length, model.dirs.length);
    model.dirs.forEach((direction, k) => {
      const n = run.sequence_length[b];
      const components = run.layers[layer][direction].trajectory.components[b];
      const order = direction === 'forward' ? range(n) : range(n).reverse();
      assert.deepEqual(readingOrder(direction, n), order);
      assert.deepEqual(data[k].customdata, order);
      const K = components[0].length;
      assert.deepEqual(data[k].x, order.map((t) => (K === 2 ? components[t][0] : t)));
      assert.deepEqual(data[k].y, order.map((t) => (K === 2 ? components[t][1] : components[t][0])));
      if (n) assert.equal(data[k].marker.symbol[0], 'diamond');
    });
  }
});

test('trajectory axes give each component its share of the variance; with H = 1, PC1 is drawn against t', () => {
  const run = runs.gru_bidir;
  const { layout } = trajectory.figure(analysisModel(run, 0), { layer: 1 });
  const pct = (d, k) => Math.round(run.layers[1][d].trajectory.explained_variance_ratio[k] * 100);
  assert.equal(layout.xaxis.title.text, `PC1 (${pct('forward', 0)}% of variance)`);
  assert.equal(layout.yaxis.title.text, `PC2 (${pct('forward', 1)}% of variance)`);
  assert.equal(layout.xaxis2.title.text, `PC1 (${pct('backward', 0)}% of variance)`);
  assert.equal(layout.yaxis2.title.text, `PC2 (${pct('backward', 1)}% of variance)`);
  assert.ok(layout.xaxis.domain[1] < layout.xaxis2.domain[0]); // two panels: each direction has its own axes
  const compact = trajectory.figure(analysisModel(run, 0), { layer: 1, compact: true }).layout;
  assert.equal(compact.xaxis.title.text, `PC1 (${pct('forward', 0)}%)`);
  const one = trajectory.figure(analysisModel(runs.rnn_h1, 0), {}).layout;
  assert.deepEqual([one.xaxis.title.text, one.yaxis.title.text], ['t', 'PC1 (100% of variance)']);
  assert.deepEqual(one.xaxis.range, [-0.5, 5.5]);
});

test('the trajectory ring sits on the state read at the step, dotted at padding', () => {
  const run = runs.gru_bidir;
  const model = analysisModel(run, 1); // length 2
  const at = (step) => trajectory.frame(model, step, {}).map((s) => [s.xanchor, s.yanchor, s.line.dash]);
  const c = (d, t) => run.layers[0][d].trajectory.components[1][t];
  assert.deepEqual(at(0), [[...c('forward', 0), 'solid'], [...c('backward', 1), 'solid']]);
  assert.deepEqual(at(1), [[...c('forward', 1), 'solid'], [...c('backward', 0), 'solid']]);
  assert.deepEqual(at(3), [[...c('forward', 3), 'dot'], [...c('backward', 3), 'dot']]);
  const shapes = trajectory.frame(model, 0, {});
  assert.ok(shapes.every((s) => s.xsizemode === 'pixel' && s.x1 - s.x0 === s.y1 - s.y0));
  assert.deepEqual(trajectory.figure(model, {}).layout.shapes, shapes);
  const h1 = analysisModel(runs.rnn_h1, 0);
  assert.deepEqual(trajectory.frame(h1, 4, {}).map((s) => [s.xanchor, s.yanchor]), [[4, runs.rnn_h1.layers[0].forward.trajectory.components[0][4][0]]]);
});

test('the connectivity summary names the inputs the state depends on most and least', () => {
  const run = runs.rnn_2layers;
  const model = analysisModel(run, 0);
  const row = run.layers[0].forward.connectivity[0][5];
  const valid = range(8).filter((s) => row[s] > 0);
  const most = valid.reduce((a, s) => (row[s] > row[a] ? s : a));
  const least = valid.reduce((a, s) => (row[s] < row[a] ? s : a));
  assert.equal(
    connectivitySummary(model, 5, {}),
    `At step 6 of 8, the forward state at t = 5 depends most on the input at s = ${most} (${formatValue(row[most])}) `
      + `and least on the input at s = ${least} (${formatValue(row[least])}), and not at all on 2 others.`,
  );
  assert.match(connectivitySummary(model, 0, {}), /depends only on the input at s = 0 \(/);
  assert.match(connectivitySummary(analysisModel(runs.lstm_padded, 1), 4, {}), /t = 4 is padding: it depends on no input\.$/);
  assert.match(connectivitySummary(analysisModel(runs.gru_bidir, 0), 0, { direction: 'backward' }), /backward state at t = 3 depends only/);
  assert.match(connectivitySummary(model, 5, { lang: 'ko' }), /^8단계 중 6단계에서 t = 5의 정방향 상태는/);
});

test('the memory-reach summary compares the last state’s own input with the farthest one', () => {
  const run = runs.rnn_h1;
  const row = run.layers[0].forward.connectivity[0][5];
  const text = reachSummary(analysisModel(run, 0), {});
  assert.match(text, new RegExp(`^The last forward state \\(t = 5\\) depends on the input at s = 5 with ${formatValue(row[5])}`));
  assert.match(text, new RegExp(`s = 0, with ${formatValue(row[0]).replace('.', '\\.')}: `));
  const ratio = row[5] / row[0];
  assert.match(text, ratio < 1000 ? / times (weaker|stronger)\.$/ : / powers of ten weaker\.$/);
  assert.equal(reachSummary(analysisModel(run, 1), {}), 'This example has no valid step, so nothing to show.');
});

test('the trajectory summary gives the variance shares and the current point', () => {
  const run = runs.gru_bidir;
  const text = trajectorySummary(analysisModel(run, 0), 1, {});
  const tr = (d) => run.layers[0][d].trajectory;
  const pct = (d, k) => `${Math.round(tr(d).explained_variance_ratio[k] * 100)}%`;
  assert.ok(text.startsWith(`Forward: PC1 explains ${pct('forward', 0)} of the variance, PC2 explains ${pct('forward', 1)} of the variance;`), text);
  const point = tr('backward').components[0][2].map(formatValue).join(', ');
  assert.ok(text.includes(`Backward: PC1 explains ${pct('backward', 0)}`) && text.includes(`state (t = 2) is at (${point})`), text);
  assert.match(trajectorySummary(analysisModel(runs.rnn_h1, 1), 2, {}), /\(t = 2, padding\) is at PC1 = /);
});

test('compact charts keep every text at least MIN_FONT_PX, presenter mode scales text and height', () => {
  const model = analysisModel(runs.gru_bidir, 0);
  const charts = [connectivity, reach, trajectory];
  for (const chart of charts) {
    const compact = chart.figure(model, { compact: true, width: 375 }).layout;
    assert.ok(fontSizes(compact).every((size) => size >= MIN_FONT_PX), JSON.stringify(fontSizes(compact)));
    const plain = chart.figure(model, {}).layout;
    const presenter = chart.figure(model, { fontScale: FONT.presenterScale }).layout;
    assert.equal(presenter.font.size, Math.round(FONT.size * FONT.presenterScale));
    assert.equal(presenter.height, Math.round(plain.height * FONT.presenterScale));
    assert.ok(presenter.margin.l > plain.margin.l);
  }
  assert.equal(fontSize({ compact: true }), MIN_FONT_PX);
  assert.equal(connectivity.figure(model, { height: 300 }).layout.height, 300); // a fitted chart takes its frame's height
});

test('axis labels never touch: ticks every 1st, 2nd, 5th… cell as the pixels allow, margins hold the labels and titles', () => {
  const charPx = (opts) => fontSize(opts) * FONT.charWidth;
  for (const opts of [{ width: 375, compact: true }, { width: 1280 }, { width: 1920, fontScale: FONT.presenterScale }]) {
    for (const T of [8, 50]) {
      const { layout } = connectivity.figure(decaying(T, T, 0.5), opts);
      const plotW = opts.width - layout.margin.l - layout.margin.r;
      const plotH = layout.height - layout.margin.t - layout.margin.b;
      const labelPx = String(T - 1).length * charPx(opts) + fontSize(opts); // the widest label and a space
      assert.ok((plotW / T) * layout.xaxis.dtick >= labelPx, `x ticks at ${opts.width}px, T = ${T}`);
      assert.ok((plotH / T) * layout.yaxis.dtick >= fontSize(opts) * 1.3, `y ticks at ${opts.width}px, T = ${T}`);
      assert.ok(layout.margin.l >= String(T - 1).length * charPx(opts) + Math.round(fontSize(opts) * 1.2) * 1.4);
      const bar = layout.coloraxis.colorbar;
      const labels = Math.max(...bar.ticktext.map((s) => s.length)) * charPx(opts);
      assert.ok(layout.margin.r >= bar.thickness + 2 * bar.xpad + bar.ticklen + labels, `colour bar at ${opts.width}px`);
      const titleSize = Math.round(fontSize(opts) * 1.2); // Plotly's axis titles
      assert.ok(layout.margin.b >= 10 + 3.5 * titleSize, 'tick labels and axis title below the plot');
      assert.ok(layout.margin.t >= fontSize(opts) * 1.3 * 2, 'title and key above the plot');
      assert.deepEqual(layout.annotations.map((a) => a.yshift > 0 && a.y === 1), [true, true]);
      assert.ok(layout.annotations[0].yshift >= layout.annotations[1].yshift + fontSize(opts) * 1.3, 'the title sits a line above the key');
    }
    const traj = trajectory.figure(analysisModel(runs.gru_bidir, 0), opts).layout;
    const plotW = opts.width - traj.margin.l - traj.margin.r;
    const gapPx = (traj.xaxis2.domain[0] - traj.xaxis.domain[1]) * plotW;
    assert.ok(gapPx >= 6 * charPx(opts) + Math.round(fontSize(opts) * 1.2) * 1.4, `the right panel's y labels and title fit the gap at ${opts.width}px`);
  }
  assert.equal(connectivity.figure(decaying(200, 200, 0.9), { width: 1280 }).layout.xaxis.dtick, undefined); // Plotly spaces long axes
  const narrow = trajectory.figure(analysisModel(runs.gru_bidir, 0), { narrow: true, compact: true, width: 375 }).layout;
  assert.ok(narrow.yaxis2.domain[1] < narrow.yaxis.domain[0]); // stacked, the backward panel below
  const gapPx = (narrow.yaxis.domain[0] - narrow.yaxis2.domain[1]) * (narrow.height - narrow.margin.t - narrow.margin.b);
  const compactTitle = Math.round(fontSize({ compact: true }) * 1.2);
  assert.ok(gapPx >= 10 + 3.5 * compactTitle + fontSize({ compact: true }) * 1.3, 'x labels, x title and the lower panel’s title fit between');
});
