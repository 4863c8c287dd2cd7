// The visualization of one run: the four charts, the step report, the focus (layer, direction,
// unit) and the math panel. Shared by the app page and the embed page, and made to be one of
// several on a page: it keeps no state of its own. It draws what the store holds (the step and the
// view: example, layer, direction, unit, presenter, hide, pane) and asks the store (the view) or the
// timeline (the step) for what the user changes in it.
//
// Only charts on screen are drawn: in a fitted viewer (/embed, presenter mode: `.fit` around it)
// the parts that do not fit share the box as panes (fit.js), and a chart on another pane is drawn
// when its pane is chosen. The first chart is drawn before the others, so the page shows it sooner.
// The analyses (analysisview.js) follow the same store below the charts; a fitted viewer leaves them out.
import { createAnalysisView } from './analysisview.js';
import { COMPACT_WIDTH, FONT, PRESENTER } from './config.js';
import { fitPanes } from './fit.js';
import { gates, heatValues, heatmaps, lines, network, runDetails, shortVector, viewModel } from './frames.js';
import { t as tr } from './i18n.js';
import { explain, positionAt } from './math.js';
import { createChart, createSvgChart } from './plot.js';
import { PARTS } from './state.js';
import { createTable, dataTable } from './table.js';

// Each chart: its spec (frames.js) and what draws it: Plotly, SVG without Plotly for the network
// (the first chart, so a page shows it before Plotly has loaded), tables for the gates.
const CHARTS = {
  network: [network, createSvgChart], heatmaps: [heatmaps, createChart], gates: [gates, createTable], lines: [lines, createChart],
};
// The parts a viewer lays out (the controls stay above them; the analyses have a view of their own).
const LAID_OUT = PARTS.filter((p) => p !== 'controls' && p !== 'analysis');

/**
 * A pause that lets the browser paint what was drawn so far and lets other work go first: until the
 * page's thread is idle (at most a second), so on a course page of many embeds, which share one
 * thread, the others' first charts come before this embed's other charts. A plain task
 * (setTimeout) where there is no requestIdleCallback. Measured (docs/FRONTEND.md, Page load): 20
 * embeds all show a chart in 0.84 of the time a plain task gave; background-priority tasks
 * (scheduler.postTask) gave nothing.
 */
const later = () => new Promise((resolve) => {
  if (globalThis.requestIdleCallback) globalThis.requestIdleCallback(() => resolve(), { timeout: 1000 });
  else setTimeout(resolve, 0);
});

/** The store keys a viewer draws. */
const VIEW_KEYS = ['step', 'example', 'layer', 'direction', 'unit', 'presenter', 'pane'];

/** The view fields of `state` clamped into a run result (an example, layer, unit it has; a direction it has). */
function clampView(result, state) {
  const clamp = (v, hi) => Math.max(0, Math.min(hi, v));
  return {
    example: clamp(state.example, result.inputs.length - 1),
    layer: clamp(state.layer, result.layers.length - 1),
    direction: result.layers[0][state.direction] ? state.direction : 'forward',
    unit: clamp(state.unit, result.config.hidden_size - 1),
  };
}

/** Presenter mode's text scale on a window `height` pixels tall (PRESENTER). */
export function presenterScale(height) {
  return Math.max(PRESENTER.min, (FONT.presenterScale * height) / PRESENTER.height);
}

/**
 * The viewer inside `root`, following `store` (the step and the view) and `timeline` (what moves
 * the step). load(result) draws a run at the store's view; after that every change of VIEW_KEYS
 * in the store is drawn, and the user's picks (the focus menus, clicks on the charts, the panes)
 * go back to the store and the timeline. It draws the parts and charts its root holds
 * ([data-part=...], [data-chart=...]); `controls` is where its step report and focus menus are
 * (the root; on /compare the first column's viewer gets the shared bar, the others null).
 */
