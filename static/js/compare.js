// Wiring of /compare and /embed?cells=... (SPEC §7): one store (the URL's state), one timeline and
// one player for every column; a viewer per cell (viewer.js), each loading its own run of the same
// configuration; the colour scales the columns share (comparison.js); the presets menu, the cell
// picker, share buttons and the URL. The first column's viewer fills the shared bar's menus and
// step report, as they are the same for every column.
import { ApiError, fetchPresets, fieldErrorsText, runAnalysed } from './api.js';
import { variant } from './cells.js';
import {
  columnRequest, columnState, columnsOf, comparisonRefusal, decodeComparison, sharedScales,
} from './comparison.js';
import { pageLanguage, t } from './i18n.js';
import { bindKeys, createPlayer } from './player.js';
import { DEFAULTS, InputError, analysesOf, embedCode, encodeState, stateFromConfig } from './state.js';
import { shareText } from './share.js';
import { createStore } from './store.js';
import { createTimeline } from './timeline.js';
import { createViewer } from './viewer.js';

const $ = (selector) => document.querySelector(selector);
const page = $('main.compare');
const status = $('[data-role=status]');
const region = $('#compare');
const bar = region.querySelector('[data-role=controls]');
const embedded = page.classList.contains('embedded');

const presets = await fetchPresets(pageLanguage());
const configs = Object.fromEntries(presets.map((p) => [p.name, p.config]));
const decoded = decodeComparison(window.location.search, configs, page.dataset.defaultPreset);
const store = createStore({ ...decoded.state, lang: pageLanguage(), playing: false, steps: 1 });
const timeline = createTimeline(store);
createPlayer(bar, timeline);
bindKeys(region, timeline);

/** A URL of this app at the store's state (or `state`), in language `lang`: /compare's and /embed's carry the columns. */
function urlOf(path, { state = store.state, lang = store.state.lang } = {}) {
  const params = new URLSearchParams(encodeState({ ...state, lang }, configs));
  if (path === '/embed') params.set('cells', state.cells.join(','));
  return `${window.location.origin}${path}?${params}`;
}

function writeUrl() {
  window.history.replaceState(null, '', urlOf(window.location.pathname));
  $('[data-role=open-app]')?.setAttribute('href', urlOf(embedded ? '/compare' : '/'));
  for (const link of document.querySelectorAll('[data-language]')) link.href = urlOf(window.location.pathname, { lang: link.dataset.language });
  for (const [k, key] of columnKeys.entries()) columns[k].querySelector('[data-role=open-cell]').href = urlOf('/', { state: columnState(store.state, key) });
}
store.subscribe(null, (state, changed) => {
  if (!(state.playing && changed.has('step'))) writeUrl();
});

// ---- the columns: one viewer each ----------------------------------------------------------------
let columns = [];
let columnKeys = [];
let viewers = [];

/** Columns for `keys` (a clone of the page's template each), the first viewer serving the shared bar; once per page. */
function makeColumns(keys) {
  const template = $('#column');
  columns = keys.map((key) => {
    const column = template.content.firstElementChild.cloneNode(true);
    column.dataset.cell = key;
    const title = column.querySelector('[data-role=cell-title]');
    title.textContent = variant(key).title;
    // Each column's analyses are a region named by its cell and the part's title (one name per landmark).
    const part = column.querySelector('[data-part=analysis]');
    [title.id, part.querySelector('.card-title').id] = [`column-${key}`, `column-${key}-analysis`];
    part.removeAttribute('aria-label');
    part.setAttribute('aria-labelledby', `${title.id} ${title.id}-analysis`);
    column.querySelector('[data-role=open-cell]').setAttribute('aria-label', t('compare.open_cell_label', { cell: variant(key).title }));
    return column;
  });
  const holder = region.querySelector('[data-role=columns]');
  holder.style.setProperty('--columns', String(keys.length));
  holder.replaceChildren(...columns);
  viewers = columns.map((column, k) => createViewer(column, { store, timeline, controls: k === 0 ? bar : null }));
  columnKeys = keys;
}

