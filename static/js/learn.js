// Wiring only: the Learn page (/learn) and its chart-only embed (/embed?learn=1). One store holds
// the URL's state (learnstate.js) and the keys of two timelines: the epoch (the training's charts)
// and the step (the viewer, showing the network at the epoch's snapshot). The training streams in
// (learnstream.js); the charts are learnframes.js' and the viewer is the app's own.
import { ApiError, fieldErrorsText } from './api.js';
import { COMPACT_WIDTH, EPOCH_SPEEDS, LEARN_SIDE_TABLE_STEPS } from './config.js';
import { createForm } from './form.js';
import { pageLanguage, t } from './i18n.js';
import {
  learnModel, lossCurve, lossSummary, predictions, predictionsSummary, probabilities, probabilitiesSummary, snapshotAt,
} from './learnframes.js';
import { LEARN_CONFIG, LEARN_PARTS, decodeLearn, encodeLearn, followEpoch, formField, trainRequest } from './learnstate.js';
import { STREAM_CUT, coalesce, createTraining, streamTraining } from './learnstream.js';
import { bindKeys, createPlayer } from './player.js';
import { createChart } from './plot.js';
import { shareText } from './share.js';
import { embedCode } from './state.js';
import { createStore } from './store.js';
import { createTable } from './table.js';
import { createTimeline } from './timeline.js';
import { createViewer, presenterScale } from './viewer.js';

const $ = (selector) => document.querySelector(selector);
const embedded = document.body.dataset.page === 'learn-embed';
const initial = decodeLearn(window.location.search);
// The URL's state, the viewer's fixed view (one example, one direction) and both timelines' keys.
const store = createStore({
  ...initial, epoch: initial.epoch ?? 0, lang: pageLanguage(), example: 0, direction: 'forward',
  playing: false, steps: 1, epoch_playing: false, epoch_count: 1,
});
const steps = createTimeline(store);
const epochs = createTimeline(store, {
  keys: { at: 'epoch', count: 'epoch_count', playing: 'epoch_playing', speed: 'epoch_speed' }, speeds: EPOCH_SPEEDS,
});

const region = $('#training');
createPlayer(region.querySelector('.playback'), epochs);
bindKeys(region, epochs);
const viewerRoot = $('#viewer');
const viewer = viewerRoot && createViewer(viewerRoot, { store, timeline: steps });
if (viewerRoot) {
  createPlayer(viewerRoot.querySelector('.playback'), steps);
  bindKeys(viewerRoot, steps);
}
const element = (name) => $(`[data-chart=${name}]`);
const charts = {
  loss: createChart(element('loss'), lossCurve),
  predictions: createTable(element('predictions'), predictions),
  probabilities: createChart(element('probabilities'), probabilities),
};
const text = (role, value) => {
  const el = $(`[data-role=${role}]`);
  if (el && el.textContent !== value) el.textContent = value;
};

let training = null; // the training on screen, as streamed so far (learnstream.js' shape)
let model = null; // learnModel(training)
let received = 0; // epochs of `training` drawn so far
let live = false; // a training is streaming in
let controller = null; // aborts the stream in flight (Stop, or a new Train)
let target = initial.epoch ?? Infinity; // the epoch to follow the training up to
const drawn = { probabilities: null, run: null }; // the snapshots the probabilities and the viewer show

/** A chart's options: its language, presenter type, and compact when narrow or embedded (fitted). */
function chartOptions(el) {
  const width = el.clientWidth || COMPACT_WIDTH;
  const fit = Boolean(el.closest('.fit'));
  return {
    lang: store.state.lang, fontScale: store.state.presenter ? presenterScale(window.innerHeight) : 1, compact: fit || width < COMPACT_WIDTH, narrow: !fit && width < COMPACT_WIDTH,
  };
}