export function createViewer(root, { store, timeline, controls = root }) {
  const $ = (selector) => root.querySelector(selector);
  const chart = ([name, [spec, create]]) => [name, create($(`[data-chart=${name}]`), spec)];
  const charts = Object.fromEntries(Object.entries(CHARTS).filter(([name]) => $(`[data-chart=${name}]`)).map(chart));
  const control = (selector) => controls?.querySelector(selector);
  const focus = Object.fromEntries(['example', 'layer', 'direction', 'unit'].map((name) => [name, control(`[data-role=${name}]`)]).filter(([, el]) => el));
  const report = control('[data-role=step-label]');
  const partEl = (part) => root.querySelector(`[data-part=${part}]`);
  const held = LAID_OUT.filter(partEl); // the parts this viewer's root has
  const board = $('.charts');
  let result = null;
  let model = null;
  let loading = false;
  let shared = () => ({}); // the chart options every column of a comparison shares (colour ranges), by view
  let panes = null; // a fitted viewer's panes (fit.js), null otherwise
  const stale = new Set(); // charts whose last draw is not of the current run and options

  const view = () => store.state;
  // The step, held in this run's steps (a viewer following a timeline may be drawn before the timeline knows its run).
  const step = () => Math.min(view().step, model.T - 1);
  const fitted = () => Boolean(root.closest('.fit'));
  const paneIndex = () => (panes ? Math.max(0, Math.min(panes.length - 1, view().pane ?? 0)) : 0);
  // The parts this run shows: not hidden by hide=, and the gates only for a cell that has them.
  const shownParts = () => held.filter((p) => !view().hide.includes(p) && (p !== 'gates' || model.gateNames.length));
  const onScreen = (part) => shownParts().includes(part) && (!panes || panes[paneIndex()].parts.includes(part));
  const visible = () => Object.keys(charts).filter(onScreen);
  const position = (direction) => positionAt(direction, step(), model.length);
  const fontScale = () => (view().presenter ? presenterScale(window.innerHeight) : 1);

  function chartOptions() {
    const width = board.clientWidth || 800;
    const small = Boolean(root.closest('.embed'));
    return {
      layer: view().layer,
      unit: view().unit,
      step: step(),
      fontScale: fontScale(),
      compact: small || width < COMPACT_WIDTH,
      narrow: !fitted() && width < COMPACT_WIDTH,
      fit: fitted(),
      ...shared(view()),
    };
  }
  const analyses = createAnalysisView(root, { store, timeline, options: chartOptions });

  /**
   * A fitted viewer: the panes for its box (fit.js), each part placed on the grid of its pane or
   * taken off screen, and a button per pane when there are several. Other viewers: the page's CSS.
   */
  function layOut() {
    const parts = model ? shownParts() : [];
    for (const part of held) {
      const el = partEl(part);
      el.style.gridRow = '';
      el.style.gridColumn = '';
      el.classList.remove('off-pane');
    }
    board.style.gridTemplateRows = '';
    const need = fitted() ? naturalHeights(['math', 'gates'].filter((p) => parts.includes(p)), parts) : undefined;
    const fit = () => {
      const gap = parseFloat(getComputedStyle(board).rowGap) || 0;
      const box = { width: board.clientWidth, height: board.clientHeight, gap, layers: model?.L ?? 1, need };
      return fitted() && parts.length ? fitPanes(parts, box, fontScale()) : null;
    };
    const tabs = $('[data-role=panes]');
    panes = fit();
    // The pane buttons take their row from the board: fit again in what they leave, until they stay
    // as they are (else the first fit's charts are drawn and then taken off screen).
    for (let k = 0; tabs && k < 2 && showTabs(tabs); k += 1) panes = fit();
    if (tabs) showTabs(tabs);
    if (!panes || !tabs) return;
    const pane = panes[paneIndex()];
    for (const part of parts) partEl(part).classList.toggle('off-pane', !pane.parts.includes(part));
    board.style.gridTemplateRows = pane.rows.map((row) => (row.px ? `${row.px}px` : `minmax(0, ${row.weight}fr)`)).join(' ');
    pane.rows.forEach((row, r) => row.cells.forEach(({ part, column, span }) => {
      partEl(part).style.gridRow = String(r + 1);
      partEl(part).style.gridColumn = `${column + 1} / span ${span}`;
    }));
  }

  /**
   * The pane buttons for `panes` (hidden with fewer than two), the one shown pressed; true when
   * their row changed (shown or hidden, other names). The same panes keep their buttons (a button
   * pressed by keyboard keeps the focus); others are new ones.
   */
  function showTabs(tabs) {
    const names = panes && panes.length > 1 ? panes.map((p) => p.parts.map((part) => tr(`part.${part}`)).join(' · ')) : [];
    const hidden = !names.length;
    let changed = tabs.hidden !== hidden;
    tabs.hidden = hidden;
    if (!hidden && [...tabs.children].map((button) => button.textContent).join('\n') !== names.join('\n')) {
      changed = true;
      tabs.replaceChildren(...names.map((textContent, k) => {
        const button = Object.assign(document.createElement('button'), { type: 'button', textContent });
        button.addEventListener('click', () => store.set({ pane: k }));
        return button;
      }));
    }
    [...tabs.children].forEach((button, k) => button.setAttribute('aria-pressed', String(k === paneIndex())));
    return changed;
  }

  /**
   * The heights of parts whose text sets them (the math's lines, the gates' rows), each across the
   * board on a row of its own (the math's place in a fitted viewer, near enough for the gates),
   * measured together: one layout.
   */
  function naturalHeights(names, parts) {
    for (const part of parts) partEl(part).classList.toggle('off-pane', !names.includes(part));
    names.forEach((name, k) => {
      Object.assign(partEl(name).style, { gridColumn: '1 / -1', gridRow: String(k + 1) });
      partEl(name).classList.add('measuring');
    });
    const heights = Object.fromEntries(names.map((name) => [name, partEl(name).getBoundingClientRect().height]));
    for (const name of names) {
      Object.assign(partEl(name).style, { gridColumn: '', gridRow: '' });
      partEl(name).classList.remove('measuring');
    }
    return heights;
  }

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
    if (!$('[data-role=math]')) return;
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

  /** The heatmaps' numbers at this step as a table a screen reader reads (the card's tables stay images). */
  function renderValues() {
    if (!onScreen('heatmaps') || !$('[data-role=heat-now]')) return;
    $('[data-role=heat-now]').replaceChildren(dataTable(heatValues.now(model, step(), view())));
    if ($('[data-role=heat-all]').open) renderAllValues();
  }

  function renderAllValues() {
    $('[data-role=heat-all-tables]').replaceChildren(...heatValues.all(model, view()).map(dataTable));
  }

  async function showStep() {
    if (report) report.textContent = stepLabel();
    if (onScreen('math')) renderMath();
    renderValues();
    await Promise.all(visible().map((name) => charts[name].show(step())));
  }

  function fillFocus() {
    const exampleName = (b) => (result.tokens ? tr('viewer.example_text', { b, text: result.tokens[b].join('') }) : tr('viewer.example', { b }));
    focus.example?.replaceChildren(...result.inputs.map((_, b) => new Option(exampleName(b), String(b))));
    focus.layer?.replaceChildren(...result.layers.map((_, l) => new Option(tr('viewer.layer', { layer: l + 1 }), String(l))));
    focus.direction?.replaceChildren(...model.dirs.map((d) => new Option(tr(`direction.${d}`), d)));
    if (focus.unit) focus.unit.max = String(model.H - 1);
    syncFocus();
  }

  function syncFocus() {
    for (const [name, el] of Object.entries(focus)) el.value = String(view()[name]);
  }

  /** Draw charts `names` (marked stale) that are on screen, the first before the rest; the others wait for their pane. */
  async function draw(names) {
    for (const name of names) stale.add(name);
    const due = visible().filter((name) => stale.has(name));
    if (!due.length) return;
    const opts = chartOptions();
    for (const name of due) stale.delete(name);
    await charts[due[0]].draw(model, opts);
    if (due.length > 1) {
      await later();
      await Promise.all(due.slice(1).map((name) => charts[name].draw(model, opts)));
    }
  }

  /** Lay the parts out again and draw what came on screen (a new pane, a new box, presenter mode). */
  async function relayOut() {
    const before = JSON.stringify(panes);
    layOut();
    if (JSON.stringify(panes) === before && !stale.size) return;
    await draw([]);
    await showStep();
  }

  // What a change of the store redraws: a new example or text size every chart, a new focus the
  // gates and lines (they show the focused layer and unit), a new pane what it shows, a new step
  // only the step's shapes.
  store.subscribe(VIEW_KEYS, async (state, changed) => {
    if (loading || !result) return;
    const refocused = ['example', 'layer', 'direction', 'unit'].some((key) => changed.has(key));
    if (changed.has('example')) model = viewModel(result, state.example);
    if (refocused) syncFocus();
    const redrawn = ['example', 'presenter', 'pane'].some((key) => changed.has(key));
    if (redrawn) root.setAttribute('aria-busy', 'true'); // charts are being drawn anew
    if (changed.has('presenter') || changed.has('pane')) layOut();
    if (changed.has('example') || changed.has('presenter')) await draw(Object.keys(charts));
    else if (refocused) await draw(['gates', 'lines']);
    else if (changed.has('pane')) await draw([]);
    await showStep();
    if (redrawn) root.setAttribute('aria-busy', 'false');
  });
  // A fitted viewer's box changes with its frame (or the window): the panes may change with it.
  if (board) {
    new ResizeObserver(() => {
      if (result && !loading && fitted()) relayOut();
    }).observe(board);
  }

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
  $('[data-role=heat-all]')?.addEventListener('toggle', (event) => {
    if (event.target.open && model) renderAllValues();
  });

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
      this.markStale(false);
      const details = $('[data-role=run-details]');
      if (details && result.meta) details.textContent = runDetails(result.meta);
      partEl('gates')?.classList.toggle('empty', !model.gateNames.length);
      fillFocus();
      // The step report, the math's lines and the gates' rows set heights in a fitted viewer: written before it is laid out.
      if (report) report.textContent = stepLabel();
      renderMath();
      if (model.gateNames.length && charts.gates) await charts.gates.draw(model, chartOptions());
      layOut();
      await draw(Object.keys(charts));
      await showStep();
      await analyses.load(result, extra);
    },
    /** Mark what is on screen as not the run the page asked for (a run that failed), or clear the mark. */
    markStale(on) {
      root.classList.toggle('stale', on);
      const note = $('[data-role=stale-note]');
      if (note) note.hidden = !on;
    },
    /** The run on screen (null before the first). */
    get result() {
      return result;
    },
  };
}
