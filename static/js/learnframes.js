// Pure: a training response (SPEC §8) -> the Learn page's charts: the loss curve, the predictions at
// an epoch (tables, drawn by table.js as the gates are) and the probabilities over the vocabulary.
// The Plotly charts keep frames.js' contract (figure once, frame -> shapes only); the epoch is the
// loss curve's and the table's "step", since that is what their slider moves through. Each chart
// has a one-sentence summary for screen readers. Layout helpers come from analysisframes.js.
import { ANALYSIS_HEIGHTS, HEATMAP_GAPS_UP_TO, LEARN_COLORS, OVERLAY, PROBABILITY_SCALE } from './config.js';
import {
  cellTick, chartKey, chartLayout, chartTitle, fontSize, labelEms, margins, nticks, percent, plotArea, range, rowTicks, textPx, wordsFor,
} from './analysisframes.js';
import { inkOn, plotlyText, scaleColor } from './frames.js';

/** The Learn charts' words in opts.lang ('en' or 'ko'; the page's language by default): the catalogs' learn.* messages. */
function words(opts) {
  const m = wordsFor(opts);
  return {
    lossTitle: m('learn.loss_title'),
    epoch: m('learn.epoch'),
    loss: m('learn.loss'),
    accuracy: m('learn.accuracy'),
    lossHover: (epoch, value) => m('learn.loss_hover', { epoch, value }),
    accuracyHover: (epoch, value) => m('learn.accuracy_hover', { epoch, value }),
    predictionsTitle: (epoch, right, T) => m('learn.predictions_title', { epoch, right, steps: T }),
    rows: ['learn.row_input', 'learn.row_target', 'learn.row_predicted', 'learn.row_p'].map((key) => m(key)),
    cellInput: (t, char) => m('learn.cell_input', { t, char }),
    cellTarget: (t, char) => m('learn.cell_target', { t, char }),
    cellPredicted: (t, char, right, target) => m(right ? 'learn.cell_right' : 'learn.cell_wrong', { t, char, target }),
    cellP: (t, char, p) => (p === null ? m('learn.cell_no_snapshot', { t }) : m('learn.cell_p', { t, char, p })),
    probabilitiesTitle: (epoch) => m('learn.probabilities_title', { epoch }),
    stepAxis: m('learn.step_axis'),
    charAxis: m('learn.char_axis'),
    probHover: (t, input, char, p) => `${m('learn.prob_hover', { t, input })}<br>p(“${char}”) = ${p}`,
    mostLikely: (char) => m('learn.most_likely', { char }),
    key: m('learn.key'),
    lossSummary: (epoch, epochs, loss, first, accuracy, right, T) => m('learn.loss_summary', { epoch, epochs, loss, first, accuracy, right, steps: T }),
    predictionsSummary: (epoch, inputs, predicted, targets, right, T) => m('learn.predictions_summary', { epoch, inputs, predicted, targets, right, steps: T }),
    probabilitiesSummary: (epoch, t, input, best, p, target, pt) => m(best === target ? 'learn.probabilities_right' : 'learn.probabilities_wrong', {
      epoch, t, input, best, p, target, pt,
    }),
    noEpoch: (epoch) => m('learn.no_epoch', { epoch }),
  };
}

/** A character as shown: a space as '␣' (tables take it as text; Plotly labels go through plotlyText). */
const shown = (ch) => (ch === ' ' ? '␣' : ch);

/**
 * What the Learn charts read from a training response (or the part streamed so far): {vocabulary,
 * inputs, targets (characters as shown), targetIndex, T, C, epochs (config.epochs), history, snapshots}.
 * Inputs are text[:-1] and targets text[1:] (SPEC §8).
 */
export function learnModel(train) {
  const text = [...train.config.text];
  const vocabulary = [...train.vocabulary];
  return {
    vocabulary: vocabulary.map(shown),
    inputs: text.slice(0, -1).map(shown),
    targets: text.slice(1).map(shown),
    targetIndex: text.slice(1).map((ch) => vocabulary.indexOf(ch)),
    T: text.length - 1,
    C: vocabulary.length,
    epochs: train.config.epochs,
    history: train.history,
    snapshots: train.snapshots,
  };
}

/** The index of the largest value (the first of equal ones, as numpy's argmax). */
export function argmax(values) {
  return values.reduce((best, v, k) => (v > values[best] ? k : best), 0);
}

