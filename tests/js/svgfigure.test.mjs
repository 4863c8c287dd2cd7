import assert from 'node:assert/strict';
import { test } from 'node:test';

import './catalogs.mjs';
import './engine.mjs';

import { network, viewModel } from '../../static/js/frames.js';
import { figureMarkup, geometry, shapesMarkup, textLines } from '../../static/js/svgfigure.js';
import { loadRuns } from './helpers.mjs';

const runs = loadRuns();
const attrs = (tag) => Object.fromEntries([...tag.matchAll(/([\w-]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
const tags = (markup, name) => [...markup.matchAll(new RegExp(`<${name}\\b[^>]*>`, 'g'))].map((m) => attrs(m[0]));
const texts = (markup) => [...markup.matchAll(/<text\b[^>]*>(.*?)<\/text>/g)].map((m) => m[1]);

function draw(run, step = 0, opts = { width: 800 }) {
  const model = viewModel(run, 0);
  const fig = network.figure(model, { ...opts, start: 0 });
  const shapes = network.frame(model, step, { ...opts, start: 0 });
  const layout = { ...fig.layout, shapes };
  return { model, fig, layout, markup: figureMarkup(fig.data, layout, opts.width, fig.layout.height) };
}

test('every shape of the network is one rectangle where its data coordinates put it', () => {
  const { layout, markup } = draw(runs.lstm_bidir_2layers, 2);
  const rects = tags(markup, 'rect').slice(1); // after the paper
  assert.equal(rects.length, layout.shapes.length);
  // Pixels computed here from the layout alone: the plot area inside the margins, the axes' ranges.
  const { l, r, t, b } = layout.margin;
  const [w, h] = [800, layout.height];
  const [[x0, x1], [y0, y1]] = [layout.xaxis.range, layout.yaxis.range];
  const X = (v) => l + ((v - x0) / (x1 - x0)) * (w - l - r);
  const Y = (v) => h - b - ((v - y0) / (y1 - y0)) * (h - t - b);
  // Shapes below the traces come first, then those above: the network's are all below, in order.
  layout.shapes.forEach((shape, k) => {
    const rect = rects[k];
    assert.ok(Math.abs(Number(rect.x) - X(shape.x0)) < 0.01, `${k}: x`);
    assert.ok(Math.abs(Number(rect.width) - (X(shape.x1) - X(shape.x0))) < 0.02, `${k}: width`);
    assert.ok(Math.abs(Number(rect.y) - Y(Math.max(shape.y0, shape.y1))) < 0.01, `${k}: y`);
    assert.ok(Math.abs(Number(rect.height) - Math.abs(Y(shape.y1) - Y(shape.y0))) < 0.02, `${k}: height`);
    assert.equal(rect.fill, shape.fillcolor ?? 'none');
    if (shape.line.width) assert.equal(rect.stroke, shape.line.color);
    assert.equal(rect['stroke-dasharray'] !== undefined, shape.line.dash === 'dot', `${k}: dash`);
  });
  // The outputs computed so far, as the shapes' labels say.
  const labels = layout.shapes.map((s) => s.label?.text).filter(Boolean);
  assert.ok(labels.length > 0);
  for (const label of labels) assert.ok(texts(markup).includes(label), label);
});

test('the axes, inputs and hover labels are the figure\'s texts', () => {
  const { fig, markup } = draw(runs.rnn_text);
  for (const tick of [...fig.layout.xaxis.ticktext, ...fig.layout.yaxis.ticktext]) assert.ok(texts(markup).includes(tick), tick);
  for (const token of ['h', 'e', 'l', 'o']) assert.ok(texts(markup).includes(token), token);
  const hover = fig.data.find((trace) => trace.hoverinfo === 'text');
  const titles = [...markup.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]);
  assert.deepEqual(titles, hover.text.map((label) => label.replace('<br>', '\n')));
  // One arrowhead per shaft, each turned as its angle says.
  const heads = fig.data.find((trace) => trace.marker?.symbol === 'triangle-up');
  const turned = tags(markup, 'path').filter((p) => /rotate\(/.test(p.transform ?? '')).length;
  assert.equal(turned, heads.marker.angle.filter(Boolean).length);
});

test('user text is drawn as text, never as markup', () => {
  const run = structuredClone(runs.rnn_text);
  run.tokens[0][0] = '<img/src=x/onerror=alert(1)>';
  run.tokens[0][1] = 'a&b"q"';
  const { markup } = draw(run);
  assert.ok(!markup.includes('<img'));
  assert.ok(texts(markup).includes('&lt;img/src=x/onerror=alert(1)&gt;'));
  assert.ok(texts(markup).includes('a&amp;b&quot;q&quot;'));
  assert.deepEqual(textLines('x<br>y & 1 < 2'), ['x', 'y &amp; 1 &lt; 2']);
});

test('a step\'s shapes redrawn in place give the figure drawn whole at that step', () => {
  // plot.js' SVG.restyle: the step's shapes (shapesMarkup) into the groups of the figure drawn first.
  const first = draw(runs.lstm_bidir_2layers, 0);
  const later = draw(runs.lstm_bidir_2layers, 3);
  assert.notDeepEqual(first.layout.shapes, later.layout.shapes);
  const g = geometry(later.layout, 800, later.fig.layout.height);
  const redrawn = first.markup
    .replace(/<g class="shapes-below">.*?<\/g><g class="traces">/, `<g class="shapes-below">${shapesMarkup(later.layout.shapes, g, 'below')}</g><g class="traces">`)
    .replace(/<g class="shapes-above">.*?<\/g><g class="xtick">/, `<g class="shapes-above">${shapesMarkup(later.layout.shapes, g, 'above')}</g><g class="xtick">`);
  assert.equal(redrawn, later.markup);
});

test('what it cannot draw faithfully is refused, not drawn otherwise', () => {
  const { fig } = draw(runs.rnn_text);
  const with_ = (change) => () => figureMarkup(change(structuredClone(fig.data)), structuredClone(fig.layout), 800, 300);
  assert.throws(with_((data) => [...data, { type: 'heatmap', z: [[1]] }]), /trace type heatmap/);
  assert.throws(with_((data) => [{ ...data[0], fill: 'tozeroy' }]), /fill/);
  assert.throws(with_((data) => [{ ...data[1], marker: { ...data[1].marker, symbol: 'star' } }]), /symbol star/);
  const layout = { ...fig.layout, shapes: [{ type: 'line', x0: 0, x1: 1, y0: 0, y1: 1 }] };
  assert.throws(() => figureMarkup(fig.data, layout, 800, 300), /shape type line/);
  const gridded = { ...fig.layout, xaxis: { ...fig.layout.xaxis, showgrid: true } };
  assert.throws(() => figureMarkup(fig.data, gridded, 800, 300), /showgrid/);
  // Nested attributes and the layout too, and text markup Plotly would draw.
  assert.throws(with_((data) => [{ ...data[0], line: { ...data[0].line, shape: 'spline' } }]), /line has shape/);
  assert.throws(with_((data) => [{ ...data[1], marker: { ...data[1].marker, line: { width: 1 } } }]), /marker has line/);
  assert.throws(() => figureMarkup(fig.data, { ...fig.layout, annotations: [] }, 800, 300), /layout has annotations/);
  assert.throws(with_((data) => [{ ...data[4], text: ['<b>bold</b>'] }]), /markup it does not draw/);
});
