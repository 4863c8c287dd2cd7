import assert from 'node:assert/strict';
import { test } from 'node:test';

import { FIT } from '../../static/js/config.js';
import { fitPanes, minSize } from '../../static/js/fit.js';

const ALL = ['network', 'heatmaps', 'gates', 'lines', 'math'];
const names = (panes) => panes.map((p) => p.parts);

test('everything on one pane when the box holds every part at its smallest readable size', () => {
  const panes = fitPanes(ALL, { width: 1880, height: 930, gap: 8, need: { math: 390 } }, 1.5);
  assert.deepEqual(names(panes), [ALL]);
  const [pane] = panes;
  assert.deepEqual(pane.rows.map((r) => r.cells.map((c) => c.part)), FIT.rows);
  for (const row of pane.rows) {
    assert.equal(row.cells.reduce((n, c) => n + c.span, 0), FIT.columns);
    assert.deepEqual(row.cells.map((c) => c.column), row.cells.map((_, k) => row.cells.slice(0, k).reduce((n, c) => n + c.span, 0)));
  }
  assert.equal(pane.rows[2].px, 390); // the math row is as tall as its lines; the others share the rest
  assert.equal(pane.rows[0].px, undefined);
});

test('parts that do not fit go on panes, fewest first: the unit lines, then the math, then a pane per row or part', () => {
  const math = FIT.min.math[1] + 10;
  // Room for every row but the lines' extra height (they are taller than the gates): the lines go apart.
  const tall = (part) => FIT.min[part][1];
  const height = Math.max(tall('network'), tall('heatmaps')) + Math.max(tall('gates'), tall('lines')) + math - 1;
  assert.ok(tall('lines') > tall('gates'));
  assert.deepEqual(names(fitPanes(ALL, { width: 800, height, need: { math } })), [
    ['network', 'heatmaps', 'gates', 'math'], ['lines'],
  ]);
  // The 800 x 450 embed: the charts, then the math.
  assert.deepEqual(names(fitPanes(ALL, { width: 792, height: 372, gap: 4, need: { math: 230 } })), [
    ['network', 'heatmaps', 'gates', 'lines'], ['math'],
  ]);
  // Too narrow for two charts side by side: one part a pane.
  assert.deepEqual(names(fitPanes(ALL, { width: 472, height: 210, need: { math: 500 } })), ALL.map((p) => [p]));
});

test('hidden parts are left out, a lone part takes its pane, and more layers need more height', () => {
  const panes = fitPanes(['heatmaps', 'math'], { width: 800, height: 400, need: { math: 230 } });
  assert.deepEqual(names(panes), [['heatmaps', 'math']]);
  assert.deepEqual(panes[0].rows.map((r) => r.cells), [[{ part: 'heatmaps', column: 0, span: 12 }], [{ part: 'math', column: 0, span: 12 }]]);
  assert.deepEqual(names(fitPanes(['math'], { width: 480, height: 200, need: { math: 900 } })), [['math']]);
  assert.equal(fitPanes(['math'], { width: 480, height: 200, need: { math: 900 } })[0].rows[0].px, undefined);
  assert.deepEqual(fitPanes([], { width: 800, height: 450 }), []);
  assert.ok(minSize('heatmaps', 1, 3)[1] > minSize('heatmaps', 1, 1)[1]);
  assert.deepEqual(minSize('gates', 2, 3), FIT.min.gates.map((px) => 2 * px));
  const box = { width: 800, height: FIT.min.heatmaps[1] + 230 + 4, gap: 4, need: { math: 230 } };
  assert.deepEqual(names(fitPanes(['heatmaps', 'math'], box)), [['heatmaps', 'math']]);
  assert.deepEqual(names(fitPanes(['heatmaps', 'math'], { ...box, layers: 3 })), [['heatmaps'], ['math']]);
});

test('a row sized by its text is never shorter than the smallest readable size of any part in it', () => {
  const gates = FIT.min.lines[1] - 20; // the gates' rows need less than the unit lines' smallest height
  const [pane] = fitPanes(['gates', 'lines', 'math'], { width: 800, height: 900, need: { gates, math: 300 } }, 1);
  assert.deepEqual(pane.rows.map((r) => r.px), [FIT.min.lines[1], 300]);
  const [scaled] = fitPanes(['gates', 'lines', 'math'], { width: 1900, height: 1400, need: { gates, math: 300 } }, 1.5);
  assert.equal(scaled.rows[0].px, FIT.min.lines[1] * 1.5);
});
