// Wiring only: the store (the URL's state), the presets menu, the form, the player, the viewer, the
// weights, the embed builder and the share buttons.
import { ApiError, fetchPresets, fieldError, fieldErrorsText, runAnalysed } from './api.js';
import { createBuilder } from './builder.js';
import { COMPACT_WIDTH } from './config.js';
import { createForm } from './form.js';
import { pageLanguage, t } from './i18n.js';
import {
  DEFAULTS, FIELDS, InputError, analysesOf, decodeState, embedCode, encodeState, requestFromState, sameConfig, stateFromConfig,
} from './state.js';
import { bindKeys, createPlayer } from './player.js';
import { shareText } from './share.js';
import { createStore } from './store.js';
import { createTimeline } from './timeline.js';
import { createViewer } from './viewer.js';
import { createWeightsView } from './weightsview.js';

const $ = (selector) => document.querySelector(selector);
const status = $('[data-role=status]');
// The page inlines the presets in its language (app/routes/pages.py), so the run is asked for at once.
const presets = $('#presets') ? JSON.parse($('#presets').textContent) : await fetchPresets(pageLanguage());
const configs = Object.fromEntries(presets.map((p) => [p.name, p.config]));
// The page's one owner of UI state: the URL's state, plus whether playback runs and how many steps it has.
// The language is the page's (the server chose it from lang= or Accept-Language).
const store = createStore({ ...decodeState(window.location.search, configs), lang: pageLanguage(), playing: false, steps: 1 });
const timeline = createTimeline(store);
let result = null;

/** The state a preset starts from; the display preferences (speed, presenter, hide, language) are kept. */
const presetState = (name) => ({
  ...DEFAULTS, ...stateFromConfig(configs[name]), preset: name,
  speed: store.state.speed, presenter: store.state.presenter, hide: store.state.hide, lang: store.state.lang,
});

/** The preset a state names, if its configuration is still that preset's ('' otherwise). */
const unchangedPreset = (s) => (s.preset && sameConfig(s, presetState(s.preset)) ? s.preset : '');

/** The URL of `path` at the store's state, with `change` (another language, the embed builder's view). */
function urlOf(path, change = {}) {
  const query = encodeState({ ...store.state, ...change }, configs);
  return `${window.location.origin}${path}${query ? `?${query}` : ''}`;
}
function writeUrl() {
  window.history.replaceState(null, '', urlOf(window.location.pathname));
  $('[data-role=open-app]')?.setAttribute('href', urlOf('/'));
  for (const link of document.querySelectorAll('[data-language]')) link.href = urlOf(window.location.pathname, { lang: link.dataset.language });
}
// The URL follows the store, except for the steps playback passes through: it is written when playback stops.
store.subscribe(null, (state, changed) => {
  if (!(state.playing && changed.has('step'))) writeUrl();
});

const presenter = $('[data-action=presenter]');
// Before the viewer subscribes: its charts are measured after the page's type has changed size.
store.subscribe(['presenter'], present);
function present() {
  if (!presenter) return;
  presenter.setAttribute('aria-pressed', String(store.state.presenter));
  document.documentElement.classList.toggle('presenter', store.state.presenter);
  $('.viz').classList.toggle('fit', store.state.presenter); // the viewer fits the screen (viewer.js)
  $('details.panel').open = !store.state.presenter && !window.matchMedia(`(max-width: ${COMPACT_WIDTH}px)`).matches;
}

const viewerRoot = $('#viewer');
createPlayer(viewerRoot.querySelector('.playback'), timeline);
bindKeys(viewerRoot, timeline);
const viewer = createViewer(viewerRoot, { store, timeline });
const weights = $('[data-role=weights]') && createWeightsView($('[data-role=weights]'), store);
const builder = $('#builder') && createBuilder($('#builder'), { embedUrl: (view) => urlOf('/embed', view), steps: () => store.state.steps });
const form = $('#config') && createForm($('#config'), {
  async onSubmit(config) {
    await store.set({ ...config, preset: unchangedPreset({ ...store.state, ...config }) });
    $('#preset').value = store.state.preset;
    showPreset();
    run();
  },
});