/** The snapshot of `epoch`, or the latest one before it (null when there is none). */
export function snapshotAt(model, epoch) {
  return model.snapshots.filter((s) => s.epoch <= epoch).at(-1) ?? null;
}

/**
 * Each step's prediction at `epoch` (null when that epoch is not in the history yet): [{t, input,
 * target, predicted, right, p (probabilities over the vocabulary, or null without a snapshot at
 * this very epoch)}]. The predicted character is the argmax of the probabilities when the epoch has
 * a snapshot, else the history's `predicted` (the same argmax, computed by the server).
 */
export function predictionsAt(model, epoch) {
  const entry = model.history.find((h) => h.epoch === epoch);
  if (!entry) return null;
  const snapshot = model.snapshots.find((s) => s.epoch === epoch);
  const predicted = [...entry.predicted];
  return range(0, model.T).map((t) => {
    const p = snapshot?.probabilities[t] ?? null;
    const k = p ? argmax(p) : model.vocabulary.indexOf(shown(predicted[t]));
    return { t, input: model.inputs[t], target: model.targets[t], predicted: model.vocabulary[k], right: k === model.targetIndex[t], p };
  });
}

// ---- loss curve --------------------------------------------------------------------------------

/**
 * Loss (solid, left axis) and accuracy (dashed, right axis, 0-100%) over the epochs trained so far,
 * on an epoch axis fixed to [0, config.epochs] so a streamed run does not rescale it; the title says
 * which line is which (solid, dashed), not colour alone. frame(model, epoch): the vertical line at `epoch`
 * (figure draws it at opts.epoch, or at the last epoch trained).
 */
export const lossCurve = {
  figure(model, opts = {}) {
    const w = words(opts);
    const margin = margins(opts, { left: 5, leftTitle: true, right: 4, rightTitle: true, bottomTitle: true });
    const layout = chartLayout(opts, ANALYSIS_HEIGHTS.loss, margin);
    const area = plotArea(opts, layout);
    const epochs = model.history.map((h) => h.epoch);
    const losses = model.history.map((h) => h.loss);
    const accuracies = model.history.map((h) => h.accuracy);
    const mode = model.history.length <= 60 ? 'lines+markers' : 'lines';
    const data = [
      {
        type: 'scatter', mode, name: w.loss, x: epochs, y: losses, line: { color: LEARN_COLORS.loss, width: 2.5 }, marker: { size: 5 },
        text: model.history.map((h) => w.lossHover(h.epoch, h.loss.toFixed(3))), hovertemplate: '%{text}<extra></extra>',
      },
      {
        type: 'scatter', mode, name: w.accuracy, x: epochs, y: accuracies, yaxis: 'y2',
        line: { color: LEARN_COLORS.accuracy, width: 2, dash: 'dash' }, marker: { size: 5, symbol: 'square' },
        text: model.history.map((h) => w.accuracyHover(h.epoch, percent(h.accuracy))), hovertemplate: '%{text}<extra></extra>',
      },
    ];
    const top = Math.max(0, ...losses) * 1.08 || 1;
    const last = Math.max(model.epochs, epochs.at(-1) ?? 0);
    const chars = String(last).length;
    const room = ((textPx(opts, chars) / 2 + fontSize(opts)) / area.w) * last; // the end labels clear the y axes' corner labels
    layout.xaxis = {
      range: [-room, last + room], zeroline: false, nticks: nticks(opts, area.w, chars),
      title: { text: w.epoch },
    };
    layout.yaxis = { range: [0, top], zeroline: false, nticks: rowTicks(opts, area.h), title: { text: w.loss } };
    layout.yaxis2 = {
      overlaying: 'y', side: 'right', range: [0, 1.04], tickvals: [0, 0.25, 0.5, 0.75, 1], ticktext: ['0%', '25%', '50%', '75%', '100%'],
      showgrid: false, zeroline: false, title: { text: w.accuracy },
    };
    layout.annotations = [chartTitle(opts, w.lossTitle)];
    layout.shapes = lossCurve.frame(model, opts.epoch ?? epochs.at(-1) ?? 0);
    return { data, layout };
  },
  frame(model, epoch) {
    return [{ type: 'line', xref: 'x', yref: 'y domain', x0: epoch, x1: epoch, y0: 0, y1: 1, layer: 'above', line: { color: OVERLAY.cursor, width: 2 } }];
  },
};

