import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import './catalogs.mjs';
import './engine.mjs';

import { fontSize } from '../../static/js/analysisframes.js';
import { FONT, LEARN_COLORS, MIN_FONT_PX, PROBABILITY_SCALE } from '../../static/js/config.js';
import { scaleColor, shapeUpdate } from '../../static/js/frames.js';
import {
  argmax, learnModel, lossCurve, lossSummary, predictions, predictionsAt, predictionsSummary, probabilities, probabilitiesSummary, snapshotAt,
} from '../../static/js/learnframes.js';

// A real float64 training of an LSTM on "hihello" (make_training.py): 30 epochs, a snapshot every 5.
const load = () => JSON.parse(readFileSync(new URL('./fixtures/training.json', import.meta.url), 'utf8'));
const train = load();
const model = learnModel(train);
const range = (n) => Array.from({ length: n }, (_, k) => k);
/** The index of the largest probability, written out (first of equal ones). */
const best = (p) => p.indexOf(Math.max(...p));

test('the model reads text[:-1] as inputs and text[1:] as targets over the vocabulary', () => {
  assert.equal(train.config.text, 'hihello');
  assert.deepEqual([model.T, model.C, model.epochs], [6, 5, 30]);
  assert.deepEqual(model.vocabulary, ['h', 'i', 'e', 'l', 'o']);
  assert.deepEqual(model.inputs.join(''), 'hihell');
  assert.deepEqual(model.targets.join(''), 'ihello');
  assert.deepEqual(model.targetIndex, [1, 0, 2, 3, 3, 4]);
});

test('predictions are the argmax of each step’s probabilities, matching the history', () => {
  assert.equal(argmax([0.2, 0.5, 0.5, 0.1]), 1);
  assert.equal(argmax([3]), 0);
  for (const snapshot of train.snapshots) {
    const rows = predictionsAt(model, snapshot.epoch);
    const expected = snapshot.probabilities.map((p) => model.vocabulary[best(p)]);
    assert.deepEqual(rows.map((r) => r.predicted), expected);
    assert.equal(expected.join(''), train.history[snapshot.epoch].predicted);
    assert.deepEqual(rows.map((r) => r.right), expected.map((ch, t) => ch === model.targets[t]));
    assert.deepEqual(rows.map((r) => r.p), snapshot.probabilities);
  }
  const between = predictionsAt(model, 7); // no snapshot: the history's prediction, no probabilities
  assert.deepEqual(between.map((r) => r.predicted).join(''), train.history[7].predicted);
  assert.ok(between.every((r) => r.p === null));
  assert.equal(predictionsAt(model, 31), null);
});

test('the predictions table marks right and wrong by a symbol as well as a colour', () => {
  const epoch = 5;
  const figure = predictions.figure(model, { epoch });
  assert.deepEqual(figure.rows, ['input', 'target', 'predicted', 'p(target)']);
  assert.deepEqual(figure.units, range(6));
  assert.deepEqual(figure.scale, { colors: PROBABILITY_SCALE, min: 0, max: 1 });
  const right = Math.round(train.history[epoch].accuracy * 6);
  assert.equal(figure.tables[0].title, `predictions at epoch 5: ${right} of 6 right`);
  const [[input, target, predicted, chance]] = predictions.frame(model, epoch).cells;
  assert.deepEqual(input.map((c) => c.text).join(''), 'hihell');
  assert.deepEqual(target.map((c) => c.text).join(''), 'ihello');
  const snapshot = snapshotAt(model, epoch);
  for (const t of range(6)) {
    const ch = model.vocabulary[best(snapshot.probabilities[t])];
    const ok = ch === model.targets[t];
    assert.equal(predicted[t].text, `${ch} ${ok ? '✓' : '✗'}`);
    assert.equal(predicted[t].color, ok ? LEARN_COLORS.rightFill : LEARN_COLORS.wrongFill);
    const p = snapshot.probabilities[t][model.targetIndex[t]];
    assert.equal(chance[t].text, p.toFixed(2));
    assert.equal(chance[t].color, scaleColor(PROBABILITY_SCALE, p, 0, 1));
  }
  assert.equal(predicted.filter((c) => c.text.endsWith('✓')).length, right);
  assert.ok(right > 0 && right < 6, 'epoch 5 has both right and wrong predictions');
  assert.deepEqual(predictions.frame(model, 7).cells[0][3].map((c) => c.text), range(6).map(() => '–'));
  assert.match(predictions.frame(model, 5).cells[0][2][0].label, /^step 0: predicted “.”, wrong \(target “i”\)$/);
});

