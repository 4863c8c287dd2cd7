import assert from 'node:assert/strict';
import { test } from 'node:test';

import './catalogs.mjs';
import { engine } from './engine.mjs';

import { expectedNumbers } from '../../static/js/api.js';
import { useEngine } from '../../static/js/cells.js';
import { CELL_SCALE, NET_COLORS, STATE_SCALE } from '../../static/js/config.js';
import {
  barTicks, contrast, fontSize, gates, heatValues, heatmaps, inkOn, runDetails, isComputed, lines, network, plotlyText, revealed, scaleColor, shapeUpdate, unitWindow, viewModel, windowStart,
} from '../../static/js/frames.js';
import { loadRuns, numbersOf } from './helpers.mjs';

const runs = loadRuns();
const cursor = (shapes) => shapes.filter((s) => s.line?.width > 2 && !s.fillcolor);

test('the view model takes example b of every layer and direction', () => {
  const model = viewModel(runs.lstm_bidir_2layers, 1);
  assert.deepEqual([model.L, model.H, model.T, model.length], [2, 3, 4, 2]);
  assert.deepEqual(model.dirs, ['forward', 'backward']);
  assert.deepEqual(model.layers[1].backward.c, runs.lstm_bidir_2layers.layers[1].backward.states.c[1]);
  assert.deepEqual(model.gateNames, ['i', 'f', 'g', 'o']);
  assert.deepEqual(viewModel(runs.rnn_text, 0).tokens, ['h', 'e', 'l', 'l', 'o']);
});

test('user tokens reach Plotly as literal text, never as markup', () => {
  assert.equal(plotlyText('<img src=x onerror=alert(1)>'), '&lt;img src=x onerror=alert(1)&gt;');
  const run = structuredClone(runs.rnn_text);
  run.tokens[0][0] = '<';
  assert.equal(viewModel(run, 0).tokens[0], '&lt;');
});

test('both directions fill in as playback advances: forward from the left, backward from its last valid step', () => {
  assert.deepEqual(revealed('forward', 2, 3), [0, 2]);
  assert.deepEqual(revealed('backward', 0, 3), [2, 2]);
  assert.deepEqual(revealed('backward', 2, 3), [0, 2]);
  assert.deepEqual(revealed('backward', 4, 3), [0, 4]);
  assert.equal(isComputed('backward', 1, 0, 3), false);
  assert.equal(isComputed('backward', 1, 1, 3), true);
});

test('heatmaps draw h (and c) transposed to units x time, one panel per layer, direction and quantity', () => {
  const run = runs.lstm_bidir_2layers;
  const fig = heatmaps.figure(viewModel(run, 0));
  assert.equal(fig.data.length, 2 * 2 * 2);
  const top = fig.data.find((d) => d.hovertemplate.startsWith('layer 2 backward') && d.coloraxis === 'coloraxis2');
  assert.deepEqual(top.z[1], run.layers[1].backward.states.c[0].map((row) => row[1]));
  assert.equal(fig.layout.coloraxis.cmid, 0);
  assert.equal(fig.layout.coloraxis2.cmid, 0);
});

test('the heatmap cursor follows each direction and padding steps are greyed', () => {
  const model = viewModel(runs.gru_reset_after, 1); // T = 3, length 1, bidirectional
  const shapes = heatmaps.frame(model, 0);
  assert.deepEqual(cursor(shapes).map((s) => [s.xref, s.x0 + 0.5]), [['x', 0], ['x2', 0]]);
  const grey = shapes.filter((s) => s.fillcolor?.startsWith('rgba(140'));
  assert.deepEqual(grey.map((s) => [s.x0, s.x1]), [[0.5, 2.5], [0.5, 2.5]]);
  const later = viewModel(runs.gru_reset_after, 0); // length 3
  assert.deepEqual(cursor(heatmaps.frame(later, 0)).map((s) => s.x0 + 0.5), [0, 2]);
  assert.deepEqual(cursor(heatmaps.frame(later, 2)).map((s) => s.x0 + 0.5), [2, 0]);
});

