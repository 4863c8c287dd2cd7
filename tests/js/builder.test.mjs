import assert from 'node:assert/strict';
import { test } from 'node:test';

import './catalogs.mjs';

import { builderView } from '../../static/js/builder.js';
import { iframeCode } from '../../static/js/state.js';
import { EMBED_SIZE } from '../../static/js/config.js';
import { PARTS } from '../../static/js/state.js';

test('the builder turns its choices into the embed view and frame, held in range', () => {
  const all = { parts: [...PARTS], lang: 'ko', autoplay: false, step: 1, width: 800, height: 450 };
  assert.deepEqual(builderView(all, 5), { view: { hide: [], lang: 'ko', autoplay: false, step: 0 }, width: 800, height: 450 });
  const some = builderView({ ...all, parts: ['heatmaps', 'controls', 'gates'], autoplay: true, step: 4, width: 480.4, height: 320 }, 5);
  assert.deepEqual(some.view, { hide: ['network', 'lines', 'math'], lang: 'ko', autoplay: true, step: 3 });
  assert.deepEqual([some.width, some.height], [480, 320]);
  const wild = builderView({ ...all, step: 99, width: 10, height: 9999 }, 5);
  assert.deepEqual([wild.view.step, wild.width, wild.height], [4, EMBED_SIZE.width[0], EMBED_SIZE.height[1]]);
  const empty = builderView({ ...all, step: NaN, width: NaN, height: NaN }, 5);
  assert.deepEqual([empty.view.step, empty.width, empty.height], [0, ...EMBED_SIZE.default]);
});

test('the iframe code quotes its URL and title as attributes', () => {
  const code = iframeCode('http://h/embed?text=%22&a=1&b="x"', { width: 480, height: 320, title: 'A "chart" & more' });
  assert.equal(code, '<iframe src="http://h/embed?text=%22&amp;a=1&amp;b=&quot;x&quot;" width="480" height="320" style="border:0" title="A &quot;chart&quot; &amp; more" loading="lazy" allowfullscreen></iframe>');
});