test('the loss curve draws the history on a fixed epoch axis, accuracy on a 0-100% axis', () => {
  const { data, layout } = lossCurve.figure(model, {});
  assert.deepEqual(data[0].x, range(31));
  assert.deepEqual(data[0].y, train.history.map((h) => h.loss));
  assert.deepEqual(data[1].y, train.history.map((h) => h.accuracy));
  assert.equal(data[1].yaxis, 'y2');
  assert.equal(data[1].line.dash, 'dash');
  const [x0, x1] = layout.xaxis.range;
  assert.ok(x0 < 0 && Math.abs(x1 - 30 + x0) < 1e-9, 'epochs 0 to 30, with room for the end labels each side');
  assert.deepEqual([layout.yaxis2.range, layout.yaxis2.ticktext.at(-1)], [[0, 1.04], '100%']);
  assert.ok(layout.yaxis.range[1] >= Math.max(...train.history.map((h) => h.loss)));
  // Part of a stream: the same axis, the epochs so far.
  const partial = learnModel({ ...train, history: train.history.slice(0, 4), snapshots: train.snapshots.slice(0, 1) });
  const early = lossCurve.figure(partial, {});
  assert.deepEqual([early.data[0].x, early.layout.xaxis.range], [[0, 1, 2, 3], layout.xaxis.range]);
  assert.deepEqual(early.layout.shapes.map((s) => s.x0), [3]);
});

test('the epoch cursor on the loss curve is a vertical line; an epoch changes only that shape', () => {
  const at = (epoch) => lossCurve.frame(model, epoch);
  assert.deepEqual(at(12).map((s) => [s.x0, s.x1, s.yref]), [[12, 12, 'y domain']]);
  assert.deepEqual(lossCurve.figure(model, {}).layout.shapes, at(30));
  assert.deepEqual(shapeUpdate(at(3), at(4)), { shapes: at(4) });
});

test('the probabilities heatmap shows the snapshot at (or before) the epoch: steps across, characters down', () => {
  const fig = probabilities.figure(model, { epoch: 7 });
  const snapshot = train.snapshots.find((s) => s.epoch === 5);
  assert.equal(fig.data[0].meta.epoch, 5);
  assert.match(fig.layout.annotations[0].text, /epoch 5$/);
  for (const t of range(6)) {
    for (const c of range(5)) assert.equal(fig.data[0].z[c][t], snapshot.probabilities[t][c]);
  }
  assert.deepEqual([fig.data[0].zmin, fig.data[0].zmax], [0, 1]);
  assert.deepEqual(fig.data[1].y, snapshot.probabilities.map(best)); // a dot on each most likely character
  assert.deepEqual(fig.layout.xaxis.ticktext, ['h', 'i', 'h', 'e', 'l', 'l']);
  assert.deepEqual(fig.layout.yaxis.ticktext, ['h', 'i', 'e', 'l', 'o']);
  assert.deepEqual(fig.layout.yaxis.range, [4.5, -0.5]);
  assert.equal(probabilities.figure(learnModel({ ...train, snapshots: [] }), {}), null);
  assert.equal(snapshotAt(model, 29).epoch, 25);
});

test('target cells are outlined and the step column moves with playback, as shapes only', () => {
  const shapes = (step) => probabilities.frame(model, step, { epoch: 30 });
  const targets = shapes(0).filter((s) => s.line.color === LEARN_COLORS.target);
  assert.deepEqual(targets.map((s) => [s.x0 + 0.5, s.y0 + 0.5]), model.targetIndex.map((c, t) => [t, c]));
  const cursor = (step) => shapes(step).filter((s) => s.line.color === LEARN_COLORS.cursor).map((s) => s.x0 + 0.5);
  assert.deepEqual([cursor(0), cursor(4)], [[0], [4]]);
  assert.equal(shapes(0).length, shapes(5).length);
  assert.deepEqual(probabilities.figure(model, { epoch: 30, step: 2 }).layout.shapes, shapes(2));
  // At the last epoch every most likely character is the target: the dots sit in the outlines.
  const last = probabilities.figure(model, { epoch: 30 });
  assert.deepEqual(last.data[1].y, model.targetIndex);
});