test('the network highlights the current box of each direction and greys padding', () => {
  const model = viewModel(runs.lstm_bidir_2layers, 1); // T = 4, length 2
  const boxes = (step) => network.frame(model, step, {}).filter((s) => !s.label);
  const at = (step, status) => boxes(step).filter((s) => s.fillcolor === status).map((s) => [s.x0 + 0.32, s.y1 > Math.round(s.y0) + 0.1 && s.y0 >= Math.round(s.y0) - 0.01 ? 'fw' : 'bw']);
  assert.equal(boxes(0).length, 2 * 2 * 4);
  assert.deepEqual(at(0, '#fdb863'), [[0, 'fw'], [1, 'bw'], [0, 'fw'], [1, 'bw']]);
  assert.deepEqual(at(1, '#fdb863'), [[1, 'fw'], [0, 'bw'], [1, 'fw'], [0, 'bw']]);
  assert.equal(boxes(0).filter((s) => s.fillcolor === '#d9d9d9').length, 2 * 2 * 2);
  const outputs = (step) => network.frame(model, step, {}).filter((s) => s.label).map((s) => s.label.text);
  assert.deepEqual(outputs(0), ['', '', '', '']);
  assert.deepEqual(outputs(1).map(Boolean), [true, true, false, false]);
  assert.deepEqual(outputs(2).map(Boolean), [true, true, true, false]);
  assert.deepEqual(outputs(3).slice(2), ['[0, 0, …]', '[0, 0, …]']);
});

test('the network draws one arrow per recurrence, per layer link and per input and output', () => {
  const model = viewModel(runs.lstm_bidir_2layers, 0);
  const fig = network.figure(model, {});
  const T = 4;
  const expected = T * (model.L + 1) + model.L * model.dirs.length * (T - 1);
  assert.equal(fig.data[0].x.filter((x) => x === null).length, expected);
  assert.equal(fig.data[1].x.length, expected);
  const inputs = runs.lstm_bidir_2layers.inputs[0];
  assert.deepEqual(fig.data[4].text, inputs.map((x) => `[${x.map((v) => String(Number(v.toFixed(2)))).join(", ")}]`));
});

test('long runs page the network through windows that contain the step', () => {
  assert.equal(windowStart(0, 100, 12), 0);
  assert.equal(windowStart(13, 100, 12), 12);
  assert.equal(windowStart(99, 100, 12), 88);
  assert.equal(windowStart(3, 5, 12), 0);
});

test('gates show the activations at the position each direction reads', () => {
  const run = runs.gru_reset_after;
  const model = viewModel(run, 0);
  const { cells } = gates.frame(model, 0, { layer: 0 });
  const value = (cell) => Number(cell.label.split('= ')[1]);
  assert.deepEqual(cells[0].map((row) => value(row[0])), ['z', 'r', 'n'].map((g) => Number(run.layers[0].forward.gates[g][0][0][0].toFixed(4))));
  assert.deepEqual(cells[1].map((row) => value(row[0])), ['z', 'r', 'n'].map((g) => Number(run.layers[0].backward.gates[g][0][2][0].toFixed(4))));
  assert.equal(cells[1][2][1].text, run.layers[0].backward.gates.n[0][2][1].toFixed(2));
  assert.match(cells[1][2][1].label, /^backward: n\[1\] = -?\d\.\d{4}$/);
  const figure = gates.figure(model, { layer: 0 });
  assert.deepEqual([figure.rows, figure.units, figure.tables.map((t) => t.meta.direction)], [['z', 'r', 'n'], [0, 1, 2], ['forward', 'backward']]);
  assert.equal(gates.figure(viewModel(runs.rnn_text, 0)), null);
});

test('gates of a wide layer show the window of units that holds the focused unit, whatever H', () => {
  const run = runs.gru_reset_after;
  const model = { ...viewModel(run, 0), H: 40 };
  const wide = (g) => g.map((row) => Array.from({ length: 40 }, (_, u) => (u % 2 ? -1 : 1) * (u / 40)));
  for (const d of model.dirs) model.layers[0][d].gates = Object.fromEntries(Object.entries(model.layers[0][d].gates).map(([k, g]) => [k, wide(g)]));
  const figure = gates.figure(model, { unit: 20 });
  assert.deepEqual(figure.units, Array.from({ length: 16 }, (_, k) => 16 + k));
  assert.match(figure.tables[0].title, /units 16–31$/);
  const { cells } = gates.frame(model, 1, { unit: 20 });
  assert.deepEqual([cells.length, cells[0].length, cells[0][0].length], [2, 3, 16]);
  assert.equal(cells[0][0][4].text, (20 / 40).toFixed(2));
  assert.equal(figure.labelled, false); // 2 x 16 columns: values on hover only
});

