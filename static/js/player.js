// Playback: Play/Pause, step back/forward, the step slider, speed, and the keyboard (space, ←, →).
import { CATCH_UP_MS, SPEEDS } from './config.js';

// Where keys belong to the focused control: text fields, selects, the slider (arrows), buttons (space).
const OWNS_KEYS = new Set(['INPUT', 'SELECT', 'TEXTAREA']);

/**
 * Playback controls in `root` over steps 0..last. onStep(step) draws a step (it may be async: a
 * frame is not requested before the previous one is drawn); onPause(step) fires when playback stops.
 */
export function createPlayer(root, { onStep, onPause, onSpeed }) {
  const play = root.querySelector('[data-action=play]');
  const slider = root.querySelector('[data-role=slider]');
  const speedSelect = root.querySelector('[data-role=speed]');
  let step = 0;
  let last = 0;
  let speed = SPEEDS[0];
  let playing = false;
  let due = 0;
  let drawing = false;

  for (const s of SPEEDS) speedSelect.append(new Option(`${s}×`, String(s)));

  async function go(next) {
    step = Math.max(0, Math.min(last, next));
    slider.value = String(step);
    drawing = true;
    await onStep(step);
    drawing = false;
  }

  function setPlaying(on) {
    playing = on;
    play.querySelector('.icon').textContent = on ? '❚❚' : '▶';
    play.querySelector('.label').textContent = on ? 'Pause' : 'Play';
    if (on) {
      due = performance.now();
      requestAnimationFrame(tick);
    } else {
      onPause(step);
    }
  }

  // One step per interval, drawn on an animation frame. When drawing falls behind, the steps that were
  // due are skipped (so the speed holds), up to CATCH_UP_MS of lag: slow speeds never skip.
  function tick(now) {
    if (!playing) return;
    if (!drawing && now >= due) {
      if (step >= last) {
        setPlaying(false);
        return;
      }
      const interval = 1000 / speed;
      due = Math.max(due, now - CATCH_UP_MS);
      const steps = 1 + Math.floor((now - due) / interval);
      due += steps * interval;
      go(step + steps);
    }
    requestAnimationFrame(tick);
  }

  function toggle() {
    if (!playing && step >= last) go(0);
    setPlaying(!playing);
  }

  function stepBy(delta) {
    if (playing) setPlaying(false);
    go(step + delta).then(() => onPause(step));
  }

  play.addEventListener('click', toggle);
  root.querySelector('[data-action=back]').addEventListener('click', () => stepBy(-1));
  root.querySelector('[data-action=forward]').addEventListener('click', () => stepBy(1));
  slider.addEventListener('input', () => stepBy(Number(slider.value) - step));
  speedSelect.addEventListener('change', () => {
    speed = Number(speedSelect.value);
    onSpeed(speed);
  });
  document.addEventListener('keydown', (event) => {
    const { tagName } = event.target;
    if (OWNS_KEYS.has(tagName) || (tagName === 'BUTTON' && event.key === ' ') || event.altKey || event.ctrlKey || event.metaKey) return;
    const action = { ' ': toggle, ArrowLeft: () => stepBy(-1), ArrowRight: () => stepBy(1) }[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  return {
    /** Set the number of steps and jump to `at` (pausing playback). */
    reset(steps, at) {
      if (playing) setPlaying(false);
      last = Math.max(0, steps - 1);
      slider.max = String(last);
      return go(at);
    },
    /** Set the speed in steps per second (the closest offered). */
    setSpeed(value) {
      speed = SPEEDS.reduce((best, s) => (Math.abs(s - value) < Math.abs(best - value) ? s : best));
      speedSelect.value = String(speed);
    },
    /** Start playing (used by `autoplay`). */
    play() {
      if (!playing) toggle();
    },
    /** The current step. */
    get step() {
      return step;
    },
  };
}
