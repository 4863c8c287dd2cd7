// Entry of the standalone HTML export (app/export/html.py): the /embed viewer, started from the run
// the file carries instead of a fetched one, so that it plays from disk with no network. The page
// holds {result (compact encoding), query (the view: step, hide, ...), app (the server's address)}.
import { decodeArrays } from './encoding.js';
import { pageLanguage } from './i18n.js';
import { bindKeys, createPlayer } from './player.js';
import { decodeState, encodeState, stateFromConfig } from './state.js';
import { createStore } from './store.js';
import { createTimeline } from './timeline.js';
import { createViewer } from './viewer.js';

const { result, query, app } = JSON.parse(document.getElementById('run-data').textContent);
const run = decodeArrays(result);
const store = createStore({
  ...decodeState(query), ...stateFromConfig(run.config), lang: pageLanguage(), playing: false, steps: 1,
});
const timeline = createTimeline(store);
const root = document.querySelector('#viewer');
createPlayer(root.querySelector('.playback'), timeline);
bindKeys(root, timeline);
const viewer = createViewer(root, { store, timeline });
document.querySelector('[data-role=open-app]')?.setAttribute('href', `${app}/?${encodeState(store.state)}`);
await timeline.setSpeed(store.state.speed);
await viewer.load(run);
document.body.setAttribute('aria-busy', 'false');
if (store.state.autoplay && !window.matchMedia('(prefers-reduced-motion: reduce)').matches) timeline.play();
