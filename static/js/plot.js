// Plotly glue: draw a figure once per run, then redraw only the shapes each step changes (never a rebuild).
import { PLOT_CONFIG } from './config.js';
import { shapeUpdate } from './frames.js';
import { messagesUnder, pageLanguage } from './i18n.js';

const { Plotly } = window;
// Plotly's own words (its toolbar's tooltips, its notices) in the page's language: the catalog's
// plotly.* messages, keyed by Plotly's English as its locale dictionaries are.
const CONFIG = {
  ...PLOT_CONFIG, locale: pageLanguage(), locales: { [pageLanguage()]: { dictionary: messagesUnder('plotly.') } },
};

/**
 * Plotly's toolbar buttons out of the Tab order: a keyboard reader gets the chart's own PNG button
 * and the viewer's keys instead of a dozen zoom tools per chart (the toolbar still answers the mouse).
 */
function untab(el) {
  for (const button of el.querySelectorAll('.modebar-btn')) button.tabIndex = -1;
}

/**
 * A chart in `el` drawn by `spec` (one of frames.js' Plotly charts): draw(model, opts) once per run,
 * show(step) per step. A spec with page() (the network's window) is redrawn only when the page changes.
 */
export function createChart(el, spec) {
  let model = null;
  let opts = {};
  let shapes = [];
  let at = 0; // the step shown
  let clickHandler = null;
  // The size in pixels, always given: without it Plotly reads the element's computed style on every
  // update (a forced style recalculation, a fifth of the playback time on large runs). A fitted chart
  // (/embed, presenter mode) takes its height from the page too.
  const size = () => ({ width: el.clientWidth || undefined, ...(el.closest('.fit') ? { height: el.clientHeight || undefined } : {}) });
  // A new size is a new figure (the panels, ticks and network columns are laid out for the pixels they
  // have), drawn at the step shown.
  new ResizeObserver(async () => {
    const { width, height = el.layout?.height } = size();
    if (!el.data || (width === el.layout.width && height === el.layout.height)) return;
    opts = { ...opts, ...size() };
    await render();
    await chart.show(at);
  }).observe(el);

  async function render() {
    const figure = spec.figure(model, opts);
    const layout = { ...figure.layout, ...size() };
    const first = !el.data;
    shapes = figure.layout.shapes;
    await Plotly.react(el, figure.data, layout, CONFIG);
    untab(el);
    if (first) {
      el.on('plotly_click', (event) => {
        const point = event.points[0];
        if (clickHandler && point?.data.meta) clickHandler(point.data.meta, point);
      });
    }
  }

  const chart = {
    /** Draw a new run (or new options: focus layer, unit, font scale). */
    async draw(newModel, newOpts) {
      model = newModel;
      opts = { ...newOpts, ...size() };
      opts.start = spec.page ? spec.page(model, opts.step ?? 0, opts) : 0;
      await render();
    },
    /** Move to playback step `step`: replace the shapes if they changed. */
    async show(step) {
      if (!model) return;
      at = step;
      const start = spec.page ? spec.page(model, step, opts) : 0;
      if (start !== opts.start) {
        opts = { ...opts, start };
        await render();
      }
      // The whole array, never single shapes: Plotly redraws only the shapes when given a new array of the
      // same length, but re-plots the chart for an edit inside one (measured: 5-10x slower).
      const next = spec.frame(model, step, opts);
      const update = shapeUpdate(shapes, next);
      shapes = next;
      if (Object.keys(update).length) await Plotly.relayout(el, update);
    },
    /** Save the chart as a PNG file. */
    png(filename) {
      return Plotly.downloadImage(el, { format: 'png', filename, width: el.clientWidth, height: el.clientHeight, scale: 2 });
    },
    /** Call handler(trace meta, point) when a data point is clicked. */
    onClick(handler) {
      clickHandler = handler;
    },
  };
  return chart;
}
