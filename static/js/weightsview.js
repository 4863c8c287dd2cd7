// The weights a run used (seeded, or the user's), as tables: per layer and direction the kernel W
// (input x G·H), the recurrent kernel U (H x G·H) and the bias, in Keras' layout, each column named
// by its gate block and unit (i[0], f[0], …). The blocks are the run's own gates, in the order the
// result lists them (Keras' order); a cell without gates (basic RNN) has one unnamed block.
// weightTables is pure; createWeightsView draws it, only while its <details> is open.
import { DIGITS, STATE_SCALE } from './config.js';
import { inkOn, scaleColor, unitWindow } from './frames.js';
import { t } from './i18n.js';
import { dataTable } from './table.js';

/** The names of the G blocks packed along a weight's columns: the run's gates ([''] for a cell without gates). */
export function weightBlocks(result) {
  const names = Object.keys(result.layers[0].forward.gates);
  return names.length ? names : [''];
}

/** What a layer reads, row by row: its input's one-hot characters or values, or the layer below's outputs. */
function inputRows(result, layer) {
  if (layer > 0) {
    const H = result.config.hidden_size;
    const dirs = Object.keys(result.layers[0]);
    return dirs.flatMap((d) => Array.from({ length: H }, (_, u) => t('weights.row_below', { direction: t(`direction.${d}`), unit: u })));
  }
  const vocabulary = result.config.input.vocabulary;
  const D = result.inputs[0][0].length;
  return Array.from({ length: D }, (_, d) => (vocabulary ? `“${[...vocabulary][d]}”` : `x[${d}]`));
}

/**
 * The tables of layer `layer`, direction `direction` ({caption, corner, columns, rows}, table.js'
 * dataTable): W, U and the bias, the columns of each block limited to the window of units that
 * holds `unit` (as the gates show), U's rows too; every cell coloured on the matrix's own ±max scale.
 */
export function weightTables(result, { layer = 0, direction = 'forward', unit = 0 } = {}) {
  const { kernel, recurrent_kernel: recurrent, bias } = result.weights.layers[layer][direction];
  const H = result.config.hidden_size;
  const blocks = weightBlocks(result);
  const units = unitWindow(unit, H);
  const columns = blocks.flatMap((block, k) => units.map((u) => ({ index: k * H + u, name: block ? `${block}[${u}]` : `[${u}]` })));
  const biasRows = Array.isArray(bias[0]) ? bias : [bias];
  const where = { layer: layer + 1, direction: t(`direction.${direction}`) };
  const table = (name, matrix, heads) => {
    const top = Math.max(1e-12, ...matrix.flat().map(Math.abs));
    return {
      caption: t(`weights.${name}`, where),
      corner: t('weights.corner'),
      columns: columns.map((c) => c.name),
      rows: matrix.map((row, r) => ({
        head: heads[r],
        cells: columns.map((c) => {
          const value = row[c.index];
          const color = scaleColor(STATE_SCALE, value, -top, top);
          return { text: value.toFixed(2), color, ink: inkOn(color), label: `${heads[r]}, ${c.name}: ${value.toFixed(DIGITS)}` };
        }),
      })),
    };
  };
  const biasHeads = biasRows.length === 2 ? [t('weights.bias_input'), t('weights.bias_recurrent')] : ['b'];
  return [
    table('kernel', kernel, inputRows(result, layer)),
    table('recurrent', units.map((u) => recurrent[u]), units.map((u) => `h[${u}]`)),
    table('bias', biasRows, biasHeads),
  ];
}

/**
 * The weights of the run on screen in `el` (a <details>, drawn while open), for the layer,
 * direction and unit the store focuses: load(result) per run.
 */
export function createWeightsView(el, store) {
  let result = null;
  const body = el.querySelector('[data-role=weights-tables]');
  const note = el.querySelector('[data-role=weights-note]');
  function render() {
    if (!result || !el.open) return;
    const { layer = 0, direction = 'forward', unit = 0 } = store.state;
    const H = result.config.hidden_size;
    const units = unitWindow(unit, H);
    note.textContent = t('weights.note', { blocks: weightBlocks(result).filter(Boolean).join(', ') || '—', first: units[0], last: units.at(-1), H });
    body.replaceChildren(...weightTables(result, { layer, direction, unit }).map(dataTable));
  }
  el.addEventListener('toggle', render);
  store.subscribe(['layer', 'direction', 'unit'], render);
  return {
    /** Show a new run's weights. */
    load(newResult) {
      result = newResult;
      el.hidden = false;
      render();
    },
  };
}