/** The epoch's charts, report and viewer: what the store's epoch (and step) show of the training. */
async function drawEpoch() {
  const { epoch, step } = store.state;
  const entry = model?.history[epoch];
  if (!entry) return;
  const snapshot = snapshotAt(model, epoch);
  const right = Math.round(entry.accuracy * model.T);
  text('epoch-report', t('learnpage.epoch_report', {
    epoch, epochs: model.epochs, loss: entry.loss.toFixed(3), right, steps: model.T,
  }));
  text('loss-summary', lossSummary(model, epoch));
  text('predictions-summary', predictionsSummary(model, epoch));
  text('snapshot-note', snapshot.epoch === epoch
    ? t('learnpage.weights_of', { epoch }) : t('learnpage.weights_before', { epoch, snapshot: snapshot.epoch }));
  const work = [charts.loss.show(epoch), charts.predictions.draw(model, { ...chartOptions(element('predictions')), epoch, step: epoch })];
  if (drawn.probabilities !== snapshot) {
    drawn.probabilities = snapshot;
    work.push(charts.probabilities.draw(model, { ...chartOptions(element('probabilities')), epoch, step }));
  }
  text('probabilities-summary', probabilitiesSummary(model, Math.min(step, model.T - 1), { epoch }));
  if (viewer && drawn.run !== snapshot.run) {
    drawn.run = snapshot.run;
    work.push(viewer.load(snapshot.run));
  }
  await Promise.all(work);
}
const showEpoch = coalesce(drawEpoch);

/**
 * The training as it has streamed in: the loss curve first (the first point as soon as it comes),
 * then the epoch slider's length, and the epoch shown follows the newest while it is at the newest.
 */
const drawTraining = coalesce(async () => {
  model = learnModel(training);
  const count = model.history.length;
  const { epoch } = store.state;
  const next = store.state.epoch_playing ? null : followEpoch({ epoch, before: received, count, target });
  const fresh = epoch >= received; // the epoch shown had not come yet at the last drawing
  received = count;
  region.classList.toggle('long-text', model.T > LEARN_SIDE_TABLE_STEPS);
  await charts.loss.draw(model, { ...chartOptions(element('loss')), epoch: Math.min(epoch, count - 1) });
  await epochs.setCount(count);
  if (!viewer) await steps.setCount(model.T);
  if (next !== null) await epochs.seek(next);
  else if (store.state.epoch === epoch && fresh) await showEpoch();
});

/**
 * The loss curve's empty axes for the form's epochs, before any training: Plotly's first chart on
 * a page costs a few hundred milliseconds, paid here rather than between Train and the first point.
 */
function drawEmpty() {
  const empty = learnModel({ ...createTraining(trainRequest(store.state)), vocabulary: '' });
  return charts.loss.draw(empty, chartOptions(element('loss')));
}

/** Everything drawn again (a new text size or language): the loss curve, the epoch's charts; the viewer redraws itself. */
async function redraw() {
  if (!model) return drawEmpty();
  drawn.probabilities = null;
  await charts.loss.draw(model, { ...chartOptions(element('loss')), epoch: store.state.epoch });
  await showEpoch();
}

// ---- the URL and sharing -------------------------------------------------------------------------

/** The URL of this state on /learn, or on the embed page; in language `lang`. The epoch only once a training is shown. */
function urlOf(page, lang = store.state.lang) {
  const query = encodeLearn({ ...store.state, lang, epoch: training ? store.state.epoch : null });
  return `${window.location.origin}${page === 'embed' ? `/embed?learn=1&${query}` : `/learn?${query}`}`;
}
function writeUrl() {
  const page = embedded ? 'embed' : 'learn';
  window.history.replaceState(null, '', urlOf(page));
  $('[data-role=open-app]')?.setAttribute('href', urlOf('learn'));
  for (const link of document.querySelectorAll('[data-language]')) link.href = urlOf(page, link.dataset.language);
}
// The URL follows the store, but not while a training streams in or playback moves the epoch or
// the step: it is written when they end.
store.subscribe(null, (state, changed) => {
  const moving = (state.playing && changed.has('step')) || (state.epoch_playing && changed.has('epoch'));
  if (!live && !moving) writeUrl();
});

function share(kind) {
  return shareText(kind, kind === 'link' ? urlOf('learn') : embedCode(urlOf('embed')));
}

// ---- training --------------------------------------------------------------------------------------

const form = $('#train-config') && createForm($('#train-config'), {
  fields: LEARN_CONFIG,
  async onSubmit(config) {
    await store.set(config);
    target = Infinity;
    train();
  },
});
const stop = $('[data-action=stop]');

