// Pure: the Learn page's state (/learn and /embed?learn=1) as one declared object, its URL form, the
// training request it makes (SPEC §8) and which epoch the page shows while a training streams in.
// The fields are declared like state.js' FIELDS and go to and from the URL by its decodeFields/encodeFields:
// a URL holds only the fields that differ from their defaults, and always the language.
import { DEFAULT_EPOCH_SPEED, DEFAULT_SPEED } from './config.js';
import { variant, variants } from './cells.js';
import { decodeFields, encodeFields, formatField } from './state.js';

/** The parts of the Learn page that `hide=` can name, besides the viewer's own (state.js PARTS). */
export const LEARN_PARTS = ['loss', 'predictions', 'probabilities'];

/**
 * Every field of the Learn page's state; `config: true` fields make the training request (their
 * names are its fields, `cell` aside). `epoch` is null until a training is shown: a URL without it
 * opens the page waiting for Train, one with it trains (or replays the server's cached training) and
 * shows that epoch. `always: true` fields are in every URL.
 */
export const LEARN_FIELDS = [
  { name: 'text', type: 'string', default: 'hihello', config: true },
  // A cell variant of the engine's (cells.js): rnn, lstm, gru, gru_tf1 (TF1's GRUCell), as on /compare.
  { name: 'cell', type: 'enum', get values() { return Object.keys(variants()); }, default: 'lstm', config: true },
  { name: 'hidden_size', type: 'int', default: 5, config: true },
  { name: 'num_layers', type: 'int', default: 1, config: true },
  { name: 'epochs', type: 'int', default: 50, config: true },
  { name: 'learning_rate', type: 'float', default: 0.1, config: true },
  { name: 'seed', type: 'int', default: 0, config: true },
  { name: 'snapshot_every', type: 'int', default: 1, config: true },
  { name: 'epoch', type: 'int', default: null },
  { name: 'step', type: 'int', default: 0 },
  { name: 'layer', type: 'int', default: 0 },
  { name: 'unit', type: 'int', default: 0 },
  { name: 'speed', type: 'float', default: DEFAULT_SPEED },
  { name: 'epoch_speed', type: 'float', default: DEFAULT_EPOCH_SPEED },
  { name: 'presenter', type: 'bool', default: false },
  { name: 'autoplay', type: 'bool', default: false },
  { name: 'hide', type: 'list', default: [] },
  { name: 'lang', type: 'enum', values: ['en', 'ko'], default: 'en', always: true },
];

/** The configuration fields (the form's), in LEARN_FIELDS' order. */
export const LEARN_CONFIG = LEARN_FIELDS.filter((f) => f.config);

/** The state with every field at its default. */
export const LEARN_DEFAULTS = Object.freeze(Object.fromEntries(LEARN_FIELDS.map((f) => [f.name, f.default])));

/** The state a query string describes: each well-formed field given overrides its default. */
export const decodeLearn = (search) => decodeFields(LEARN_FIELDS, search, LEARN_DEFAULTS);

/** The query string of a state: every field that differs from its default (none that is null), and the `always` ones. */
export const encodeLearn = (state) => encodeFields(LEARN_FIELDS, state, LEARN_DEFAULTS);

/** Whether two states make the same training request. */
export const sameTraining = (a, b) => LEARN_CONFIG.every((f) => formatField(f, a[f.name]) === formatField(f, b[f.name]));

/** The training request (SPEC §8) of a state: the cell variant's request fields (`gru_tf1` is
 * `{cell: 'gru', reset_after: false}`), then the configuration's. */
export function trainRequest(state) {
  return {
    ...(variant(state.cell)?.request ?? { cell: state.cell }),
    hidden_size: state.hidden_size,
    num_layers: state.num_layers,
    text: state.text,
    epochs: state.epochs,
    learning_rate: state.learning_rate,
    seed: state.seed,
    snapshot_every: state.snapshot_every,
  };
}

/** The form field a server error names: a variant's own request fields (reset_after) are chosen with the cell. */
export const formField = (field) => (Object.values(variants()).some((v) => field !== 'cell' && field in v.request) ? 'cell' : field);

/**
 * The epoch to show once `count` epochs have arrived (they were `before`), or null to leave it:
 * the page follows the newest epoch while it shows the newest one (the live edge, as a video player
 * does), up to `target` (the URL's epoch on a reload, Infinity after Train). An epoch the reader
 * moved back to stays.
 */
export function followEpoch({ epoch, before, count, target }) {
  const atEdge = before === 0 || epoch >= before - 1;
  if (count <= before || !atEdge) return null;
  const next = Math.min(target, count - 1);
  return next === epoch ? null : next;
}
