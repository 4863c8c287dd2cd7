// The visualization of one run: the four charts, the step report, the focus (layer, direction,
// unit) and the math panel. Shared by the app page and the embed page, and made to be one of
// several on a page: it keeps no state of its own. It draws what the store holds (the step and the
// view: example, layer, direction, unit, presenter, hide) and asks the store (the view) or the
// timeline (the step) for what the user changes in it.
import { createAnalysisView } from './analysisview.js';
import { COMPACT_WIDTH, FONT } from './config.js';
import { gates, heatmaps, lines, network, shortVector, viewModel } from './frames.js';
import { t as tr } from './i18n.js';
import { explain, positionAt } from './math.js';
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

/** The store keys a viewer draws. */
export const VIEW_KEYS = ['step', 'example', 'layer', 'direction', 'unit', 'presenter'];

/** The view fields of `state` clamped into a run result (an example, layer, unit it has; a direction it has). */
export function clampView(result, state) {
  const clamp = (v, hi) => Math.max(0, Math.min(hi, v));
  return {
    example: clamp(state.example, result.inputs.length - 1),
    layer: clamp(state.layer, result.layers.length - 1),
    direction: result.layers[0][state.direction] ? state.direction : 'forward',
    unit: clamp(state.unit, result.config.hidden_size - 1),
  };
}

/**
 * The viewer inside `root`, following `store` (the step and the view) and `timeline` (what moves
 * the step). load(result) draws a run at the store's view; after that every change of VIEW_KEYS
 * in the store is drawn, and the user's picks (the focus menus, clicks on the charts) go back to
 * the store and the timeline. It draws the charts its root holds ([data-chart=...]); `controls`
 * is where its step report and focus menus are (the root; on /compare the first column's viewer
 * gets the shared bar, the others null).
 */
