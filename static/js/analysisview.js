// The analyses of one run (SPEC §6) on screen: the connectivity map and the memory-reach curve of
// the focused layer and direction, and its state trajectories, drawn by analysisframes.js at the
// store's step like the viewer's other charts. A viewer makes one for its root (viewer.js); it
// draws only inside the root's [data-part=analysis], and nothing when there is none (/embed of a
// single run). It keeps only its run: the step and the view come from the store; a click on the
// map moves the timeline to the step that reads that row.
import {
  analysisModel, connectivity, connectivitySummary, reach, reachSummary, trajectory, trajectorySummary,
} from './analysisframes.js';
import { positionAt } from './math.js';
import { createChart } from './plot.js';

const SPECS = { connectivity, reach, trajectory };

// Which analysis (SPEC §6 field) each chart draws.
const NEEDS = { connectivity: 'connectivity', reach: 'connectivity', trajectory: 'trajectory' };

/** The store keys the analyses draw. */
const ANALYSIS_KEYS = ['step', 'example', 'layer', 'direction', 'presenter'];

/**
 * The analyses inside `root`'s [data-part=analysis] (none: a view that draws nothing), following
 * `store` (step and view) and `timeline`; `options()` gives the charts' options (the viewer's:
 * layer, text size, compact, and what the columns of a comparison share: `range`, the
 * connectivity colour range). load(result, {refused}) draws a run, `refused` saying why
 * connectivity is missing (api.js' runAnalysed). unload() forgets the run until the next load.
 */
export function createAnalysisView(root, { store, timeline, options }) {
  const part = root.querySelector('[data-part=analysis]');
  if (!part) return { unload() {}, load: async () => {} };
  const $ = (selector) => part.querySelector(selector);
  const charts = Object.fromEntries(Object.entries(SPECS).map(([name, spec]) => [name, createChart($(`[data-chart=${name}]`), spec)]));
  let result = null;
  let model = null;
  let drawnWith = {}; // the options of the last draw (a step changes none of them)

  const view = () => store.state;
  const step = () => Math.min(view().step, model.T - 1);
  const opts = () => ({ ...options(), direction: view().direction });
  const has = (name) => result.layers[0].forward[NEEDS[name]] !== undefined;
  const drawn = () => Object.keys(charts).filter(has);
  // A fitted viewer (/embed, presenter mode: `.fit` around it) fills its box with the other parts.
  const shown = () => result && !view().hide.includes('analysis') && !root.closest('.fit');

  async function draw() {
    drawnWith = opts();
    const o = drawnWith;
    $('[data-summary=reach]').textContent = has('reach') ? reachSummary(model, o) : '';
    await Promise.all(drawn().map((name) => charts[name].draw(model, o)));
  }

  async function showStep() {
    const o = drawnWith;
    $('[data-summary=connectivity]').textContent = has('connectivity') ? connectivitySummary(model, step(), o) : '';
    $('[data-summary=trajectory]').textContent = has('trajectory') ? trajectorySummary(model, step(), o) : '';
    await Promise.all(drawn().map((name) => charts[name].show(step())));
  }

  store.subscribe(ANALYSIS_KEYS, async (state, changed) => {
    if (!shown()) return;
    if (changed.has('example')) model = analysisModel(result, state.example);
    if (['example', 'layer', 'direction', 'presenter'].some((key) => changed.has(key))) await draw();
    await showStep();
  });

  // A click on the map goes to the step that computes that row's state (its t), playback stopped.
  charts.connectivity.onClick(({ direction }, point) => timeline.seek(positionAt(direction, point.y, model.length)));

  return {
    unload() {
      result = null;
    },
    async load(newResult, { refused = null } = {}) {
      result = newResult;
      model = analysisModel(result, view().example);
      $('[data-role=analysis-note]').textContent = refused ?? '';
      for (const name of Object.keys(charts)) $(`[data-figure=${name}]`).hidden = !has(name);
      // A run with no analyses, none refused (one the page did not ask them for: /learn's), shows no part.
      if (!refused && !drawn().length) part.hidden = true;
      if (!shown()) return;
      await draw();
      await showStep();
    },
  };
}
