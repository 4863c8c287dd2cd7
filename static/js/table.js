// The gates as HTML tables: built once per run, then each step rewrites the cells' colour and text.
// (A Plotly heatmap re-plots its axes and colour bar on any change of z, about 20 ms a step: the
// largest cost of fast playback. A table cell costs microseconds.) Same interface as plot.js' charts.
// Also dataTable: any table of numbers (the heatmaps' values, the weights) from its plain description.
import { MIN_FONT_PX } from './config.js';

function element(tag, props = {}, children = [], data = {}) {
  const el = Object.assign(document.createElement(tag), props);
  Object.assign(el.dataset, data);
  el.append(...children);
  return el;
}

/**
 * A <table> from {caption, corner, columns, rows: [{head, cells}]}: a column heading per column (the
 * corner names the row headings), a row heading per row; `cells` are text, or {text, color, ink, label}.
 */
export function dataTable({ caption, corner, columns, rows }) {
  const cell = (value) => {
    if (typeof value !== 'object') return element('td', { textContent: value });
    const td = element('td', { textContent: value.text, title: value.label ?? '' });
    Object.assign(td.style, { background: value.color, color: value.ink });
    return td;
  };
  return element('table', { className: 'data' }, [
    element('caption', { textContent: caption }),
    element('thead', {}, [element('tr', {}, [corner, ...columns].map((text) => element('th', { scope: 'col', textContent: text })))]),
    element('tbody', {}, rows.map(({ head, cells }) => element('tr', {}, [element('th', { scope: 'row', textContent: head }), ...cells.map(cell)]))),
  ]);
}

// A gate cell prints its value ("-0.23") when it has this many ems of room at the smallest type.
const VALUE_EMS = 2.7;

const gradient = (colors) => colors.map(([at, color]) => `${color} ${at * 100}%`).join(', ');

/** A vertical colour bar (the scale as a CSS gradient) with its ends and middle labelled. */
function scaleBar({ colors, min, max }) {
  const bar = element('div', { className: 'scale-bar' });
  bar.style.background = `linear-gradient(to top, ${gradient(colors)})`;
  const labels = [max, (min + max) / 2, min].map((v) => element('span', { textContent: String(v) }));
  const scale = element('div', { className: 'scale' }, [bar, element('div', { className: 'scale-labels' }, labels)]);
  scale.setAttribute('aria-hidden', 'true');
  return scale;
}

/** Paints `node`'s box (its background, or `colors` as a bottom-up gradient) and its text on a canvas, relative to `origin`. */
function paint(ctx, node, origin, colors) {
  const box = node.getBoundingClientRect();
  const style = getComputedStyle(node);
  const [x, y] = [box.left - origin.left, box.top - origin.top];
  if (colors) {
    const fill = ctx.createLinearGradient(0, y + box.height, 0, y);
    for (const [at, color] of colors) fill.addColorStop(at, color);
    ctx.fillStyle = fill;
    ctx.fillRect(x, y, box.width, box.height);
    return;
  }
  ctx.fillStyle = style.backgroundColor;
  ctx.fillRect(x, y, box.width, box.height);
  ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  ctx.fillStyle = style.color;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(node.textContent, x + box.width / 2, y + box.height / 2);
}

/** Save a canvas as the PNG file `filename`.png. */
export function saveCanvas(canvas, filename) {
  canvas.toBlob((blob) => {
    const url = URL.createObjectURL(blob);
    element('a', { href: url, download: `${filename}.png` }).click();
    URL.revokeObjectURL(url);
  });
}

/**
 * A chart in `el` drawn by `spec` (frames.js' gates) as tables: draw(model, opts) once per run,
 * show(step) per step, png(filename) saves what is on screen.
 */
export function createTable(el, spec) {
  let model = null;
  let opts = {};
  let figure = null;
  let cells = [];
  let clickHandler = null;
  const part = el.closest('[data-part]');

  // Values are printed in the cells only when they fit at MIN_FONT_PX or more (else they stay hover
  // labels and the table's text for screen readers); unit headings thin out to every 4th likewise.
  function fitText() {
    const width = cells[0]?.[0]?.[0]?.getBoundingClientRect().width ?? 0;
    el.classList.toggle('labelled', Boolean(figure?.labelled) && width >= MIN_FONT_PX * VALUE_EMS);
    el.classList.toggle('sparse', width < MIN_FONT_PX * 1.4);
  }
  new ResizeObserver(() => {
    if (cells.length) fitText();
  }).observe(el);

  el.addEventListener('click', (event) => {
    const cell = event.target.closest('td');
    if (!cell || !clickHandler) return;
    const { layer, direction } = cell.closest('table').dataset;
    clickHandler({ layer: Number(layer), direction }, { x: Number(cell.dataset.unit) });
  });

  return {
    /** Draw a new run (or new options: focus layer, unit). */
    async draw(newModel, newOpts) {
      model = newModel;
      opts = newOpts;
      figure = spec.figure(model, opts);
      part.classList.toggle('empty', !figure);
      if (!figure) {
        el.replaceChildren();
        cells = [];
        return;
      }
      const head = () => element('thead', {}, [
        element('tr', {}, [element('td'), ...figure.units.map((u) => element('th', { scope: 'col', textContent: String(u) }))]),
      ]);
      const tables = figure.tables.map(({ title, meta }) => {
        const rows = figure.rows.map((name) => element('tr', {}, [
          element('th', { scope: 'row', textContent: name }),
          ...figure.units.map((u) => element('td', {}, [], { unit: u })),
        ]));
        const caption = element('caption', { textContent: title });
        return element('table', { className: 'gates' }, [caption, head(), element('tbody', {}, rows)], meta);
      });
      el.style.setProperty('--tables', String(figure.tables.length));
      el.style.setProperty('--cells', String(figure.tables.length * figure.units.length));
      el.replaceChildren(element('div', { className: 'gate-tables' }, [...tables, scaleBar(figure.scale)]));
      cells = tables.map((table) => [...table.tBodies[0].rows].map((row) => [...row.cells].slice(1)));
      fitText();
      await this.show(opts.step ?? 0);
    },
    /** Move to playback step `step`: every cell's colour, text and hover label. */
    async show(step) {
      if (!cells.length) return;
      spec.frame(model, step, opts).cells.forEach((table, k) => table.forEach((row, g) => row.forEach((value, u) => {
        const cell = cells[k][g][u];
        cell.style.background = value.color;
        cell.style.color = value.ink;
        cell.textContent = value.text;
        cell.title = value.label;
      })));
    },
    /** Save the tables as a PNG file (at twice the screen's pixels). */
    png(filename) {
      const origin = el.getBoundingClientRect();
      const canvas = element('canvas', { width: origin.width * 2, height: origin.height * 2 });
      const ctx = canvas.getContext('2d');
      ctx.scale(2, 2);
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(0, 0, origin.width, origin.height);
      for (const node of el.querySelectorAll('caption, th, td, .scale-labels span')) paint(ctx, node, origin);
      paint(ctx, el.querySelector('.scale-bar'), origin, figure.scale.colors);
      saveCanvas(canvas, filename);
    },
    /** Call handler({layer, direction}, {x: unit}) when a cell is clicked. */
    onClick(handler) {
      clickHandler = handler;
    },
  };
}
