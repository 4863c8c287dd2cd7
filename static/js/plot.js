// Plotly glue: draw a figure once per run, then apply each step's small update (never a rebuild).
import { PLOT_CONFIG } from './config.js';

const { Plotly } = window;

/**
 * A chart in `el` drawn by `spec` (one of frames.js' charts): draw(model, opts) once per run,
 * show(step) per step. A spec with page() (the network's window) is redrawn only when the page changes.
 */
export function createChart(el, spec) {
  let model = null;
  let opts = {};
  let clickHandler = null;
  const fit = Boolean(el.closest('.fit'));
  const part = el.closest('[data-part]');
  // Plotly's `responsive` follows the window only; a container can change size on its own.
  new ResizeObserver(() => el.data && Plotly.Plots.resize(el)).observe(el);

  async function render() {
    const figure = spec.figure(model, opts);
    part.classList.toggle('empty', !figure);
    if (!figure) return;
    const layout = fit ? { ...figure.layout, height: undefined, autosize: true } : figure.layout;
    const first = !el.data;
    await Plotly.react(el, figure.data, layout, PLOT_CONFIG);
    if (first) {
      el.on('plotly_click', (event) => {
        const point = event.points[0];
        if (clickHandler && point?.data.meta) clickHandler(point.data.meta, point);
      });
    }
  }

  return {
    /** Draw a new run (or new options: focus layer, unit, font scale). */
    async draw(newModel, newOpts) {
      model = newModel;
      opts = { ...newOpts, start: spec.page ? spec.page(model, newOpts.step ?? 0, newOpts) : 0 };
      await render();
    },
    /** Move to playback step `step`. */
    async show(step) {
      if (!model || part.classList.contains('empty')) return;
      const start = spec.page ? spec.page(model, step, opts) : 0;
      if (start !== opts.start) {
        opts = { ...opts, start };
        await render();
      }
      const update = spec.frame(model, step, opts);
      if (update.traces.length) await Plotly.restyle(el, update.data, update.traces);
      if (Object.keys(update.layout).length) await Plotly.relayout(el, update.layout);
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
}