test('characters reach Plotly escaped and the tables as typed', () => {
  const raw = structuredClone(train);
  raw.config.text = raw.config.text.replace(/o/g, '<');
  raw.vocabulary = raw.vocabulary.replace('o', '<');
  for (const h of raw.history) h.predicted = h.predicted.replace(/o/g, '<');
  const m = learnModel(raw);
  assert.equal(probabilities.figure(m, {}).layout.yaxis.ticktext[4], '&lt;');
  assert.equal(predictions.frame(m, 30).cells[0][1][5].text, '<');
  assert.equal(learnModel({ ...raw, config: { ...raw.config, text: 'a b' }, vocabulary: 'a b' }).inputs[1], '␣');
});

test('summaries give the numbers a sighted reader sees', () => {
  const h = train.history;
  assert.equal(
    lossSummary(model, 12, {}),
    `Epoch 12 of 30: loss ${h[12].loss.toFixed(3)} (${h[0].loss.toFixed(3)} at epoch 0), accuracy ${Math.round(h[12].accuracy * 100)}% (${Math.round(h[12].accuracy * 6)} of 6 steps right).`,
  );
  assert.equal(predictionsSummary(model, 5, {}), `Epoch 5: reading “hihell”, the network predicts “${h[5].predicted}” for “ihello”: ${Math.round(h[5].accuracy * 6)} of 6 right.`);
  const p = train.snapshots.find((s) => s.epoch === 5).probabilities[2];
  const k = best(p);
  assert.match(probabilitiesSummary(model, 2, { epoch: 5 }), new RegExp(`^Epoch 5, step 2 \\(input “h”\\): the most likely next character is “${model.vocabulary[k]}” \\(${p[k].toFixed(2)}\\)`));
  assert.match(probabilitiesSummary(model, 2, { epoch: 30 }), /, the target\.$/);
  assert.equal(lossSummary(model, 40, {}), 'Epoch 40 has not been trained yet.');
  assert.match(lossSummary(model, 12, { lang: 'ko' }), /^에폭 12\/30: 손실 /);
  assert.match(predictions.figure(model, { epoch: 5, lang: 'ko' }).tables[0].title, /^에폭 5의 예측/);
});

test('compact Learn charts keep text at least MIN_FONT_PX; presenter mode scales them', () => {
  for (const chart of [lossCurve, probabilities]) {
    const compact = chart.figure(model, { compact: true, width: 375 }).layout;
    assert.ok(compact.font.size >= MIN_FONT_PX);
    const plain = chart.figure(model, {}).layout;
    const presenter = chart.figure(model, { fontScale: FONT.presenterScale }).layout;
    assert.equal(presenter.font.size, Math.round(FONT.size * FONT.presenterScale));
    assert.ok(presenter.height > plain.height && presenter.margin.b > plain.margin.b);
  }
});

test('probability axis labels never touch: long texts label every 2nd, 5th… step', () => {
  const text = 'hello world, how are you today? '.repeat(2);
  const vocabulary = [...new Set(text)].join('');
  const T = text.length - 1;
  const uniform = range(T).map(() => range(vocabulary.length).map(() => 1 / vocabulary.length));
  const long = learnModel({
    config: { ...train.config, text }, vocabulary, history: [{ epoch: 0, loss: 1, accuracy: 0, predicted: text.slice(0, T) }],
    snapshots: [{ epoch: 0, probabilities: uniform }],
  });
  for (const opts of [{ width: 375, compact: true }, { width: 1280 }]) {
    const { layout } = probabilities.figure(long, opts);
    const plotW = opts.width - layout.margin.l - layout.margin.r;
    const plotH = layout.height - layout.margin.t - layout.margin.b;
    const [a, b] = layout.xaxis.tickvals;
    assert.ok(((b - a) * plotW) / T >= fontSize(opts) * (FONT.charWidth + 1), `x labels at ${opts.width}px`);
    const [c, d] = layout.yaxis.tickvals;
    assert.ok(((d - c) * plotH) / vocabulary.length >= fontSize(opts) * 1.3, `y labels at ${opts.width}px`);
  }
});