/** One sentence on the loss and accuracy at `epoch` against epoch 0. */
export function lossSummary(model, epoch, opts = {}) {
  const w = words(opts);
  const entry = model.history.find((h) => h.epoch === epoch);
  if (!entry) return w.noEpoch(epoch);
  const right = Math.round(entry.accuracy * model.T);
  return w.lossSummary(epoch, model.epochs, entry.loss.toFixed(3), model.history[0].loss.toFixed(3), percent(entry.accuracy), right, model.T);
}

// ---- predictions (tables) ----------------------------------------------------------------------

const plain = { color: LEARN_COLORS.plain, ink: LEARN_COLORS.ink };

/**
 * The predictions at an epoch as one table (table.js, the gates' contract): a column per step
 * (`units` holds the steps), rows input, target, predicted (✓ on bluish green or ✗ on vermillion:
 * a symbol as well as a colour) and p(target) on the probability scale (the table's colour bar).
 * figure(): the headings; frame(model, epoch): every cell.
 */
export const predictions = {
  figure(model, opts = {}) {
    const w = words(opts);
    const epoch = opts.epoch ?? model.history.at(-1)?.epoch ?? 0;
    const rows = predictionsAt(model, epoch) ?? [];
    return {
      tables: [{ title: w.predictionsTitle(epoch, rows.filter((r) => r.right).length, model.T), meta: { epoch } }],
      rows: w.rows,
      units: range(0, model.T),
      labelled: true,
      scale: { colors: PROBABILITY_SCALE, min: 0, max: 1 },
    };
  },
  frame(model, epoch, opts = {}) {
    const w = words(opts);
    const rows = predictionsAt(model, epoch) ?? [];
    const input = rows.map(({ t, input: ch }) => ({ ...plain, text: ch, label: w.cellInput(t, ch) }));
    const target = rows.map(({ t, target: ch }) => ({ ...plain, text: ch, label: w.cellTarget(t, ch) }));
    const predicted = rows.map(({ t, predicted: ch, right, target: goal }) => ({
      text: `${ch} ${right ? '✓' : '✗'}`, color: right ? LEARN_COLORS.rightFill : LEARN_COLORS.wrongFill, ink: LEARN_COLORS.ink,
      label: w.cellPredicted(t, ch, right, goal), right,
    }));
    const chance = rows.map(({ t, p, target: ch }) => {
      if (!p) return { ...plain, text: '–', label: w.cellP(t, ch, null) };
      const value = p[model.targetIndex[t]];
      const color = scaleColor(PROBABILITY_SCALE, value, 0, 1);
      return { text: value.toFixed(2), color, ink: inkOn(color), label: w.cellP(t, ch, value.toFixed(4)) };
    });
    return { cells: [[input, target, predicted, chance]] };
  },
};

/** One sentence on the predictions at `epoch`: what the network reads, predicts and should predict. */
export function predictionsSummary(model, epoch, opts = {}) {
  const w = words(opts);
  const rows = predictionsAt(model, epoch);
  if (!rows) return w.noEpoch(epoch);
  const join = (key) => rows.map((r) => r[key]).join('');
  return w.predictionsSummary(epoch, join('input'), join('predicted'), join('target'), rows.filter((r) => r.right).length, model.T);
}

// ---- probabilities over the vocabulary ---------------------------------------------------------

/** The epoch a chart shows: opts.epoch, or the last one trained. */
const shownEpoch = (model, opts) => opts.epoch ?? model.history.at(-1)?.epoch ?? 0;

/**
 * The probabilities of the next character at the snapshot of opts.epoch (or the latest before it):
 * a column per step (labelled by its input character), a row per vocabulary character (in
 * vocabulary order, top down), 0 white to 1 dark blue; a dot on each step's most likely character.
 * Redraw it (figure) when the epoch changes: it is steps x characters, a few dozen cells. null
 * before any snapshot. frame(model, step, opts): the target cells' outlines and the step's column.
 */