test('gate cells are coloured on the RdBu scale over [-1, 1], with ink that reads on them', () => {
  assert.equal(scaleColor(STATE_SCALE, 0, -1, 1), 'rgb(247, 247, 247)');
  assert.equal(scaleColor(STATE_SCALE, -1, -1, 1), 'rgb(5, 48, 97)');
  assert.equal(scaleColor(STATE_SCALE, 5, -1, 1), 'rgb(103, 0, 31)');
  assert.equal(scaleColor(STATE_SCALE, 0.1, -1, 1), 'rgb(250, 233, 223)'); // halfway from #f7f7f7 to #fddbc7
  assert.equal(inkOn('rgb(5, 48, 97)'), '#ffffff');
  assert.equal(inkOn('rgb(247, 247, 247)'), '#000000');
  // WCAG AA for small text (4.5:1) on every colour of both scales, at 201 points each.
  for (const scale of [STATE_SCALE, CELL_SCALE]) {
    for (let k = 0; k <= 200; k += 1) {
      const background = scaleColor(scale, k / 100 - 1, -1, 1);
      assert.ok(contrast(background, inkOn(background)) >= 4.5, background);
    }
  }
  // The WCAG formula itself: white on black is 21:1, a colour on itself 1:1, #767676 on white 4.54:1.
  assert.equal(contrast('#000000', '#ffffff'), 21);
  assert.equal(contrast('rgb(10, 20, 30)', '#0a141e'), 1);
  assert.equal(contrast('#767676', '#ffffff').toFixed(2), '4.54');
});

test('a network step only recolours boxes and writes labels: Plotly redraws just those shapes', () => {
  const model = viewModel(runs.lstm_bidir_2layers, 0);
  const [before, after] = [network.frame(model, 0, {}), network.frame(model, 1, {})];
  const update = shapeUpdate(before, after);
  const edited = Object.keys(update);
  assert.ok(edited.length > 0 && edited.every((key) => /^shapes\[\d+\]\.(fillcolor|line\.color|line\.dash|label\.text)$/.test(key)), edited.join());
  for (const [key, value] of Object.entries(update)) {
    const [, k, path] = key.match(/^shapes\[(\d+)\]\.(.+)$/);
    assert.equal(path.split('.').reduce((o, p) => o[p], after[Number(k)]), value);
  }
  assert.deepEqual(shapeUpdate(after, after), {});
});

test('a step that moves a shape, or changes their number, replaces the whole array', () => {
  const model = viewModel(runs.lstm_bidir_2layers, 0);
  const [before, after] = [heatmaps.frame(model, 0), heatmaps.frame(model, 1)];
  assert.deepEqual(shapeUpdate(before, after), { shapes: after });
  assert.deepEqual(shapeUpdate(before, after.slice(1)), { shapes: after.slice(1) });
  const wider = structuredClone(before);
  wider[0].line.width = 9;
  assert.deepEqual(shapeUpdate(before, wider), { shapes: wider });
});

test('unit lines are hidden past the steps computed so far', () => {
  const run = runs.gru_reset_after;
  const model = viewModel(run, 0); // T = 3, length 3, bidirectional
  const fig = lines.figure(model, { layer: 0, unit: 1 });
  assert.equal(fig.data.length, 2 * 3);
  assert.deepEqual(fig.data[5].y, run.layers[0].backward.states.h[0].map((h) => h[2]));
  const hidden = (step) => lines.frame(model, step).filter((s) => s.fillcolor === '#ffffff' && s.x1 > s.x0).map((s) => [s.xref, s.x0, s.x1]);
  assert.deepEqual(hidden(0), [['x', 0.5, 2.5], ['x2', -0.5, 1.5]]);
  assert.deepEqual(hidden(1), [['x', 1.5, 2.5], ['x2', -0.5, 0.5]]);
  assert.deepEqual(hidden(2), []);
  assert.deepEqual(unitWindow(20, 40), Array.from({ length: 16 }, (_, k) => 16 + k));
});

test('every step draws the same number of overlay shapes, so Plotly redraws only the shapes', () => {
  const model = viewModel(runs.lstm_bidir_2layers, 1);
  const counts = [0, 1, 2, 3].map((step) => [heatmaps, lines, network].map((chart) => chart.frame(model, step, {}).length));
  assert.ok(counts.every((c) => JSON.stringify(c) === JSON.stringify(counts[0])), JSON.stringify(counts));
});

