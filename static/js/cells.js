// Pure: the cell variants as the engine declares them (app/engine/cells.py, docs/CELLS.md), the
// front end's one source for every cell's names (states, gates), weight layout (blocks, bias
// rows), options and equations. Each page inlines them with the engine's analysis limit as
// <script type="application/json" id="engine"> (app/routes/pages.py: engine_context), so they are
// there before the first chart and inside a standalone export; this module reads it once, like
// i18n.js its catalog. Outside a page (the unit tests) useEngine() gives them.

let engine = { cells: {}, max_analysis_steps: 0 };

/** Make `data` ({cells: {key: description}, max_analysis_steps}) what the page knows of the engine. */
export function useEngine(data) {
  engine = data;
}

const inline = globalThis.document?.getElementById('engine');
if (inline) useEngine(JSON.parse(inline.textContent));

/** Every variant's description by key (rnn, lstm, gru, gru_tf1, ...), in declaration order. */
export const variants = () => engine.cells;

/** The variant named `key`, or undefined. */
export const variant = (key) => engine.cells[key];

/** The most timesteps a run that asks for connectivity may have (the server's max_analysis_steps). */
export const maxAnalysisSteps = () => engine.max_analysis_steps;

/** The request's "cell" values the variants use, in declaration order (rnn, lstm, gru). */
export const cellNames = () => [...new Set(Object.values(engine.cells).map((v) => v.request.cell))];

/**
 * The variant a configuration selects: the first whose request fields ({cell: 'gru', reset_after:
 * false}) the configuration has, a field it leaves out counting as the default, which the first
 * declared variant of a cell is (gru before gru_tf1). Throws a RangeError (the cell's name) for a
 * cell no variant declares.
 */
export function variantOf(config) {
  const fits = (v) => Object.entries(v.request).every(([name, value]) => config[name] === undefined || config[name] === value);
  const found = Object.values(engine.cells).find((v) => v.request.cell === config.cell && fits(v));
  if (!found) throw new RangeError(String(config.cell));
  return found;
}

/** The key of each cell's default variant, in declaration order (rnn, lstm, gru: SPEC §7's default columns). */
export const defaultVariants = () => cellNames().map((cell) => variantOf({ cell }).key);