/** The page's message for a failure of its runs (a refused field named, as /embed does). */
function failure(error) {
  if (error instanceof InputError) return error.message;
  return fieldErrorsText(error.fields);
}

async function run() {
  document.body.setAttribute('aria-busy', 'true');
  try {
    await timeline.pause();
    const refusal = decoded.error ?? comparisonRefusal(store.state);
    if (refusal) {
      status.textContent = refusal;
      region.hidden = true;
      return;
    }
    const { keys } = columnsOf(store.state);
    status.textContent = t('compare.running', { cells: keys.map((key) => variant(key).title).join(', ') });
    const analyses = analysesOf(store.state);
    const answers = await Promise.all(keys.map((key) => runAnalysed(columnRequest(store.state, key), '', analyses)));
    if (!viewers.length) makeColumns(keys);
    status.textContent = '';
    region.hidden = false;
    bar.hidden = store.state.hide.includes('controls');
    const shared = sharedScales(answers.map((a) => a.result));
    await Promise.all(viewers.map((viewer, k) => viewer.load(answers[k].result, { shared, refused: answers[k].refused })));
    writeUrl();
  } catch (error) {
    if (!(error instanceof InputError || error instanceof ApiError)) throw error;
    status.textContent = failure(error);
    region.hidden = true;
  } finally {
    document.body.setAttribute('aria-busy', 'false');
  }
}

// ---- the page's own controls (not in an embed) ---------------------------------------------------

/** The state a preset starts from; the view (speed, presenter, hide, cells, language) is kept. */
const presetState = (name) => ({
  ...DEFAULTS, ...stateFromConfig(configs[name]), preset: name,
  speed: store.state.speed, presenter: store.state.presenter, hide: store.state.hide, cells: store.state.cells, lang: store.state.lang,
});

function showPreset() {
  const preset = presets.find((p) => p.name === store.state.preset);
  $('[data-role=preset-info]').textContent = preset ? [preset.seed_heading, preset.description].filter(Boolean).join(' — ') : '';
}

function share(kind) {
  return shareText(kind, kind === 'link' ? urlOf('/compare') : embedCode(urlOf('/embed')));
}

const presenter = $('[data-action=presenter]');
store.subscribe(['presenter'], () => {
  presenter?.setAttribute('aria-pressed', String(store.state.presenter));
  document.documentElement.classList.toggle('presenter', store.state.presenter);
});
document.documentElement.classList.toggle('presenter', store.state.presenter);

if (!embedded) {
  const menu = $('#preset');
  menu.append(...presets.map((p) => new Option(p.title, p.name)));
  menu.value = store.state.preset;
  menu.addEventListener('change', async () => {
    await store.set(menu.value ? presetState(menu.value) : { preset: '' });
    showPreset();
    if (menu.value) run();
  });
  // Other columns are another page: the URL of the new state is loaded (viewers are made once per page).
  const picks = [...document.querySelectorAll('input[name=cells]')];
  for (const box of picks) box.checked = store.state.cells.includes(box.value);
  for (const box of picks) {
    box.addEventListener('change', () => {
      const cells = picks.filter((b) => b.checked).map((b) => b.value);
      if (cells.length) window.location.assign(urlOf('/compare', { state: { ...store.state, cells } }));
      else box.checked = true;
    });
  }
  $('[data-action=copy-link]').addEventListener('click', () => share('link'));
  $('[data-action=copy-embed]').addEventListener('click', () => share('embed'));
  presenter.setAttribute('aria-pressed', String(store.state.presenter));
  presenter.addEventListener('click', () => store.set({ presenter: !store.state.presenter }));
  showPreset();
}

await timeline.setSpeed(store.state.speed);
await run();
if (store.state.autoplay && viewers.length && !window.matchMedia('(prefers-reduced-motion: reduce)').matches) timeline.play();