test('a fifth cell variant the front end has never seen is drawn from its description alone', () => {
  const run = runs.fake_variant;
  const fake = run.reference.variant;
  useEngine({ ...engine(), cells: { ...engine().cells, [fake.key]: fake } });
  try {
    const model = viewModel(run, 0);
    assert.deepEqual([model.stateNames, model.gateNames], [fake.states, fake.gates]);
    assert.deepEqual(model.layers[0].backward.m, run.layers[0].backward.states.m[0]);
    const fig = heatmaps.figure(model);
    // A panel per layer, direction and state; a colour axis per state, on its own scale.
    assert.equal(fig.data.length, 1 * 2 * fake.states.length);
    assert.deepEqual([...new Set(fig.data.map((d) => d.coloraxis))], ['coloraxis', 'coloraxis2']);
    assert.deepEqual(fig.layout.coloraxis.colorscale, STATE_SCALE);
    assert.deepEqual([fig.layout.coloraxis2.colorbar.title.text, fig.layout.coloraxis2.colorscale], ['m', CELL_SCALE]); // a state config.js does not name
    const m = fig.data.find((d) => d.coloraxis === 'coloraxis2' && d.meta.direction === 'backward');
    assert.deepEqual(m.z[1], run.layers[0].backward.states.m[0].map((row) => row[1]));
    const table = gates.figure(model, { layer: 0, unit: 0 });
    assert.deepEqual(table.rows, fake.gates);
    const cells = gates.frame(model, 0, { layer: 0, unit: 0 }).cells[1]; // backward reads t = len - 1 = 3 at step 0
    assert.equal(cells[0][2].text, run.layers[0].backward.gates.f[0][3][2].toFixed(2));
    assert.equal(expectedNumbers({ ...run.config, initial_state: null, weights: null }), numbersOf(run));
  } finally {
    useEngine(engine());
  }
});

test('heatmaps take a shared colour range per state when given one, centred on 0 otherwise', () => {
  const model = viewModel(runs.lstm_bidir_2layers, 0);
  const alone = heatmaps.figure(model);
  assert.deepEqual([alone.layout.coloraxis.cmid, alone.layout.coloraxis.cmin], [0, undefined]);
  const shared = heatmaps.figure(model, { ranges: { h: [-2, 2], c: [-5, 5] } });
  assert.deepEqual([shared.layout.coloraxis.cmin, shared.layout.coloraxis.cmax], [-2, 2]);
  assert.deepEqual([shared.layout.coloraxis2.cmin, shared.layout.coloraxis2.cmax], [-5, 5]);
  assert.equal(shared.layout.coloraxis.cmid, undefined);
});

test('the heatmaps’ numbers as tables: this step of every panel, and every step of one', () => {
  const run = runs.lstm_bidir_2layers;
  const model = viewModel(run, 1); // length 2
  const now = heatValues.now(model, 1, { unit: 0 });
  assert.equal(now.columns.length, 2 * 2 * 2);
  assert.equal(now.columns[2], 'layer 1 · backward · h (t = 0)');
  assert.deepEqual(now.rows.map((r) => r.head), ['0', '1', '2']);
  assert.equal(Number(now.rows[2].cells[2]), Number(run.layers[0].backward.states.h[1][0][2].toFixed(4)));
  const [h, c] = heatValues.all(model, { layer: 1, direction: 'forward' });
  assert.equal(h.rows.length, model.T);
  assert.deepEqual(h.rows.map((r) => r.head), ['0', '1', '2 (padding)', '3 (padding)']);
  assert.equal(Number(c.rows[1].cells[1]), Number(run.layers[1].forward.states.c[1][1][1].toFixed(4)));
});

test('colour-bar ticks fit their bar; compact text is never under 11 px; the run details line', () => {
  assert.deepEqual(barTicks(0.3634, 3), { tickvals: [-0.36, 0, 0.36], ticktext: ['−0.36', '0', '0.36'] });
  assert.deepEqual(barTicks(1.2, 2), { tickvals: [-1.2, 1.2], ticktext: ['−1.2', '1.2'] });
  assert.deepEqual(barTicks(1, 9), { nticks: 6 });
  assert.deepEqual(barTicks(0.3634, 1), { tickvals: [0.36], ticktext: ['0.36'] }); // no room for two
  assert.equal(fontSize({ compact: true }), 11);
  assert.equal(fontSize({ fontScale: 1.5 }), 18);
  const fig = heatmaps.figure(viewModel(runs.lstm_bidir_2layers, 0), { compact: true, width: 400, height: 200 });
  assert.ok(fig.layout.font.size >= 11 && fig.layout.margin.b >= 11 * 1.6);
  assert.ok(fig.layout.coloraxis.colorbar.tickvals, 'a short bar gets its ends');
  const meta = { device: '/device:GPU:0', tensorflow: '2.21.0', compute_ms: 1.5, weights_sha256: 'ab'.repeat(32) };
  assert.equal(runDetails(meta), 'Run details: GPU:0 · TensorFlow 2.21.0 · 1.5 ms · weights sha256 abababababab');
});
