import assert from 'node:assert/strict';
import { test } from 'node:test';

import './catalogs.mjs';

import { t } from '../../static/js/i18n.js';
import { copyText } from '../../static/js/share.js';

/** A field and a status line as copyText touches them, and a clipboard that takes or refuses the text. */
function fakes(refuse) {
  const written = [];
  const box = { selected: false, select() { this.selected = true; } };
  const status = { textContent: '' };
  Object.defineProperty(globalThis, 'navigator', {
    configurable: true,
    value: { clipboard: { writeText: async (text) => { if (refuse) throw new Error('NotAllowedError'); written.push(text); } } },
  });
  return { written, box, status };
}

test('a copy puts the text on the clipboard and says the message it is given', async () => {
  const { written, box, status } = fakes(false);
  await copyText('<iframe src="/embed?step=2"></iframe>', { box, status, copied: 'builder.copied' });
  assert.deepEqual(written, ['<iframe src="/embed?step=2"></iframe>']);
  assert.equal(status.textContent, t('builder.copied'));
  assert.equal(box.selected, false);
});

test('a refused clipboard leaves the text selected and asks for Ctrl+C, whatever the message would have been', async () => {
  for (const copied of ['builder.copied', 'share.link_copied', 'share.embed_copied']) {
    const { written, box, status } = fakes(true);
    await copyText('http://h/?lang=en', { box, status, copied });
    assert.deepEqual(written, []);
    assert.equal(box.selected, true);
    assert.equal(status.textContent, t('share.select_to_copy'));
  }
  assert.match(t('share.select_to_copy'), /Ctrl\+C/);
});
