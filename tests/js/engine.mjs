// Imported first by the tests of modules that read the cells: what a page inlines of the engine
// (fixtures/engine.json, made from app/routes/pages.engine_context) given to cells.js.
import { readFileSync } from 'node:fs';

import { useEngine } from '../../static/js/cells.js';

/** The engine's description as a page inlines it: {cells: {key: description}, max_analysis_steps}. */
export const engine = () => JSON.parse(readFileSync(new URL('./fixtures/engine.json', import.meta.url), 'utf8'));

useEngine(engine());
