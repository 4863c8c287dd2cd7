// Entry of the standalone HTML export (app/export/html.py): the /embed viewer, started from the run
// the file carries instead of a fetched one, so that it plays from disk with no network. The page
// holds {result (compact encoding), query (the view: step, hide, ...), app (the server's address)}.
import { decodeArrays } from './encoding.js';
import { decodeState, encodeState, stateFromConfig } from './state.js';
import { createViewer } from './viewer.js';

const { result, query, app } = JSON.parse(document.getElementById('run-data').textContent);
const run = decodeArrays(result);
const state = { ...decodeState(query), ...stateFromConfig(run.config) };
const viewer = createViewer(document.querySelector('#viewer'), { onChange() {} });
document.querySelector('[data-role=open-app]')?.setAttribute('href', `${app}/?${encodeState(state)}`);
await viewer.load(run, state);
document.body.setAttribute('aria-busy', 'false');
if (state.autoplay && !window.matchMedia('(prefers-reduced-motion: reduce)').matches) viewer.play();
