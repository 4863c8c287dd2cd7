// The visualization of one run: the four charts, playback, the focus (layer, direction, unit) and
// the math panel. Shared by the app page and the embed page.
import { COMPACT_WIDTH, FONT } from './config.js';
import { gates, heatmaps, lines, network, shortVector, viewModel } from './frames.js';
import { explain, positionAt } from './math.js';
import { createPlayer } from './player.js';
import { createChart } from './plot.js';
import { PARTS } from './state.js';
import { createTable } from './table.js';

// Each chart: its spec (frames.js) and what draws it (Plotly, or tables for the gates).
const CHARTS = {
  network: [network, createChart], heatmaps: [heatmaps, createChart], gates: [gates, createTable], lines: [lines, createChart],
};

function option(value, text) {
  const o = document.createElement('option');
  o.value = String(value);
  o.textContent = text;
  return o;
}

/**
 * The viewer inside `root`. load(result, view) draws a run at a view ({example, step, layer,
 * direction, unit, speed, presenter, hide}); onChange(partialView) reports what the user changed.
 */
export function createViewer(root, { onChange }) {
  const $ = (selector) => root.querySelector(selector);
  const chart = ([name, [spec, create]]) => [name, create($(`[data-chart=${name}]`), spec)];
  const charts = Object.fromEntries(Object.entries(CHARTS).map(chart));
  const focus = Object.fromEntries(['example', 'layer', 'direction', 'unit'].map((name) => [name, $(`[data-role=${name}]`)]));
  let result = null;
  let model = null;
  let view = {};

  const visible = () => Object.keys(charts).filter((name) => !view.hide.includes(name));
  const position = (direction) => positionAt(direction, view.step, model.length);
  const report = (change) => {
    view = { ...view, ...change };
    onChange(change);
  };

  const player = createPlayer($('.playback'), {
    onStep: (step) => showStep(step),
    onPause: (step) => report({ step }),
    onSpeed: (speed) => report({ speed }),
  });

  function chartOptions() {
    const width = $('.charts').clientWidth || 800;
    const fit = Boolean(root.closest('.fit'));
    return {
      layer: view.layer,
      unit: view.unit,
      step: view.step,
      fontScale: view.presenter ? FONT.presenterScale : 1,
      compact: fit || width < COMPACT_WIDTH,
      narrow: !fit && width < COMPACT_WIDTH,
    };
  }

  function stepLabel() {
    const tokens = result.tokens?.[view.example];
    const read = (d) => {
      const t = position(d);
      if (t >= model.length) return `${d}: t = ${t} is padding`;
      return `${d} reads ${tokens ? `“${tokens[t]}”` : shortVector(result.inputs[view.example][t])} at t = ${t}`;
    };
    return `Step ${view.step + 1} of ${model.T} · ${model.dirs.map(read).join(' · ')}`;
  }

  function renderMath() {
    const { layer, direction, unit, example } = view;
    const t = position(direction);
    const panel = explain(result, { layer, direction, b: example, t, unit });
    $('[data-role=math-heading]').textContent = `Layer ${layer + 1} · ${direction} · unit ${unit} · example ${example} · t = ${t}`;
    $('[data-role=math]').replaceChildren(...panel.lines.map((line) => {
      const div = document.createElement('div');
      div.className = `math-${line.kind}${line.ok === false ? ' mismatch' : ''}`;
      div.textContent = line.text;
      return div;
    }));
  }

  async function showStep(step) {
    view.step = step;
    $('[data-role=step-label]').textContent = stepLabel();
    if (!view.hide.includes('math')) renderMath();
    await Promise.all(visible().map((name) => charts[name].show(step)));
  }

  function fillFocus() {
    const exampleName = (b) => (result.tokens ? `${b}: ${result.tokens[b].join('')}` : `example ${b}`);
    focus.example.replaceChildren(...result.inputs.map((_, b) => option(b, exampleName(b))));
    focus.layer.replaceChildren(...result.layers.map((_, l) => option(l, `layer ${l + 1}`)));
    focus.direction.replaceChildren(...model.dirs.map((d) => option(d, d)));
    focus.unit.max = String(model.H - 1);
    syncFocus();
  }

  function syncFocus() {
    for (const [name, el] of Object.entries(focus)) el.value = String(view[name]);
  }

  function draw(names) {
    const opts = chartOptions();
    return Promise.all(names.filter((n) => visible().includes(n)).map((name) => charts[name].draw(model, opts)));
  }

  async function refocus(change, step = view.step) {
    const newExample = change.example !== undefined && change.example !== view.example;
    const before = view.step;
    report(change);
    if (newExample) model = viewModel(result, view.example);
    syncFocus();
    await draw(newExample ? Object.keys(charts) : ['gates', 'lines']);
    await player.reset(model.T, step);
    if (player.step !== before) report({ step: player.step });
  }

  for (const [name, el] of Object.entries(focus)) {
    el.addEventListener('change', () => {
      const number = Math.max(0, Math.min(Number(el.max || Infinity), Number(el.value) || 0));
      refocus({ [name]: name === 'direction' ? el.value : number });
    });
  }
  // A click on a chart explains that unit; on the time charts it also moves to the step that reads position t.
  const pick = ({ layer, direction }, unit, t) => {
    refocus({ layer, direction, unit }, t === undefined ? view.step : positionAt(direction, t, model.length));
  };
  charts.heatmaps.onClick((meta, point) => pick(meta, point.y, point.x));
  charts.lines.onClick((meta, point) => pick(meta, meta.unit, point.x));
  charts.gates.onClick((meta, point) => pick(meta, point.x));
  for (const button of root.querySelectorAll('[data-png]')) {
    button.addEventListener('click', () => charts[button.dataset.png].png(`rnn-${button.dataset.png}-step${view.step}`));
  }

  return {
    /** Draw a run at a view; out-of-range view fields are clamped to the run. */
    async load(newResult, newView) {
      result = newResult;
      const clamp = (v, hi) => Math.max(0, Math.min(hi, v));
      const example = clamp(newView.example, result.inputs.length - 1);
      model = viewModel(result, example);
      view = {
        ...newView,
        example,
        step: clamp(newView.step, model.T - 1),
        layer: clamp(newView.layer, model.L - 1),
        direction: model.dirs.includes(newView.direction) ? newView.direction : 'forward',
        unit: clamp(newView.unit, model.H - 1),
      };
      for (const part of PARTS) root.querySelectorAll(`[data-part=${part}]`).forEach((el) => { el.hidden = view.hide.includes(part); });
      root.hidden = false;
      player.setSpeed(view.speed);
      fillFocus();
      await draw(Object.keys(charts));
      await player.reset(model.T, view.step);
    },
    /** Redraw for a new font scale (presenter mode) or size. */
    async restyle(change) {
      view = { ...view, ...change };
      if (!result) return;
      await draw(Object.keys(charts));
      await showStep(view.step);
    },
    /** Start playback. */
    play: () => player.play(),
  };
}
