// Imported first by the tests that read words: the app's catalogs (app/i18n/*.json) loaded into
// i18n.js as a page would have them, English being the page's language.
import { readFileSync } from 'node:fs';

import { useCatalog } from '../../static/js/i18n.js';

/** The catalog of one language, as the server inlines it. */
export const catalog = (lang) => JSON.parse(readFileSync(new URL(`../../app/i18n/${lang}.json`, import.meta.url), 'utf8'));

useCatalog('ko', catalog('ko'));
useCatalog('en', catalog('en'));
