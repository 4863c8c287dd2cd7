// Pure: the page's words (SPEC section 10). One catalog per language, app/i18n/<lang>.json, is
// shared with the templates: each page inlines its own as <script type="application/json"
// id="messages"> (data, which the CSP allows, not script) and sets <html lang>; this module reads
// it once. t(key, params) is a message with its {placeholders} filled. Outside a page (the unit
// tests) useCatalog() gives the catalogs.

const catalogs = {};
let language = 'en';

/** Make `messages` the catalog of `lang`, and `lang` the page's language unless `page` is false. */
export function useCatalog(lang, messages, { page = true } = {}) {
  catalogs[lang] = messages;
  if (page) language = lang;
}

const inline = globalThis.document?.getElementById('messages');
if (inline) useCatalog(document.documentElement.lang, JSON.parse(inline.textContent));

/** The page's language: 'en' or 'ko'. */
export const pageLanguage = () => language;

/** A message with each {name} replaced by String(params.name); names not in params stay as written (Plotly's %{x}). */
export function format(message, params = {}) {
  return message.replace(/\{(\w+)\}/g, (whole, name) => (Object.hasOwn(params, name) ? String(params[name]) : whole));
}

/**
 * The message `key` of the page's language (or of `lang`, when its catalog is loaded) with its
 * placeholders filled from `params`; a key that no catalog has is logged and shown as itself.
 */
export function t(key, params = {}, lang = language) {
  const message = (catalogs[lang] ?? catalogs[language])?.[key];
  if (message === undefined) {
    console.error(`no message ${key} in ${lang}`);
    return key;
  }
  return format(message, params);
}

/** Whether the page's language (or `lang`) has a message `key`. */
export const has = (key, lang = language) => Object.hasOwn(catalogs[lang] ?? catalogs[language] ?? {}, key);

/** Every message whose key starts with `prefix`, by the rest of its key ({suffix: text}). */
export function messagesUnder(prefix, lang = language) {
  const messages = catalogs[lang] ?? catalogs[language] ?? {};
  return Object.fromEntries(Object.keys(messages).filter((k) => k.startsWith(prefix)).map((k) => [k.slice(prefix.length), messages[k]]));
}

/** The message `key.one` when params.n is 1, else `key.other` (each catalog has both). */
export function plural(key, params, lang = language) {
  return t(`${key}.${params.n === 1 ? 'one' : 'other'}`, params, lang);
}
