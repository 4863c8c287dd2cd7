// Visual constants: every colour, size and limit the charts use lives here.

/** ColorBrewer RdBu (colour-blind safe), negative blue, zero white, positive red: h and gates. */
export const STATE_SCALE = [
  [0, '#053061'], [0.1, '#2166ac'], [0.2, '#4393c3'], [0.3, '#92c5de'], [0.4, '#d1e5f0'],
  [0.5, '#f7f7f7'], [0.6, '#fddbc7'], [0.7, '#f4a582'], [0.8, '#d6604d'], [0.9, '#b2182b'],
  [1, '#67001f'],
];

/** ColorBrewer PuOr (colour-blind safe), negative purple, positive orange: the LSTM cell state c. */
export const CELL_SCALE = [
  [0, '#2d004b'], [0.1, '#542788'], [0.2, '#8073ac'], [0.3, '#b2abd2'], [0.4, '#d8daeb'],
  [0.5, '#f7f7f7'], [0.6, '#fee0b6'], [0.7, '#fdb863'], [0.8, '#e08214'], [0.9, '#b35806'],
  [1, '#7f3b08'],
];

/** The colour scale of each state's heatmap, by state name; a state not named here takes CELL_SCALE. */
export const STATE_SCALES = { h: STATE_SCALE, c: CELL_SCALE };

/** Okabe-Ito qualitative palette (colour-blind safe) for one line per unit. */
export const UNIT_COLORS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000'];

/** Dash patterns that tell units apart once the palette repeats. */
export const UNIT_DASHES = ['solid', 'dash', 'dot', 'dashdot'];

/** Colours of the unrolled network's boxes and of the step cursor; `boxLine` is every box's outline width. */
export const NET_COLORS = {
  boxLine: 2,
  pending: '#ffffff',
  pendingLine: '#9aa5b1',
  computed: '#d1e5f0',
  computedLine: '#2166ac',
  current: '#fdb863',
  currentLine: '#b35806',
  padding: '#d9d9d9',
  paddingLine: '#a6a6a6',
  arrow: '#5f6b7a',
  text: '#1f2933',
  muted: '#7b8794',
};

/** Overlays on the time charts: the cursor, padding steps, steps not computed yet (faded on heatmaps, hidden on lines). */
export const OVERLAY = {
  cursor: '#000000',
  cursorWidth: 2.5,
  padding: 'rgba(140, 140, 140, 0.55)',
  pending: 'rgba(255, 255, 255, 0.82)',
  hidden: '#ffffff',
};

/** Text of every chart: presenter mode scales it up, compact charts (small frames) down; `charWidth`: mean ems of a character. */
export const FONT = {
  family: 'system-ui, -apple-system, "Segoe UI", Roboto, "Apple SD Gothic Neo", "Malgun Gothic", "Noto Sans KR", NanumGothic, sans-serif', size: 12, presenterScale: 1.5, compactScale: 0.8, charWidth: 0.6,
};

/**
 * Presenter mode's text scale: FONT.presenterScale on a screen 1080 px tall, in proportion on others
 * (so type takes the same share of any 16:9 projector), never under `min`.
 */
export const PRESENTER = { height: 1080, min: 1 };

/**
 * A fitted viewer (/embed, presenter mode) puts the parts on one screen, or on panes (tabs) when
 * they do not all fit: each part's smallest readable box [width, height] in pixels at the base text
 * size (scaled with it; taller with more layers), and the 12 columns a row of parts shares. Parts keep these rows: the network
 * and the states, the gates and the unit lines, the math.
 */
export const FIT = {
  min: { network: [260, 130], heatmaps: [300, 140], gates: [220, 120], lines: [220, 130], math: [440, 220] },
  perLayer: { network: 20, heatmaps: 36 }, // more height for each layer past the first
  rows: [['network', 'heatmaps'], ['gates', 'lines'], ['math']],
  columns: 12,
};

/** The embed builder's frame sizes in pixels: [smallest, largest] width and height, and the default (the copied code's). */
export const EMBED_SIZE = { width: [480, 1920], height: [320, 1200], default: [800, 450] };

/** Below this width (pixels) charts are compact: short titles, no axis titles, small margins (always in /embed). */
export const COMPACT_WIDTH = 600;

/** Most timesteps the unrolled network draws at once (fewer in narrow charts); longer runs page through windows. */
export const NETWORK_WINDOW = 12;

/** The unrolled network is laid out as if it had at least this many timesteps (one step is not one wide box). */
export const NETWORK_MIN_COLUMNS = 4;

/** Narrowest column of the unrolled network in pixels, at the charts' base text size (at least 3 columns are drawn). */
export const NETWORK_COLUMN_PX = 60;

/** Most units the unit lines and the gates show at once (a window of units that holds the selected one). */
export const UNIT_WINDOW = 16;

/** Unit lines mark each step with a dot up to this many steps (thousands of SVG dots slow playback). */
export const LINE_MARKERS_UP_TO = 60;

/** Heatmap cells are parted by a 1-pixel gap up to this many cells along an axis (past it the gaps would hide the cells). */
export const HEATMAP_GAPS_UP_TO = 40;

/** Up to this many cells an axis ticks cells (every 1st, 2nd, 5th… so labels never touch); longer axes get Plotly's own spacing. */
export const TICKED_CELLS = 50;

