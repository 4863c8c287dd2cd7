// Pure: the one owner of a page's UI state (TensorFlow Playground's state.ts, made observable).
// The state is one flat object: state.js' FIELDS (the run's configuration and the view: example,
// step, layer, direction, unit, speed, ...) plus what playback adds (`playing`, `steps`). Nothing
// else keeps a copy: controls ask for a change with set(), and whatever draws subscribes.
//
// A subscriber is told which keys changed and may return a promise (a chart drawing); set()
// resolves when every subscriber has finished, so a timeline does not move on before the step it
// asked for is on screen.

const equal = (a, b) => a === b
  || (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, k) => equal(v, b[k])));

/**
 * A store over `initial`: `state` (a frozen snapshot, replaced on every change), set(change) ->
 * Promise (merges `change`, then calls the subscribers whose keys changed and waits for them), and
 * subscribe(keys, fn) -> unsubscribe, where fn(state, changed: Set of keys) runs when one of
 * `keys` (every key when null) changes.
 */
export function createStore(initial) {
  let state = Object.freeze({ ...initial });
  const subscribers = new Set();
  return {
    get state() {
      return state;
    },
    set(change) {
      const changed = new Set(Object.keys(change).filter((key) => !equal(state[key], change[key])));
      if (!changed.size) return Promise.resolve([]);
      state = Object.freeze({ ...state, ...change });
      const now = state;
      const called = [...subscribers].filter(({ keys }) => !keys || [...changed].some((key) => keys.has(key)));
      return Promise.all(called.map(({ fn }) => fn(now, changed)));
    },
    subscribe(keys, fn) {
      const entry = { keys: keys && new Set(keys), fn };
      subscribers.add(entry);
      return () => subscribers.delete(entry);
    },
  };
}
