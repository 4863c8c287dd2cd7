import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';

import { catalog } from './catalogs.mjs';
import { format, has, pageLanguage, plural, t } from '../../static/js/i18n.js';

const JS = new URL('../../static/js/', import.meta.url);
const sources = () => readdirSync(JS).filter((f) => f.endsWith('.js')).map((f) => [f, readFileSync(new URL(f, JS), 'utf8')]);

test('a message fills its placeholders, keeps unknown ones (Plotly\'s %{x}) and picks the plural form', () => {
  assert.equal(pageLanguage(), 'en');
  assert.equal(format('{a} and {b}, %{x}', { a: 1, b: '<b>' }), '1 and <b>, %{x}');
  assert.equal(t('viewer.layer', { layer: 2 }), 'layer 2');
  assert.equal(t('viewer.layer', { layer: 2 }, 'ko'), '2층');
  assert.equal(plural('math.more_terms', { n: 1 }), '… (1 more term)');
  assert.equal(plural('math.more_terms', { n: 3 }), '… (3 more terms)');
  assert.ok(has('player.play') && !has('player.nope'));
});

// Every string literal (and template-literal text) of a module, comments and regular expressions left out.
function literals(source) {
  const found = [];
  const re = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|\$\{(?:[^{}]|\{[^{}]*\})*\}|[^`\\])*`|(?<=(?:^|[(,=:[!&|?{};]|return)\s*)\/(?:\\.|\[(?:\\.|[^\]\\])*\]|[^/\\\n[])+\/[dgimsuy]*/gm;
  for (const [token] of source.matchAll(re)) {
    if (token.startsWith('//') || token.startsWith('/*') || token.startsWith('/')) continue;
    const body = token.slice(1, -1);
    if (token[0] === '`') found.push(...body.split(/\$\{(?:[^{}]|\{[^{}]*\})*\}/));
    else found.push(body);
  }
  return found;
}

// Literals that look like words but are not text a reader sees: CSS, selectors, fonts, keys, headers, console messages.
const NOT_PROSE = new Set([
  'system-ui, -apple-system, "Segoe UI", Roboto, "Apple SD Gothic Neo", "Malgun Gothic", "Noto Sans KR", NanumGothic, sans-serif',
  'button, input, select, textarea, a[href], [tabindex]', 'Space ArrowLeft ArrowRight',
  'Content-Type', 'Retry-After', 'linear-gradient(to top, ', '(prefers-reduced-motion: reduce)', 'no message ', ' in ',
  'caption, th, td, .scale-labels span', 'details.panel', 'BaseLayout', '<iframe src="',
  'Enter', 'Tab', 'Shift', 'Escape',
]);
const prose = (text) => /[A-Za-z]{2,}[ ,;:]+[A-Za-z]{2,}/.test(text) || /^[A-Z][a-z]{2,}/.test(text) || /[\uac00-\ud7a3]/.test(text);

// Not read by a reader either: a programmer's error (`new Error(...)`, for the console) and SVG markup
// (a literal that opens a tag or writes an attribute, such as svgfigure.js' `<rect width="`).
const ERRORS = /new Error\((`(?:\\.|[^`\\])*`|'(?:\\.|[^'\\\n])*')\)/g;
const markup = (text) => /^<\/?(svg|g|rect|path|text|tspan|title)\b/.test(text) || /^[\s\w-]*="$/.test(text);

test('the front end writes no words a reader sees outside the catalogs', () => {
  const all = sources().flatMap(([file, source]) => literals(source.replace(ERRORS, '')).filter((s) => !markup(s)).map((s) => [file, s]));
  assert.deepEqual(all.filter(([, s]) => prose(s) && !NOT_PROSE.has(s)).map(([file, s]) => `${file}: ${s}`), []);
  assert.deepEqual([...NOT_PROSE].filter((s) => !all.some(([, found]) => found === s)), []); // no stale exception
  assert.ok(prose('Step back') && prose('Pause') && prose('단계') && !prose('[data-role=slider]') && !prose('lines+markers'));
  assert.ok(markup('<rect width="') && !markup('Step back') && !markup('<b>Step</b> back now') && prose('<b>Step</b> back now'));
  assert.equal("t('x'); new Error('Not shown'); alert('Shown')".replace(ERRORS, ''), "t('x'); ; alert('Shown')");
});

test('every message the front end names is in both catalogs', () => {
  const [en, ko] = [catalog('en'), catalog('ko')];
  const areas = new Set(Object.keys(en).map((key) => key.split('.')[0]));
  // A key is a literal 'area.name' (or the start of one built at run time, `direction.${d}`).
  const keys = sources().flatMap(([file, source]) => literals(source)
    .filter((s) => /^[a-z]+\.[\w.]*$/.test(s) && areas.has(s.split('.')[0])).map((key) => [file, key]));
  assert.ok(keys.length > 60, `${keys.length} messages found`);
  for (const [file, key] of keys) {
    for (const messages of [en, ko]) {
      const names = Object.keys(messages);
      const known = key.endsWith('.') || key.endsWith('_') ? names.some((k) => k.startsWith(key)) : names.includes(key) || names.includes(`${key}.one`);
      assert.ok(known, `${file} names ${key}`);
    }
  }
});
