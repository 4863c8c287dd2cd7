// Pure: a Plotly figure of the simple kind (scatter lines, markers and text, rectangles, fixed
// linear axes with given ticks) as SVG markup, drawn without Plotly. The unrolled network is such a
// figure: drawn this way, an embed's first chart needs neither Plotly's script (a third of a cold
// embed's bytes, and most of its main-thread time) nor its layout engine, and the Plotly charts
// follow once it has loaded (plot.js). Every attribute it does not know is refused, so a figure it
// cannot draw faithfully fails loudly instead of drawing something else.
//
// The text of a figure is Plotly's: escaped (frames.js' plotlyText) where it comes from the user,
// `<br>` for a line break. Markup here is built from escaped text only.

const TRACE_KEYS = new Set(['type', 'mode', 'x', 'y', 'text', 'hoverinfo', 'line', 'marker', 'textfont']);
const SHAPE_KEYS = new Set(['type', 'x0', 'x1', 'y0', 'y1', 'xref', 'yref', 'layer', 'fillcolor', 'line', 'label', 'opacity']);
const AXIS_KEYS = new Set(['range', 'tickvals', 'ticktext', 'showgrid', 'zeroline', 'fixedrange']);
// Layout keys drawn (width, height, margin, font, paper), or without effect on a chart that has no
// legend, no plot background of its own and native hover labels.
const LAYOUT_KEYS = new Set(['width', 'height', 'margin', 'font', 'paper_bgcolor', 'plot_bgcolor', 'showlegend', 'hoverlabel', 'xaxis', 'yaxis', 'shapes']);
const LINE_KEYS = new Set(['color', 'width', 'dash']);
const MARKER_KEYS = new Set(['symbol', 'size', 'angle', 'color', 'opacity']);
const FONT_KEYS = new Set(['size', 'color']);
const LABEL_KEYS = new Set(['text', 'font']);
const INK = '#444'; // Plotly's default text and line colour
const TICK_GAP = 3; // pixels between a tick label and the plot area

/** Refuse what this renderer does not draw. */
function known(what, object, keys) {
  const unknown = Object.keys(object).filter((key) => !keys.has(key));
  if (unknown.length) throw new Error(`svgfigure: ${what} has ${unknown.join(', ')}, which it does not draw`);
}

/**
 * Plotly's text as SVG text: the lines of `<br>`, every bare `&` escaped. Any other tag (which
 * Plotly would draw: bold, sub- and superscripts) is refused, as user text reaches it escaped.
 */
