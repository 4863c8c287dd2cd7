// Pure: playback over positions 0..count-1 of one key of a store (the step; the Learn page's
// epoch). The timeline is that key's only writer: players report what the user asks for (play,
// pause, step, seek, speed) and show what the store holds; viewers subscribe to the store and
// draw. Several viewers can follow one timeline (the compare page), and one store can hold several
// timelines under different keys (an epoch player and a step player).
//
// While playing, it moves one position per 1/speed s on animation frames, and never asks for a
// position before the previous one is drawn (the store's set() resolves when every subscriber has
// drawn). When drawing falls behind, the positions that fell due are skipped so the speed holds,
// by at most CATCH_UP_MS of lag: speeds under 1000 / CATCH_UP_MS never skip, and a hidden tab does
// not jump ahead.
import { CATCH_UP_MS, SPEEDS } from './config.js';

/** The browser's clock: performance.now() and requestAnimationFrame. */
const browserClock = {
  now: () => performance.now(),
  frame: (fn) => requestAnimationFrame(fn),
};

/** The store keys a step timeline uses; another timeline names its own (e.g. {at: 'epoch', count: 'epochs', ...}). */
const STEP_KEYS = { at: 'step', count: 'steps', playing: 'playing', speed: 'speed' };

/**
 * A timeline over `store`'s key `keys.at`, with its length in `keys.count`, whether it plays in
 * `keys.playing` and its speed (positions per second, one of `speeds`) in `keys.speed`.
 * `clock` ({now(), frame(fn)}) is the browser's unless a test gives its own.
 */
export function createTimeline(store, { keys = STEP_KEYS, speeds = SPEEDS, clock = browserClock } = {}) {
  const read = (name) => store.state[keys[name]];
  const last = () => Math.max(0, read('count') - 1);
  const clamp = (at) => Math.max(0, Math.min(last(), at));
  let due = 0;
  let drawing = false;
  let run = 0; // each play() starts run + 1; a frame of an older run stops there

  async function go(at) {
    drawing = true;
    try {
      await store.set({ [keys.at]: clamp(at) });
    } finally {
      drawing = false;
    }
  }

  function tick(now, mine) {
    if (mine !== run || !read('playing')) return;
    if (!drawing && now >= due) {
      if (read('at') >= last()) {
        store.set({ [keys.playing]: false });
        return;
      }
      const interval = 1000 / read('speed');
      due = Math.max(due, now - CATCH_UP_MS);
      const steps = 1 + Math.floor((now - due) / interval);
      due += steps * interval;
      go(read('at') + steps);
    }
    clock.frame((t) => tick(t, mine));
  }

  const timeline = {
    /** The store keys this timeline writes. */
    keys,
    /** The speeds offered, in positions per second. */
    speeds,
    /** The current position. */
    get at() {
      return read('at');
    },
    /** How many positions there are. */
    get count() {
      return read('count');
    },
    /** Whether it is playing. */
    get playing() {
      return Boolean(read('playing'));
    },
    /** The speed in positions per second. */
    get speed() {
      return read('speed');
    },
    /** Set the number of positions (a new run); the position is clamped into them. */
    setCount(count) {
      const n = Math.max(1, count);
      return store.set({ [keys.count]: n, [keys.at]: Math.max(0, Math.min(n - 1, read('at'))) });
    },
    /** Start playing (from the start when at the end). */
    play() {
      if (read('playing')) return Promise.resolve();
      const restart = read('at') >= last() ? go(0) : Promise.resolve();
      run += 1;
      const mine = run;
      due = clock.now();
      clock.frame((t) => tick(t, mine));
      return Promise.all([restart, store.set({ [keys.playing]: true })]);
    },
    /** Stop playing where it is. */
    pause() {
      return store.set({ [keys.playing]: false });
    },
    /** Play or pause. */
    toggle() {
      return read('playing') ? timeline.pause() : timeline.play();
    },
    /** Stop playing and go to position `at` (clamped); resolves once it is drawn. */
    async seek(at) {
      await timeline.pause();
      await go(at);
    },
    /** Stop playing and move by `delta` positions. */
    stepBy(delta) {
      return timeline.seek(read('at') + delta);
    },
    /** Set the speed: the offered speed closest to `value`. */
    setSpeed(value) {
      const speed = speeds.reduce((best, s) => (Math.abs(s - value) < Math.abs(best - value) ? s : best));
      return store.set({ [keys.speed]: speed });
    },
    /** Call fn(timeline) whenever its position, count, playing or speed changes; returns the unsubscribe function. */
    subscribe(fn) {
      return store.subscribe(Object.values(keys), () => fn(timeline));
    },
  };
  return timeline;
}
