import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CATCH_UP_MS } from '../../static/js/config.js';
import { createStore } from '../../static/js/store.js';
import { createTimeline } from '../../static/js/timeline.js';

const settle = () => new Promise((resolve) => { setImmediate(resolve); });

/** A clock that moves only when told: frames every `frameMs` of fake time, and timers (after) that draws wait on. */
function fakeClock(frameMs = 16) {
  let now = 0;
  let frames = [];
  let timers = [];
  return {
    now: () => now,
    frame: (fn) => frames.push(fn),
    after: (ms) => new Promise((resolve) => timers.push({ at: now + ms, resolve })),
    get pending() {
      return frames.length;
    },
    /** Run `ms` of fake time, frame by frame, letting promises settle after each frame. */
    async run(ms) {
      const end = now + ms;
      while (now < end) {
        now += frameMs;
        const due = timers.filter((t) => t.at <= now);
        timers = timers.filter((t) => t.at > now);
        due.forEach((t) => t.resolve());
        await settle();
        const fns = frames;
        frames = [];
        fns.forEach((fn) => fn(now));
        await settle();
      }
    },
  };
}

/** A viewer that draws its own run at the store's step, taking `drawMs` of fake time per step. */
function fakeViewer(store, clock, run, drawMs = 0) {
  const shown = [];
  store.subscribe(['step'], async (state) => {
    if (drawMs) await clock.after(drawMs);
    shown.push([state.step, run[state.step]]);
  });
  return shown;
}

function setup({ steps = 10, speed = 2, frameMs = 16 } = {}) {
  const clock = fakeClock(frameMs);
  const store = createStore({ step: 0, steps: 1, playing: false, speed, layer: 0 });
  const timeline = createTimeline(store, { clock });
  return { clock, store, timeline, ready: timeline.setCount(steps) };
}

test('two viewers following one timeline draw their own runs at the same steps', async () => {
  const { clock, store, timeline, ready } = setup({ steps: 5, speed: 4 });
  await ready;
  const runs = [['a0', 'a1', 'a2', 'a3', 'a4'], ['b0', 'b1', 'b2', 'b3', 'b4']];
  const [first, second] = runs.map((run, k) => fakeViewer(store, clock, run, k === 0 ? 10 : 40));
  await timeline.play();
  await clock.run(3000);
  assert.equal(timeline.playing, false);
  assert.deepEqual(first.map(([step]) => step), [1, 2, 3, 4]);
  assert.deepEqual(second.map(([step]) => step), [1, 2, 3, 4]);
  assert.deepEqual(second.map(([, drawn]) => drawn), ['b1', 'b2', 'b3', 'b4']);
  const seek = timeline.seek(2); // drawn once both viewers have drawn it (40 ms of fake time)
  await clock.run(100);
  await seek;
  assert.deepEqual([first.at(-1), second.at(-1)], [[2, 'a2'], [2, 'b2']]);
});

test('playback moves on the first frame, then one step per 1/speed seconds; it stops at the end and restarts from the start', async () => {
  const { clock, store, timeline, ready } = setup({ steps: 4, speed: 2 });
  await ready;
  const playing = [];
  store.subscribe(['playing'], (state) => { playing.push(state.playing); });
  await timeline.play();
  await clock.run(20); // frames at 16 and 32 ms: step 1 at 16
  assert.equal(timeline.at, 1);
  await clock.run(448); // to 480 ms
  assert.equal(timeline.at, 1);
  await clock.run(32); // the frame at 512 ms: step 2 (due at 500)
  assert.equal(timeline.at, 2);
  await clock.run(2000);
  assert.equal(timeline.at, 3);
  assert.deepEqual(playing, [true, false]);
  await timeline.play();
  assert.equal(timeline.at, 0);
  assert.equal(timeline.playing, true);
});

test('a step is not asked for before the previous one is drawn', async () => {
  const { clock, store, timeline, ready } = setup({ steps: 100, speed: 30 });
  await ready;
  let release;
  const asked = [];
  store.subscribe(['step'], (state) => {
    asked.push(state.step);
    return new Promise((resolve) => { release = resolve; });
  });
  await timeline.play();
  await clock.run(40);
  assert.deepEqual(asked, [1]);
  await clock.run(1000); // the draw of step 1 never finishes: nothing more is asked for
  assert.deepEqual(asked, [1]);
  release();
  await clock.run(17);
  assert.equal(asked.length, 2);
});

