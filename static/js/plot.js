// Chart glue: draw a figure once per run, then redraw only the shapes each step changes (never a
// rebuild). Two renderers behind one chart: Plotly, loaded the first time a Plotly chart is drawn
// (pages name its script in <meta name=plotly>; the HTML export inlines it), and svgfigure.js for
// the simple figures (the unrolled network), drawn at once without Plotly.
import { COMPACT_WIDTH, PLOT_CONFIG } from './config.js';
import { shapeUpdate } from './frames.js';
import { messagesUnder, pageLanguage } from './i18n.js';
import { figureMarkup, geometry, shapesMarkup } from './svgfigure.js';
import { saveCanvas } from './table.js';

// Plotly's own words (its toolbar's tooltips, its notices) in the page's language: the catalog's
// plotly.* messages, keyed by Plotly's English as its locale dictionaries are.
const CONFIG = {
  ...PLOT_CONFIG, locale: pageLanguage(), locales: { [pageLanguage()]: { dictionary: messagesUnder('plotly.') } },
};

let loading = null;
/**
 * Plotly, loaded once per page on first use: the page's own copy when it has one (the HTML export
 * inlines it), else the script <meta name=plotly> names, from this app (the CSP allows only 'self').
 */
function plotly() {
  if (globalThis.Plotly) return Promise.resolve(globalThis.Plotly);
  loading ??= new Promise((resolve, reject) => {
    const src = document.querySelector('meta[name=plotly]')?.content;
    if (!src) throw new Error('this page names no Plotly script (<meta name=plotly>)');
    const script = Object.assign(document.createElement('script'), { src });
    script.addEventListener('load', () => (globalThis.Plotly ? resolve(globalThis.Plotly) : reject(new Error(`${src} defined no Plotly`))));
    script.addEventListener('error', () => {
      loading = null; // a later chart tries again
      reject(new Error(`Plotly did not load from ${src}`));
    });
    document.head.append(script);
  });
  return loading;
}

/**
 * Plotly's toolbar buttons out of the Tab order: a keyboard reader gets the chart's own PNG button
 * and the viewer's keys instead of a dozen zoom tools per chart (the toolbar still answers the mouse).
 */
function untab(el) {
  for (const button of el.querySelectorAll('.modebar-btn')) button.tabIndex = -1;
}

/** Draws with Plotly: its toolbar, hover labels, clicks on points. */
const PLOTLY = {
  ready: plotly,
  async react(el, data, layout, onPoint) {
    const Plotly = await plotly();
    const first = !el.data;
    await Plotly.react(el, data, layout, CONFIG);
    untab(el);
    if (first) el.on('plotly_click', (event) => onPoint(event.points[0]));
  },
  async restyle(el, shapes, update) {
    if (Object.keys(update).length) await (await plotly()).relayout(el, update);
  },
  async png(el, filename) {
    return (await plotly()).downloadImage(el, { format: 'png', filename, width: el.clientWidth, height: el.clientHeight, scale: 2 });
  },
};

/**
 * Draws with svgfigure.js, into one <svg> of the element's size. The element keeps the figure as a
 * Plotly chart keeps it (`el.data`, `el.layout`), so a page reads any chart the same way. Hover
 * labels are the SVG's <title>s; it reports no clicks.
 */
const SVG = {
  ready: async () => {},
  async react(el, data, layout) {
    const { width = COMPACT_WIDTH, height = layout.height } = layout; // frames.js' width when none is given
    el.innerHTML = figureMarkup(data, layout, width, height);
    Object.assign(el, { data, layout });
  },
  async restyle(el, shapes, update) {
    if (!Object.keys(update).length) return;
    el.layout = { ...el.layout, shapes };
    const g = geometry(el.layout, el.layout.width ?? COMPACT_WIDTH, el.layout.height);
    for (const layer of ['below', 'above']) el.querySelector(`.shapes-${layer}`).innerHTML = shapesMarkup(shapes, g, layer);
  },
  /** The SVG painted on a canvas at twice its pixels (as Plotly's PNGs are), saved as a PNG. */
  async png(el, filename) {
    const svg = el.querySelector('svg');
    const { width, height } = svg.viewBox.baseVal;
    const url = URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(svg)], { type: 'image/svg+xml' }));
    try {
      const image = new Image();
      image.src = url;
      await image.decode();
      const canvas = Object.assign(document.createElement('canvas'), { width: width * 2, height: height * 2 });
      canvas.getContext('2d').drawImage(image, 0, 0, width * 2, height * 2);
      saveCanvas(canvas, filename);
    } finally {
      URL.revokeObjectURL(url);
    }
  },
};

/**
 * A chart in `el` drawn by `spec` (one of frames.js' figures) with `renderer` (Plotly unless
 * given): draw(model, opts) once per run, show(step) per step. A spec with page() (the network's
 * window) is redrawn only when the page changes.
 */
export function createChart(el, spec, renderer = PLOTLY) {
  let model = null;
  let opts = {};
  let shapes = [];
  let at = 0; // the step shown
  let clickHandler = null;
  // The size in pixels, always given: without it Plotly reads the element's computed style on every
  // update (a forced style recalculation, a fifth of the playback time on large runs). A fitted chart
  // (/embed, presenter mode) takes its height from the page too.
  // Sizes the element does not have (0: not laid out) are left to the figure.
  const size = () => Object.fromEntries(Object.entries({ width: el.clientWidth, ...(el.closest('.fit') ? { height: el.clientHeight } : {}) })
    .filter(([, px]) => px));
  // A new size is a new figure (the panels, ticks and network columns are laid out for the pixels they
  // have), drawn at the step shown. A chart taken off screen (another pane) keeps its figure.
  new ResizeObserver(async () => {
    const { width, height = el.layout?.height } = size();
    if (!el.data || !width || (width === el.layout.width && height === el.layout.height)) return;
    opts = { ...opts, ...size() };
    await render();
    await chart.show(at);
  }).observe(el);

  async function render() {
    const figure = spec.figure(model, opts);
    shapes = figure.layout.shapes;
    await renderer.react(el, figure.data, { ...figure.layout, ...size() }, (point) => {
      if (clickHandler && point?.data.meta) clickHandler(point.data.meta, point);
    });
  }

  const chart = {
    /** Draw a new run (or new options: focus layer, unit, font scale). */
    async draw(newModel, newOpts) {
      // The renderer first (Plotly may still be loading, and a resize meanwhile finds nothing
      // drawn): the figure is laid out for the size the element has once it can be drawn.
      await renderer.ready();
      model = newModel;
      opts = { ...newOpts, ...size() };
      opts.start = spec.page ? spec.page(model, opts.step ?? 0, opts) : 0;
      await render();
    },
    /** Move to playback step `step`: replace the shapes if they changed. */
    async show(step) {
      if (!model || !el.data) return; // not drawn (yet, or Plotly failed to load): nothing to move
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
      await renderer.restyle(el, next, update);
    },
    /** Save the chart as a PNG file. */
    png(filename) {
      return renderer.png(el, filename);
    },
    /** Call handler(trace meta, point) when a data point is clicked. */
    onClick(handler) {
      clickHandler = handler;
    },
  };
  return chart;
}

/** A chart of a simple figure (svgfigure.js: the unrolled network) drawn without Plotly. */
export const createSvgChart = (el, spec) => createChart(el, spec, SVG);