export const probabilities = {
  figure(model, opts = {}) {
    const snapshot = snapshotAt(model, shownEpoch(model, opts));
    if (!snapshot) return null;
    const w = words(opts);
    const { T, C } = model;
    const bar = { thickness: opts.compact ? 8 : 12, xpad: 4, ticklen: 3 };
    const margin = margins(opts, {
      left: 1, leftTitle: true, bottomTitle: true, top: 2, right: 3, rightPx: bar.thickness + 2 * bar.xpad + bar.ticklen + 4,
    });
    const layout = chartLayout(opts, ANALYSIS_HEIGHTS.probabilities, margin);
    const area = plotArea(opts, layout);
    const p = snapshot.probabilities; // [T][C]
    const best = p.map(argmax);
    const label = (ch) => plotlyText(ch);
    const data = [
      {
        type: 'heatmap', x: range(0, T), y: range(0, C), z: range(0, C).map((c) => p.map((row) => row[c])), // (C, T)
        zmin: 0, zmax: 1, colorscale: PROBABILITY_SCALE,
        text: range(0, C).map((c) => range(0, T).map((t) => w.probHover(t, label(model.inputs[t]), label(model.vocabulary[c]), p[t][c].toFixed(4)))),
        hovertemplate: '%{text}<extra></extra>', xgap: T <= HEATMAP_GAPS_UP_TO ? 1 : 0, ygap: C <= HEATMAP_GAPS_UP_TO ? 1 : 0,
        colorbar: { ...bar, x: 1, xanchor: 'left', len: 1, outlinewidth: 0, ticks: 'outside', tickvals: [0, 0.5, 1], ticktext: ['0', '0.5', '1'] },
        meta: { epoch: snapshot.epoch },
      },
      {
        type: 'scatter', mode: 'markers', x: range(0, T), y: best,
        marker: { symbol: 'circle', size: Math.round(fontSize(opts) * 0.6), color: LEARN_COLORS.predicted, line: { color: LEARN_COLORS.target, width: 1.5 } },
        text: best.map((c) => w.mostLikely(label(model.vocabulary[c]))), hovertemplate: '%{text}<extra></extra>',
      },
    ];
    const every = cellTick(opts, T, area.w, labelEms(1)) ?? Math.ceil(T / 10);
    const xticks = range(0, T).filter((t) => t % every === 0);
    const yticks = range(0, C).filter((c) => c % (cellTick(opts, C, area.h, 1.3) ?? Math.ceil(C / 10)) === 0);
    layout.xaxis = {
      range: [-0.5, T - 0.5], tickvals: xticks, ticktext: xticks.map((t) => label(model.inputs[t])), showgrid: false, zeroline: false,
      title: { text: w.stepAxis },
    };
    layout.yaxis = {
      range: [C - 0.5, -0.5], tickvals: yticks, ticktext: yticks.map((c) => label(model.vocabulary[c])), showgrid: false, zeroline: false,
      title: { text: w.charAxis },
    };
    layout.annotations = [chartTitle(opts, w.probabilitiesTitle(snapshot.epoch), [0, 1], 1, 1), chartKey(w.key)];
    layout.shapes = probabilities.frame(model, opts.step ?? 0, opts);
    return { data, layout };
  },
  frame(model, step) {
    const targets = model.targetIndex.map((c, t) => ({
      type: 'rect', xref: 'x', yref: 'y', x0: t - 0.5, x1: t + 0.5, y0: c - 0.5, y1: c + 0.5, layer: 'above',
      line: { color: LEARN_COLORS.target, width: 2 },
    }));
    const cursor = {
      type: 'rect', xref: 'x', yref: 'y domain', x0: step - 0.5, x1: step + 0.5, y0: 0, y1: 1, layer: 'above',
      line: { color: LEARN_COLORS.cursor, width: 3 },
    };
    return [...targets, cursor];
  },
};

/** One sentence on the probabilities at a step of the epoch opts.epoch shows: the most likely next character and the target's chance. */
export function probabilitiesSummary(model, step, opts = {}) {
  const w = words(opts);
  const snapshot = snapshotAt(model, shownEpoch(model, opts));
  if (!snapshot) return w.noEpoch(shownEpoch(model, opts));
  const p = snapshot.probabilities[step];
  const k = argmax(p);
  const target = model.targetIndex[step];
  return w.probabilitiesSummary(snapshot.epoch, step, model.inputs[step], model.vocabulary[k], p[k].toFixed(2), model.targets[step], p[target].toFixed(2));
}