export function textLines(text) {
  return String(text ?? '').split(/<br\s*\/?>/i).map((line) => {
    if (/<[a-z/]/i.test(line)) throw new Error(`svgfigure: text with markup it does not draw: ${line}`);
    return line
      .replace(/&(?!(?:amp|lt|gt|quot|#\d+|#x[0-9a-f]+);)/gi, '&amp;')
      .replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  });
}

const attr = (value) => String(value).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
const px = (v) => Math.round(v * 100) / 100;

/** The pixel geometry of a figure `width` x `height`: data -> pixels on each axis, and the plot area. */
export function geometry(layout, width, height) {
  const { l, r, t, b } = layout.margin;
  const plot = { left: l, top: t, right: width - r, bottom: height - b };
  const scale = (axis, from, to) => {
    const [a, z] = axis.range;
    return (v) => from + ((v - a) / (z - a)) * (to - from);
  };
  const x = scale(layout.xaxis, plot.left, plot.right);
  const y = scale(layout.yaxis, plot.bottom, plot.top);
  const ref = (name, axis, start, end) => (name === undefined || name === axis ? (axis === 'x' ? x : y)
    : (name === 'paper' || name === `${axis} domain` ? (v) => start + v * (end - start) : null));
  return {
    width, height, plot, x, y,
    xOf: (name) => ref(name, 'x', plot.left, plot.right),
    yOf: (name) => ref(name, 'y', plot.bottom, plot.top),
  };
}

/** A text element centred on (x, y) (`anchor` and `dy` otherwise), one tspan per line. */
function text(x, y, value, { anchor = 'middle', dy = 0.35, size, color, cls } = {}) {
  const lines = textLines(value);
  if (!lines.join('')) return '';
  const style = `${size ? ` font-size="${size}"` : ''}${color ? ` fill="${attr(color)}"` : ''}${cls ? ` class="${cls}"` : ''}`;
  const first = dy - ((lines.length - 1) * 1.3) / 2;
  const body = lines.length === 1 ? lines[0]
    : lines.map((line, k) => `<tspan x="${px(x)}" dy="${k ? 1.3 : first}em">${line}</tspan>`).join('');
  return `<text x="${px(x)}" y="${px(y)}"${lines.length === 1 ? ` dy="${dy}em"` : ''} text-anchor="${anchor}"${style}>${body}</text>`;
}

/** Plotly's dashes, scaled with the line as Plotly scales them. */
function dashArray(dash, width) {
  const w = Math.max(width, 3);
  const pattern = { solid: null, dot: [w, w], dash: [3 * w, 3 * w], longdash: [5 * w, 5 * w] }[dash ?? 'solid'];
  if (pattern === undefined) throw new Error(`svgfigure: dash ${dash}`);
  return pattern ? ` stroke-dasharray="${pattern.join(',')}"` : '';
}

function stroke(line = {}) {
  known('line', line, LINE_KEYS);
  const width = line.width ?? 2;
  if (!width) return ' stroke="none"';
  return ` stroke="${attr(line.color ?? INK)}" stroke-width="${width}"${dashArray(line.dash, width)}`;
}

/** A marker's path at the origin: Plotly's symbols of `size` pixels across. */
function symbolPath(symbol, size) {
  const r = size / 2;
  if (symbol === 'triangle-up') {
    const [rt, r2] = [px((r * 2) / Math.sqrt(3)), px(r / 2)];
    return `M${-rt},${r2}H${rt}L0,${px(-r)}Z`;
  }
  if (symbol === undefined || symbol === 'circle') return `M${px(r)},0A${px(r)},${px(r)} 0 1,1 0,${px(-r)}A${px(r)},${px(r)} 0 0,1 ${px(r)},0Z`;
  throw new Error(`svgfigure: marker symbol ${symbol}`);
}

const at = (value, k) => (Array.isArray(value) ? value[k] : value);

/** One scatter trace: its lines (null breaks them), its markers, its texts, its hover labels (as <title>). */
function traceMarkup(trace, g, font) {
  if (trace.type !== 'scatter') throw new Error(`svgfigure: trace type ${trace.type}`);
  known('trace', trace, TRACE_KEYS);
  const modes = new Set(trace.mode.split('+'));
  const points = trace.x.map((x, k) => [x, trace.y[k]]);
  const out = [];
  if (modes.has('lines')) {
    let d = '';
    let pen = false;
    for (const [x, y] of points) {
      if (x === null || y === null) pen = false;
      else {
        d += `${pen ? 'L' : 'M'}${px(g.x(x))},${px(g.y(y))}`;
        pen = true;
      }
    }
    out.push(`<path d="${d}" fill="none"${stroke(trace.line)}/>`);
  }
  if (modes.has('markers')) {
    const m = trace.marker ?? {};
    known('marker', m, MARKER_KEYS);
    const hover = trace.hoverinfo === 'text';
    points.forEach(([x, y], k) => {
      if (x === null || y === null) return;
      const transform = `translate(${px(g.x(x))},${px(g.y(y))})${at(m.angle, k) ? ` rotate(${at(m.angle, k)})` : ''}`;
      const opacity = m.opacity ?? 1;
      const title = hover ? `<title>${textLines(at(trace.text, k)).join('\n')}</title>` : '';
      const paint = opacity ? `fill="${attr(at(m.color, k) ?? INK)}"${opacity < 1 ? ` fill-opacity="${opacity}"` : ''}` : 'fill="#000" fill-opacity="0"';
      out.push(`<path class="point" transform="${transform}" d="${symbolPath(m.symbol, at(m.size, k) ?? 6)}" ${paint}>${title}</path>`);
    });
  }
  if (modes.has('text')) {
    known('textfont', trace.textfont ?? {}, FONT_KEYS);
    const { size, color } = trace.textfont ?? {};
    points.forEach(([x, y], k) => {
      if (x === null || y === null || at(size, k) === 0) return;
      out.push(text(g.x(x), g.y(y), at(trace.text, k), { size: at(size, k) ?? font, color: at(color, k), cls: 'textpoint' }));
    });
  }
  return out.join('');
}

/** The shapes of one layer ('below' the traces, or 'above': Plotly's default) with their labels. */
export function shapesMarkup(shapes, g, layer) {
  return shapes.filter((s) => (s.layer ?? 'above') === layer).map((shape) => {
    if (shape.type !== 'rect') throw new Error(`svgfigure: shape type ${shape.type}`);
    known('shape', shape, SHAPE_KEYS);
    const [x, y] = [g.xOf(shape.xref), g.yOf(shape.yref)];
    if (!x || !y) throw new Error(`svgfigure: shape reference ${shape.xref}, ${shape.yref}`);
    const [x0, x1] = [x(shape.x0), x(shape.x1)].sort((a, b) => a - b);
    const [y0, y1] = [y(shape.y0), y(shape.y1)].sort((a, b) => a - b);
    const fill = shape.fillcolor ? `fill="${attr(shape.fillcolor)}"` : 'fill="none"';
    const opacity = shape.opacity === undefined ? '' : ` opacity="${shape.opacity}"`;
    const rect = `<rect x="${px(x0)}" y="${px(y0)}" width="${px(x1 - x0)}" height="${px(y1 - y0)}" ${fill}${stroke(shape.line)}${opacity}/>`;
    known('label', shape.label ?? {}, LABEL_KEYS);
    known('label.font', shape.label?.font ?? {}, FONT_KEYS);
    const label = shape.label?.text ? text((x0 + x1) / 2, (y0 + y1) / 2, shape.label.text, { size: shape.label.font?.size, color: shape.label.font?.color }) : '';
    return `<g class="shape">${rect}${label}</g>`;
  }).join('');
}

/** The tick labels of both axes (no tick marks, no grid: the only axes this renderer draws). */
function axesMarkup(layout, g) {
  const ticks = (axis, name, place) => {
    known(name, axis, AXIS_KEYS);
    if (axis.showgrid !== false || axis.zeroline !== false) throw new Error(`svgfigure: the ${name} must set showgrid and zeroline to false`);
    return (axis.tickvals ?? []).map((v, k) => place(v, axis.ticktext?.[k] ?? String(v))).join('');
  };
  const { plot } = g;
  const xs = ticks(layout.xaxis, 'xaxis', (v, label) => text(g.x(v), plot.bottom + TICK_GAP, label, { dy: 0.71 }));
  const ys = ticks(layout.yaxis, 'yaxis', (v, label) => text(plot.left - TICK_GAP, g.y(v), label, { anchor: 'end' }));
  return `<g class="xtick">${xs}</g><g class="ytick">${ys}</g>`;
}

/**
 * The figure (data, layout) as one <svg> `width` x `height` pixels: the paper, the shapes below the
 * traces, the traces, the shapes above, the tick labels. The shapes' layers are groups of their own
 * (`.shapes-below`, `.shapes-above`), so a step redraws just them (shapesMarkup).
 */
export function figureMarkup(data, layout, width, height) {
  known('layout', layout, LAYOUT_KEYS);
  known('layout.font', layout.font ?? {}, new Set(['family', 'size', 'color']));
  known('margin', layout.margin, new Set(['l', 'r', 't', 'b']));
  const g = geometry(layout, width, height);
  const font = layout.font ?? {};
  const size = font.size ?? 12;
  const paper = `<rect width="${width}" height="${height}" fill="${attr(layout.paper_bgcolor ?? '#fff')}"/>`;
  const traces = data.map((trace) => traceMarkup(trace, g, size)).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"`
    + ` font-family="${attr(font.family ?? 'sans-serif')}" font-size="${size}" fill="${attr(font.color ?? INK)}">`
    + `${paper}<g class="shapes-below">${shapesMarkup(layout.shapes ?? [], g, 'below')}</g>`
    + `<g class="traces">${traces}</g>`
    + `<g class="shapes-above">${shapesMarkup(layout.shapes ?? [], g, 'above')}</g>${axesMarkup(layout, g)}</svg>`;
}
