// Playback controls for a timeline (timeline.js): Play/Pause, step back/forward, the slider and the
// speed, and the keys (space, ←, →) of the region they drive. They keep no state: each control
// reports what the user asks for to the timeline, and shows what the timeline's store holds.

import { t } from './i18n.js';

// Where keys belong to the focused control: text fields, selects, the slider (arrows), buttons (space).
const OWNS_KEYS = new Set(['INPUT', 'SELECT', 'TEXTAREA']);

/**
 * The controls in `root` ([data-action=play|back|forward], [data-role=slider|speed]) for `timeline`.
 */
export function createPlayer(root, timeline) {
  const play = root.querySelector('[data-action=play]');
  const slider = root.querySelector('[data-role=slider]');
  const speedSelect = root.querySelector('[data-role=speed]');
  for (const s of timeline.speeds) speedSelect.append(new Option(t('player.speed_value', { speed: s }), String(s)));

  // Each step renders: only what changed is written (a text written again still invalidates layout).
  const put = (el, prop, value) => {
    if (el[prop] !== value) el[prop] = value;
  };
  function render() {
    const { playing } = timeline;
    put(play.querySelector('.icon'), 'textContent', playing ? '❚❚' : '▶');
    put(play.querySelector('.label'), 'textContent', t(playing ? 'player.pause' : 'player.play'));
    put(slider, 'max', String(timeline.count - 1));
    put(slider, 'value', String(timeline.at));
    put(speedSelect, 'value', String(timeline.speed));
  }

  play.addEventListener('click', () => timeline.toggle());
  root.querySelector('[data-action=back]').addEventListener('click', () => timeline.stepBy(-1));
  root.querySelector('[data-action=forward]').addEventListener('click', () => timeline.stepBy(1));
  slider.addEventListener('input', () => timeline.seek(Number(slider.value)));
  speedSelect.addEventListener('change', () => timeline.setSpeed(Number(speedSelect.value)));
  timeline.subscribe(render);
  render();
}

/**
 * Space (play/pause), ← and → (step) for `timeline` while focus is inside `region`: the viewer, or
 * on a page where one player drives several viewers, the element holding them all. The region is
 * made focusable (a click inside it focuses it), so its keys never reach another region's player.
 */
export function bindKeys(region, timeline) {
  if (!region.hasAttribute('tabindex')) region.tabIndex = 0;
  region.setAttribute('aria-keyshortcuts', 'Space ArrowLeft ArrowRight');
  // A click on a chart (Plotly's SVG is not focusable) moves focus to the region, so its keys work next.
  region.addEventListener('pointerdown', (event) => {
    if (event.target.closest('button, input, select, textarea, a[href], [tabindex]') === region) region.focus({ preventScroll: true });
  });
  region.addEventListener('keydown', (event) => {
    const { tagName } = event.target;
    if (OWNS_KEYS.has(tagName) || (tagName === 'BUTTON' && event.key === ' ') || event.altKey || event.ctrlKey || event.metaKey) return;
    const action = { ' ': () => timeline.toggle(), ArrowLeft: () => timeline.stepBy(-1), ArrowRight: () => timeline.stepBy(1) }[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });
}
