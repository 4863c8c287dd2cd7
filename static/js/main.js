// Wiring only: the URL state, the presets menu, the form, the viewer and the share buttons.
import { ApiError, fetchPresets, runNetwork } from './api.js';
import { COMPACT_WIDTH } from './config.js';
import { createForm } from './form.js';
import {
  DEFAULTS, FIELDS, InputError, decodeState, embedCode, encodeState, requestFromState, sameConfig, stateFromConfig,
} from './state.js';
import { createViewer } from './viewer.js';

const $ = (selector) => document.querySelector(selector);
const status = $('[data-role=status]');
const presets = await fetchPresets();
const configs = Object.fromEntries(presets.map((p) => [p.name, p.config]));
let state = decodeState(window.location.search, configs);
let result = null;

/** The state a preset starts from; the display preferences (speed, presenter, hide) are kept. */
const presetState = (name) => ({
  ...DEFAULTS, ...stateFromConfig(configs[name]), preset: name, speed: state.speed, presenter: state.presenter, hide: state.hide,
});

/** The preset a state names, if its configuration is still that preset's ('' otherwise). */
const unchangedPreset = (s) => (s.preset && sameConfig(s, presetState(s.preset)) ? s.preset : '');

const query = () => encodeState(state, configs);
const urlOf = (path) => `${window.location.origin}${path}${query() ? `?${query()}` : ''}`;
function writeUrl() {
  window.history.replaceState(null, '', urlOf(window.location.pathname));
  $('[data-role=open-app]')?.setAttribute('href', urlOf('/'));
}

const viewer = createViewer($('#viewer'), {
  onChange(view) {
    state = { ...state, ...view };
    writeUrl();
  },
});
const form = $('#config') && createForm($('#config'), {
  onSubmit(config) {
    state = { ...state, ...config };
    state.preset = unchangedPreset(state);
    $('#preset').value = state.preset;
    run();
  },
});

async function run() {
  document.body.setAttribute('aria-busy', 'true');
  form?.clearErrors();
  status.textContent = 'Running…';
  form?.busy(true);
  try {
    result = await runNetwork(requestFromState(state), unchangedPreset(state));
    status.textContent = '';
    await viewer.load(result, state);
    writeUrl();
    $('[data-action=download-json]')?.removeAttribute('disabled');
    document.querySelectorAll('[data-export]').forEach((b) => b.removeAttribute('disabled'));
  } catch (error) {
    if (!(error instanceof InputError || error instanceof ApiError)) throw error;
    const busy = error instanceof ApiError && error.status === 503;
    status.textContent = busy ? `The server is busy: ${error.message}` : 'The run was not made; see the messages next to the fields.';
    const errors = error instanceof InputError ? [{ field: error.field, message: error.message }] : error.fields;
    if (form) form.showErrors(errors);
    else status.textContent = errors.map((e) => `${e.field}: ${e.message}`).join('\n');
  } finally {
    form?.busy(false);
    document.body.setAttribute('aria-busy', 'false');
  }
}

function showPreset() {
  const preset = presets.find((p) => p.name === state.preset);
  $('[data-role=preset-info]').textContent = preset ? `${preset.seed_heading} — ${preset.description}` : '';
}

async function share(kind) {
  const text = kind === 'link' ? urlOf('/') : embedCode(urlOf('/embed'));
  const box = $('[data-role=share-text]');
  box.value = text;
  $('[data-role=share]').hidden = false;
  try {
    await navigator.clipboard.writeText(text);
    $('[data-role=share-status]').textContent = kind === 'link' ? 'Link copied.' : 'Embed code copied.';
  } catch {
    box.select();
    $('[data-role=share-status]').textContent = 'Copy the selected text (Ctrl+C).';
  }
}

function download() {
  const url = URL.createObjectURL(new Blob([JSON.stringify(result)], { type: 'application/json' }));
  const name = `rnn-${state.preset || result.config.cell}.json`;
  Object.assign(document.createElement('a'), { href: url, download: name }).click();
  URL.revokeObjectURL(url);
}

/** An export of the run shown (/api/export/KIND, SPEC §9): its preset or configuration; the HTML also takes the view. */
function downloadExport(kind) {
  const preset = unchangedPreset(state);
  const params = new URLSearchParams(preset ? { preset } : { config: JSON.stringify(requestFromState(state)) });
  const view = FIELDS.filter((f) => !f.config && f.name !== 'preset').map((f) => f.name);
  if (kind === 'html') for (const [key, value] of new URLSearchParams(query())) if (view.includes(key)) params.set(key, value);
  Object.assign(document.createElement('a'), { href: `/api/export/${kind}?${params}`, download: '' }).click();
}

if (form) {
  const menu = $('#preset');
  menu.append(...presets.map((p) => Object.assign(document.createElement('option'), { value: p.name, textContent: p.title })));
  menu.value = state.preset;
  menu.addEventListener('change', () => {
    state = menu.value ? presetState(menu.value) : { ...state, preset: '' };
    showPreset();
    form.fill(state);
    if (menu.value) run();
  });
  $('[data-action=copy-link]').addEventListener('click', () => share('link'));
  $('[data-action=copy-embed]').addEventListener('click', () => share('embed'));
  $('[data-action=download-json]').addEventListener('click', download);
  document.querySelectorAll('[data-export]').forEach((b) => b.addEventListener('click', () => downloadExport(b.dataset.export)));
  const presenter = $('[data-action=presenter]');
  const present = () => {
    presenter.setAttribute('aria-pressed', String(state.presenter));
    document.documentElement.classList.toggle('presenter', state.presenter);
    $('details.panel').open = !state.presenter && !window.matchMedia(`(max-width: ${COMPACT_WIDTH}px)`).matches;
  };
  presenter.addEventListener('click', () => {
    state = { ...state, presenter: !state.presenter };
    present();
    viewer.restyle({ presenter: state.presenter });
    writeUrl();
  });
  present();
  showPreset();
  form.fill(state);
}

await run();
if (state.autoplay && result && !window.matchMedia('(prefers-reduced-motion: reduce)').matches) viewer.play();