export function createViewer(root, { store, timeline, controls = root }) {
  const $ = (selector) => root.querySelector(selector);
  const chart = ([name, [spec, create]]) => [name, create($(`[data-chart=${name}]`), spec)];
  const charts = Object.fromEntries(Object.entries(CHARTS).filter(([name]) => $(`[data-chart=${name}]`)).map(chart));
  const control = (selector) => controls?.querySelector(selector);
  const focus = Object.fromEntries(['example', 'layer', 'direction', 'unit'].map((name) => [name, control(`[data-role=${name}]`)]).filter(([, el]) => el));
  const report = control('[data-role=step-label]');
  let result = null;
  let model = null;
  let loading = false;
  let shared = () => ({}); // the chart options every column of a comparison shares (colour ranges), by view

  const view = () => store.state;
  // The step, held in this run's steps (a viewer following a timeline may be drawn before the timeline knows its run).
  const step = () => Math.min(view().step, model.T - 1);
  const visible = () => Object.keys(charts).filter((name) => !view().hide.includes(name));
  const position = (direction) => positionAt(direction, step(), model.length);

  function chartOptions() {
    const width = $('.charts').clientWidth || 800;
    const fit = Boolean(root.closest('.fit'));
    return {
      layer: view().layer,
      unit: view().unit,
      step: step(),
      fontScale: view().presenter ? FONT.presenterScale : 1,
      compact: fit || width < COMPACT_WIDTH,
      narrow: !fit && width < COMPACT_WIDTH,
      ...shared(view()),
    };
  }
  const analyses = createAnalysisView(root, { store, timeline, options: chartOptions });

  /** The step report: "Step 2 of 5 · forward reads “e” at t = 1 · …". */
  function stepLabel() {
    const { example } = view();
    const tokens = result.tokens?.[example];
    const read = (d) => {
      const t = position(d);
      const direction = tr(`direction.${d}`);
      if (t >= model.length) return tr('viewer.reads_padding', { direction, t });
      return tr('viewer.reads', { direction, t, input: tokens ? `“${tokens[t]}”` : shortVector(result.inputs[example][t]) });
    };
    return tr('viewer.step_report', { step: step() + 1, steps: model.T, reads: model.dirs.map(read).join(' · ') });
  }

  function renderMath() {
    const { layer, direction, unit, example } = view();
    const t = position(direction);
    const panel = explain(result, { layer, direction, b: example, t, unit });
    $('[data-role=math-heading]').textContent = tr('viewer.math_heading', {
      layer: layer + 1, direction: tr(`direction.${direction}`), unit, example, t,
    });
    $('[data-role=math]').replaceChildren(...panel.lines.map((line) => {
      const div = document.createElement('div');
      div.className = `math-${line.kind}${line.ok === false ? ' mismatch' : ''}`;
      div.textContent = line.text;
      return div;
    }));
  }

  async function showStep() {
    if (report) report.textContent = stepLabel();
    if ($('[data-role=math]') && !view().hide.includes('math')) renderMath();
    await Promise.all(visible().map((name) => charts[name].show(step())));
  }

  function fillFocus() {
    const exampleName = (b) => (result.tokens ? tr('viewer.example_text', { b, text: result.tokens[b].join('') }) : tr('viewer.example', { b }));
    focus.example?.replaceChildren(...result.inputs.map((_, b) => option(b, exampleName(b))));
    focus.layer?.replaceChildren(...result.layers.map((_, l) => option(l, tr('viewer.layer', { layer: l + 1 }))));
    focus.direction?.replaceChildren(...model.dirs.map((d) => option(d, tr(`direction.${d}`))));
    if (focus.unit) focus.unit.max = String(model.H - 1);
    syncFocus();
  }

  function syncFocus() {
    for (const [name, el] of Object.entries(focus)) el.value = String(view()[name]);
  }

  function draw(names) {
    const opts = chartOptions();
    return Promise.all(names.filter((n) => visible().includes(n)).map((name) => charts[name].draw(model, opts)));
  }

  // What a change of the store redraws: a new example or text size every chart, a new focus the
  // gates and lines (they show the focused layer and unit), a new step only the step's shapes.
  store.subscribe(VIEW_KEYS, async (state, changed) => {
    if (loading || !result) return;
    const refocused = ['example', 'layer', 'direction', 'unit'].some((key) => changed.has(key));
    if (changed.has('example')) model = viewModel(result, state.example);
    if (refocused) syncFocus();
    if (changed.has('example') || changed.has('presenter')) await draw(Object.keys(charts));
    else if (refocused) await draw(['gates', 'lines']);
    await showStep();
  });

  /** Explain another unit (and example): playback stops, as the user is looking at one step. */
  async function refocus(change) {
    await timeline.pause();
    await store.set(change);
  }

  for (const [name, el] of Object.entries(focus)) {
    el.addEventListener('change', () => {
      const number = Math.max(0, Math.min(Number(el.max || Infinity), Number(el.value) || 0));
      refocus({ [name]: name === 'direction' ? el.value : number });
    });
  }
  // A click on a chart explains that unit; on the time charts it also moves to the step that reads position t.
  const pick = async ({ layer, direction }, unit, t) => {
    await refocus({ layer, direction, unit });
    if (t !== undefined) await timeline.seek(positionAt(direction, t, model.length));
  };
  charts.heatmaps?.onClick((meta, point) => pick(meta, point.y, point.x));
  charts.lines?.onClick((meta, point) => pick(meta, meta.unit, point.x));
  charts.gates?.onClick((meta, point) => pick(meta, point.x));
  for (const button of root.querySelectorAll('[data-png]')) {
    button.addEventListener('click', () => charts[button.dataset.png].png(`rnn-${button.dataset.png}-step${step()}`));
  }

  return {
    /**
     * Draw a run at the store's view: the view is clamped into the run first, and the timeline
     * given its steps. `extra`: {shared (state -> the chart options every column of a comparison
     * shares), refused (why connectivity is missing: analysisview.js)}.
     */
    async load(newResult, extra = {}) {
      loading = true;
      analyses.unload();
      shared = extra.shared ?? (() => ({}));
      try {
        result = newResult;
        const clamped = clampView(result, view());
        model = viewModel(result, clamped.example);
        await timeline.setCount(model.T);
        await store.set(clamped);
      } finally {
        loading = false;
      }
      for (const part of PARTS) root.querySelectorAll(`[data-part=${part}]`).forEach((el) => { el.hidden = view().hide.includes(part); });
      root.hidden = false;
      fillFocus();
      await draw(Object.keys(charts));
      await showStep();
      await analyses.load(result, extra);
    },
  };
}
