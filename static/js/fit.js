// Pure: how a fitted viewer (/embed, presenter mode) lays out the parts it shows on the box it has.
// Each part keeps its row (FIT.rows); rows share the height, and the parts of a row the width, in
// proportion to their smallest readable sizes (FIT.min, scaled with the text). A part whose text
// sets its height (the math: its lines, measured by the viewer) is given that height (`need`).
// When the parts do not all fit at once they go on panes (tabs), trying the fewest panes first, so
// nothing is ever drawn smaller than it can be read.
import { FIT } from './config.js';

const sum = (values) => values.reduce((a, v) => a + v, 0);

/** The smallest readable [width, height] of a part at text scale `scale`, for a network of `layers` layers. */
export function minSize(part, scale = 1, layers = 1) {
  const [width, height] = FIT.min[part];
  return [width * scale, (height + (FIT.perLayer[part] ?? 0) * (layers - 1)) * scale];
}

/** `parts` as rows (FIT.rows order), empty rows left out. */
function rowsOf(parts) {
  return FIT.rows.map((row) => row.filter((p) => parts.includes(p))).filter((row) => row.length);
}

/** The [width, height] a part needs in `box`: its smallest readable size, or the height its text takes (box.need). */
const needed = (part, box, scale) => {
  const [width, height] = minSize(part, scale, box.layers);
  return [width, Math.max(height, box.need?.[part] ?? 0)];
};

/** Whether `parts` fit `box` ({width, height, gap, need}) as rows at text scale `scale`. */
function fits(parts, box, scale) {
  const rows = rowsOf(parts);
  const gap = box.gap ?? 0;
  const height = sum(rows.map((row) => Math.max(...row.map((p) => needed(p, box, scale)[1])))) + gap * (rows.length - 1);
  return height <= box.height && rows.every((row) => sum(row.map((p) => needed(p, box, scale)[0])) + gap * (row.length - 1) <= box.width);
}

/** The ways to put `parts` on panes, fewest panes first: all; the unit lines apart; the math apart; a pane per row; a pane per part. */
function candidates(parts) {
  const apart = (part) => (parts.includes(part) && parts.length > 1 ? [[parts.filter((p) => p !== part), [part]]] : []);
  return [[parts], ...apart('lines'), ...apart('math'), rowsOf(parts).map((row) => row), parts.map((p) => [p])];
}

/**
 * A pane's grid: rows of cells ({part, column, span} of FIT.columns), each row either `px` high (a
 * part that needs its text's height, when the pane has other rows) or a share of the rest (fr
 * `weight`: the tallest part's smallest height).
 */
function grid(parts, box, scale) {
  const rows = rowsOf(parts);
  return rows.map((row) => {
    const widths = row.map((p) => minSize(p)[0]);
    const total = sum(widths);
    let column = 0;
    const cells = row.map((part, k) => {
      const span = k === row.length - 1 ? FIT.columns - column : Math.max(1, Math.round((FIT.columns * widths[k]) / total));
      const cell = { part, column, span };
      column += span;
      return cell;
    });
    // A row with a part whose text sets its height is as tall as the tallest part of it needs.
    const px = rows.length > 1 && row.some((p) => box.need?.[p]) ? Math.max(...row.map((p) => needed(p, box, scale)[1])) : 0;
    return { weight: Math.max(...row.map((p) => minSize(p, 1, box.layers)[1])), ...(px ? { px: Math.ceil(px) } : {}), cells };
  });
}

/**
 * The panes that show `parts` (PARTS names, without 'controls') in `box` ({width, height, gap, need:
 * {part: px}} in pixels, and the network's `layers`) at text scale `scale`: [{parts, rows: [{weight, cells: [{part, column, span}]}]}], one pane
 * when everything fits; one part a pane (the last resort) when even pairs do not.
 */
export function fitPanes(parts, box, scale = 1) {
  if (!parts.length) return [];
  const options = candidates(parts);
  const chosen = options.find((panes) => panes.every((pane) => fits(pane, box, scale))) ?? options.at(-1);
  return chosen.map((pane) => ({ parts: pane, rows: grid(pane, box, scale) }));
}