/** Up to this many columns the gate tables print each value in its cell (half as many in compact charts). */
export const LABELLED_UNITS = 16;

/** Plotly heights in pixels: network per row, heatmaps per layer (per panel on narrow pages), lines. */
export const HEIGHTS = { networkRow: 62, networkMin: 240, heatmapRow: 190, heatmapNarrowRow: 130, lines: 260 };

/**
 * Playback skips steps to keep its speed when drawing falls behind, by at most this many ms of lag
 * (so speeds under 1000 / CATCH_UP_MS steps/s never skip, and a hidden tab does not jump ahead).
 */
export const CATCH_UP_MS = 200;

/** Playback speeds offered, in steps per second; DEFAULT_SPEED is preselected. */
export const SPEEDS = [0.5, 1, 2, 4, 8, 15, 30];

/** The default playback speed (steps per second). */
export const DEFAULT_SPEED = 2;

/** Decimals shown in the math panel and in hover labels. */
export const DIGITS = 4;

/** Most terms of a dot product the math panel writes out before eliding the rest. */
export const MATH_TERMS = 8;

/** Largest |JS − server| / max(1, |server|) the math panel still calls a match (float32 server). */
export const MATCH_TOLERANCE = 1e-4;

/** GET /api/run carries a configuration up to this many bytes of query string (the server's limit is 16,384); longer ones are POSTed. */
export const GET_QUERY_BYTES = 12000;

/** Runs expected to carry more numbers than this are fetched in the compact encoding (base64 float32, decoded without JSON parsing). */
export const COMPACT_NUMBERS = 20000;

/** Options passed to every Plotly chart. */
export const PLOT_CONFIG = {
  displaylogo: false,
  responsive: true,
  modeBarButtonsToRemove: ['select2d', 'lasso2d', 'autoScale2d', 'toggleSpikelines', 'sendChartToCloud'],
};

// ---- analysis charts (connectivity, trajectories) and Learn charts: analysisframes.js, learnframes.js ----

/** Viridis (perceptually uniform, colour-blind safe, reads in greyscale): log10 of connectivity, dark = weak, yellow = strong. */
export const CONNECTIVITY_SCALE = [
  [0, '#440154'], [0.1, '#482475'], [0.2, '#414487'], [0.3, '#355f8d'], [0.4, '#2a788e'], [0.5, '#21918c'],
  [0.6, '#22a884'], [0.7, '#44bf70'], [0.8, '#7ad151'], [0.9, '#bddf26'], [1, '#fde725'],
];

/**
 * Connectivity cells off the log scale: exactly 0 ('no dependence', white like the empty page) and
 * padding (the network's padding grey); neither colour is on Viridis. `reach`: the memory-reach line.
 */
export const CONNECTIVITY_COLORS = { zero: '#ffffff', padding: '#d9d9d9', reach: '#0072b2' };

/** The connectivity colour scale spans at most this many powers of ten below its largest value; smaller values take its lowest colour. */
export const CONNECTIVITY_DECADES = 8;

/** Most labelled ticks on a log scale (the connectivity colour bar, the memory-reach axis). */
export const LOG_TICKS = 6;

/** Trajectory colours by direction (Okabe-Ito, as the unit lines): forward blue, backward vermillion. */
export const DIRECTION_COLORS = { forward: '#0072b2', backward: '#d55e00' };

/** ColorBrewer Blues (sequential, colour-blind safe): a probability from 0 (white) to 1 (dark blue). */
export const PROBABILITY_SCALE = [
  [0, '#f7fbff'], [0.125, '#deebf7'], [0.25, '#c6dbef'], [0.375, '#9ecae1'], [0.5, '#6baed6'],
  [0.625, '#4292c6'], [0.75, '#2171b5'], [0.875, '#08519c'], [1, '#08306b'],
];

/**
 * Learn charts: loss (solid) and accuracy (dashed) lines; right and wrong predictions, told apart by
 * a symbol (✓ / ✗) as well as by colour (Okabe-Ito bluish green / vermillion, light fills with dark
 * ink); the target cell's outline, the most likely character's dot and the step's column on the probabilities.
 */
export const LEARN_COLORS = {
  loss: '#0072b2', accuracy: '#e69f00', right: '#009e73', wrong: '#d55e00',
  rightFill: '#d4efe6', wrongFill: '#f9dcc9', ink: '#1f2933', plain: '#ffffff', target: '#000000', predicted: '#ffffff', cursor: '#cc79a7',
};

/** Heights in pixels (before presenter scaling) of the analysis and Learn charts, per panel row. */
export const ANALYSIS_HEIGHTS = { connectivity: 320, reach: 220, trajectory: 300, loss: 240, probabilities: 230 };

/** The smallest text of the analysis and Learn charts in pixels, compact ones (embeds) included. */
export const MIN_FONT_PX = 11;

// ---- the Learn page (/learn): its epoch player --------------------------------------------------

/** Epoch playback speeds offered, in epochs per second (a long training plays through in seconds). */
export const EPOCH_SPEEDS = [1, 2, 4, 8, 15, 30];

/** The epoch player's preselected speed (epochs per second). */
export const DEFAULT_EPOCH_SPEED = 8;

/** Up to this many steps, wide Learn pages put the predictions table beside the loss and probability charts (longer texts get a row). */
export const LEARN_SIDE_TABLE_STEPS = 8;