test('slow drawing skips steps to keep the speed, by at most CATCH_UP_MS of lag', async () => {
  const { clock, store, timeline, ready } = setup({ steps: 10000, speed: 30 });
  await ready;
  const shown = fakeViewer(store, clock, [], 100); // 100 ms a step at 30 steps/s
  await timeline.play();
  await clock.run(3000);
  const perSecond = timeline.at / 3;
  assert.ok(perSecond > 25 && perSecond <= 31, `${perSecond} steps/s`);
  assert.ok(shown.length < 35, `${shown.length} draws`);
  const jumps = shown.slice(1).map(([s], k) => s - shown[k][0]);
  assert.ok(Math.max(...jumps) <= Math.ceil((100 + CATCH_UP_MS) * 0.03) + 1, jumps);
});

test('slow speeds never skip a step, however slow the drawing', async () => {
  const { clock, store, timeline, ready } = setup({ steps: 50, speed: 2 });
  await ready;
  const shown = fakeViewer(store, clock, [], 180);
  await timeline.play();
  await clock.run(5000);
  const steps = shown.map(([s]) => s);
  assert.deepEqual(steps, Array.from({ length: steps.length }, (_, k) => k + 1));
  assert.ok(steps.length >= 8, steps);
});

test('seek and step pause playback and stay within the steps; a new count clamps the step', async () => {
  const { clock, timeline, ready } = setup({ steps: 6, speed: 8 });
  await ready;
  await timeline.play();
  await clock.run(300);
  await timeline.stepBy(1);
  assert.equal(timeline.playing, false);
  const at = timeline.at;
  await clock.run(1000);
  assert.equal(timeline.at, at);
  await timeline.seek(99);
  assert.equal(timeline.at, 5);
  await timeline.stepBy(-10);
  assert.equal(timeline.at, 0);
  await timeline.seek(5);
  await timeline.setCount(3);
  assert.equal(timeline.at, 2);
});

test('pausing and playing again within a frame does not double the speed', async () => {
  const { clock, timeline, ready } = setup({ steps: 1000, speed: 8 });
  await ready;
  await timeline.play();
  await timeline.pause();
  await timeline.play();
  await clock.run(2000);
  assert.ok(timeline.at >= 15 && timeline.at <= 17, `${timeline.at} steps in 2 s at 8 steps/s`);
});

test('a speed is the closest one offered, and a player-less timeline over another key leaves the step alone', async () => {
  const { clock, store, timeline, ready } = setup({ steps: 10 });
  await ready;
  await timeline.setSpeed(3.1);
  assert.equal(store.state.speed, 4);
  const keys = { at: 'epoch', count: 'epochs', playing: 'epochPlaying', speed: 'epochSpeed' };
  await store.set({ epoch: 0, epochs: 1, epochPlaying: false, epochSpeed: 1 });
  const epochs = createTimeline(store, { keys, speeds: [1, 10], clock });
  await epochs.setCount(30);
  await epochs.setSpeed(9);
  const seen = [];
  epochs.subscribe((tl) => seen.push([tl.at, tl.playing]));
  await epochs.play();
  await clock.run(350); // epochs 1, 2, 3, 4 at 16, 116, 216, 316 ms
  await epochs.pause();
  assert.equal(store.state.epochSpeed, 10);
  assert.equal(epochs.at, 4);
  assert.deepEqual(seen.at(-1), [4, false]);
  assert.equal(store.state.step, 0);
  assert.equal(timeline.playing, false);
});

test('the store tells each subscriber the keys that changed, and waits for what they draw', async () => {
  const store = createStore({ step: 0, unit: 0, hide: [] });
  const calls = [];
  let drawn = false;
  store.subscribe(['unit'], (state, changed) => { calls.push(['unit', state.unit, [...changed]]); });
  store.subscribe(null, async (state, changed) => {
    await settle();
    drawn = true;
    calls.push(['all', [...changed]]);
  });
  await store.set({ step: 1 });
  assert.equal(drawn, true);
  await store.set({ step: 1, hide: [] }); // nothing changed: nobody is called
  await store.set({ unit: 2, step: 3 });
  assert.deepEqual(calls, [['all', ['step']], ['unit', 2, ['unit', 'step']], ['all', ['unit', 'step']]]);
  assert.throws(() => { store.state.step = 9; });
});