function setLive(on) {
  live = on;
  region.setAttribute('aria-busy', String(on));
  // The epoch report is read aloud as the reader moves the epoch, not at every epoch of a training.
  $('[data-role=epoch-report]').setAttribute('aria-live', on ? 'off' : 'polite');
  form?.busy(on);
  if (stop) stop.disabled = !on;
}

/** A refused or failed training said in the page's language: next to the fields it names, or in the status. */
function showError(error) {
  if (error.status === 503) {
    text('status', t('learnpage.busy', { seconds: error.retryAfter ?? 1 }));
  } else if (error.status === STREAM_CUT) {
    text('status', t('learnpage.cut'));
  } else if (form) {
    form.showErrors(error.fields.map((e) => ({ ...e, field: formField(e.field) })));
    text('status', t('learnpage.not_trained'));
  } else {
    text('status', fieldErrorsText(error.fields));
  }
}

/** Train the store's configuration, drawing each epoch as it streams in; Stop (or another Train) aborts it. */
async function train() {
  controller?.abort();
  const mine = new AbortController();
  controller = mine;
  form?.clearErrors();
  received = 0;
  setLive(true);
  text('status', t('learnpage.training'));
  try {
    training = await streamTraining(trainRequest(store.state), {
      signal: mine.signal,
      onUpdate(streamed) {
        if (controller !== mine) return;
        training = streamed;
        drawTraining();
      },
    });
    await drawTraining();
    const last = training.history.at(-1);
    text('status', t('learnpage.trained', { epochs: last.epoch, loss: last.loss.toFixed(4), predicted: last.predicted }));
    if (store.state.autoplay && !window.matchMedia('(prefers-reduced-motion: reduce)').matches) epochs.play();
  } catch (error) {
    if (!mine.signal.aborted && !(error instanceof ApiError)) throw error;
    if (controller !== mine) return; // a newer training took over
    if (mine.signal.aborted) {
      if (training) await drawTraining(); // the epochs that came before Stop, all drawn
      text('status', t('learnpage.stopped', { epoch: training?.history.at(-1)?.epoch ?? 0, epochs: store.state.epochs }));
    } else {
      showError(error);
    }
  } finally {
    if (controller === mine) {
      controller = null;
      setLive(false);
      writeUrl();
    }
  }
}

// ---- the store's subscribers and the controls -----------------------------------------------------

store.subscribe(['epoch'], () => showEpoch());
store.subscribe(['step'], (state) => {
  if (!model) return undefined;
  text('probabilities-summary', probabilitiesSummary(model, Math.min(state.step, model.T - 1), { epoch: state.epoch }));
  return charts.probabilities.show(state.step);
});
store.subscribe(['presenter'], (state) => {
  document.documentElement.classList.toggle('presenter', state.presenter);
  $('[data-action=presenter]')?.setAttribute('aria-pressed', String(state.presenter));
  return redraw();
});
// A click on a step of the probabilities or the predictions shows that step in the viewer.
charts.probabilities.onClick((meta, point) => steps.seek(point.x));
charts.predictions.onClick((meta, point) => steps.seek(point.x));
for (const part of LEARN_PARTS) $(`[data-part=${part}]`).hidden = store.state.hide.includes(part);

if (form) {
  stop.addEventListener('click', () => controller?.abort());
  $('[data-action=copy-link]').addEventListener('click', () => share('link'));
  $('[data-action=copy-embed]').addEventListener('click', () => share('embed'));
  $('[data-action=presenter]').addEventListener('click', () => store.set({ presenter: !store.state.presenter }));
  form.fill(store.state);
}
document.documentElement.classList.toggle('presenter', store.state.presenter);
$('[data-action=presenter]')?.setAttribute('aria-pressed', String(store.state.presenter));
await Promise.all([steps.setSpeed(store.state.speed), epochs.setSpeed(store.state.epoch_speed)]);
// A URL that names an epoch (a reload, a shared link) and every embed train at once: the server
// answers an identical training from its cache. A plain /learn waits for Train.
if (embedded || initial.epoch !== null) {
  train();
} else {
  text('status', t('learnpage.ready'));
  await drawEmpty();
}