async function run() {
  document.body.setAttribute('aria-busy', 'true');
  form?.clearErrors();
  status.textContent = t('status.running');
  form?.busy(true);
  try {
    await timeline.pause();
    // The analyses (SPEC §6) when the page shows them: /embed has no part for them.
    const analyses = viewerRoot.querySelector('[data-part=analysis]') ? analysesOf(store.state) : [];
    const answer = await runAnalysed(requestFromState(store.state), unchangedPreset(store.state), analyses);
    result = answer.result;
    status.textContent = '';
    await viewer.load(result, { refused: answer.refused });
    weights?.load(result);
    builder?.refresh();
    writeUrl();
    document.querySelectorAll('[data-action=download-json], [data-action=builder], [data-export]').forEach((b) => b.removeAttribute('disabled'));
  } catch (error) {
    if (!(error instanceof InputError || error instanceof ApiError)) throw error;
    const busy = error instanceof ApiError && error.status === 503;
    status.textContent = busy ? t('status.busy', { message: error.message }) : t('status.not_run');
    // The charts of the last run stay, greyed and marked as not this configuration's.
    if (result) viewer.markStale(true);
    const errors = error instanceof InputError ? [fieldError(error.field, error.message)] : error.fields;
    if (form) form.showErrors(errors);
    else status.textContent = fieldErrorsText(errors);
  } finally {
    form?.busy(false);
    document.body.setAttribute('aria-busy', 'false');
  }
}

/** The preset's place and description under the menu; once the form differs from it, only that it was edited from it. */
function showPreset(name = store.state.preset) {
  const preset = presets.find((p) => p.name === name);
  const edited = preset && name === store.state.preset && form && !sameConfig({ ...store.state, ...form.read() }, presetState(name));
  const info = $('[data-role=preset-info]');
  if (!preset) info.textContent = '';
  else info.textContent = edited ? t('preset.edited', { title: preset.title }) : [preset.seed_heading, preset.description].filter(Boolean).join(' — ');
}

function share(kind) {
  return shareText(kind, kind === 'link' ? urlOf('/') : embedCode(urlOf('/embed')));
}

function download() {
  const url = URL.createObjectURL(new Blob([JSON.stringify(result)], { type: 'application/json' }));
  const name = `rnn-${store.state.preset || result.config.cell}.json`;
  Object.assign(document.createElement('a'), { href: url, download: name }).click();
  URL.revokeObjectURL(url);
}

/** An export of the run shown (/api/export/KIND, SPEC §9): its preset or configuration; the HTML also takes the view. */
function downloadExport(kind) {
  const preset = unchangedPreset(store.state);
  const params = new URLSearchParams(preset ? { preset } : { config: JSON.stringify(requestFromState(store.state)) });
  params.set('lang', store.state.lang);
  const view = FIELDS.filter((f) => !f.config && f.name !== 'preset').map((f) => f.name);
  if (kind === 'html') for (const [key, value] of new URLSearchParams(encodeState(store.state, configs))) if (view.includes(key)) params.set(key, value);
  Object.assign(document.createElement('a'), { href: `/api/export/${kind}?${params}`, download: '' }).click();
}

if (form) {
  const menu = $('#preset');
  menu.append(...presets.map((p) => Object.assign(document.createElement('option'), { value: p.name, textContent: p.title })));
  menu.value = store.state.preset;
  // A preset is chosen by a click, by Enter, or by leaving the menu: arrow keys only move through
  // it (its description follows), so a reader going past five presets does not start five runs.
  let browsing = false;
  async function choose() {
    browsing = false;
    if (menu.value === store.state.preset) return;
    await store.set(menu.value ? presetState(menu.value) : { preset: '' });
    form.fill(store.state);
    showPreset();
    if (menu.value) run();
  }
  menu.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') choose();
    else if (!['Tab', 'Shift', 'Escape'].includes(event.key)) browsing = true;
  });
  menu.addEventListener('change', () => (browsing ? showPreset(menu.value) : choose()));
  menu.addEventListener('blur', () => browsing && choose());
  $('#config').addEventListener('input', () => showPreset());
  const builderButton = $('[data-action=builder]');
  builderButton.addEventListener('click', () => {
    const open = builderButton.getAttribute('aria-expanded') !== 'true';
    builderButton.setAttribute('aria-expanded', String(open));
    if (open) builder.open(store.state.step);
    else builder.close();
  });
  $('[data-action=copy-link]').addEventListener('click', () => share('link'));
  $('[data-action=copy-embed]').addEventListener('click', () => share('embed'));
  $('[data-action=download-json]').addEventListener('click', download);
  document.querySelectorAll('[data-export]').forEach((b) => b.addEventListener('click', () => downloadExport(b.dataset.export)));
  presenter.addEventListener('click', () => store.set({ presenter: !store.state.presenter }));
  present();
  form.fill(store.state);
  showPreset();
}

await timeline.setSpeed(store.state.speed);
await run();
if (store.state.autoplay && result && !window.matchMedia('(prefers-reduced-motion: reduce)').matches) timeline.play();
