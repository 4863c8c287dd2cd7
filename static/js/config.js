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

/** Okabe-Ito qualitative palette (colour-blind safe) for one line per unit. */
export const UNIT_COLORS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000'];

/** Dash patterns that tell units apart once the palette repeats. */
export const UNIT_DASHES = ['solid', 'dash', 'dot', 'dashdot'];

/** Colours of the unrolled network's boxes and of the step cursor. */
export const NET_COLORS = {
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

/** Text of every chart; presenter mode scales it up, compact charts (small frames) down. */
export const FONT = { family: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', size: 12, presenterScale: 1.5, compactScale: 0.8 };

/** Below this width (pixels) charts are compact: short titles, no axis titles, small margins (always in /embed). */
export const COMPACT_WIDTH = 600;

/** Most timesteps the unrolled network draws at once (fewer on narrow screens: one per NETWORK_COLUMN_PX); longer runs page through windows. */
export const NETWORK_WINDOW = 12;

/** The unrolled network is laid out as if it had at least this many timesteps (one step is not one wide box). */
export const NETWORK_MIN_COLUMNS = 4;

/** Narrowest column of the unrolled network in pixels (at least 3 columns are drawn). */
export const NETWORK_COLUMN_PX = 80;

/** Most unit lines drawn at once (a window of units that holds the selected one). */
export const LINE_UNITS = 16;

/** Unit lines mark each step with a dot up to this many steps (thousands of SVG dots slow playback). */
export const LINE_MARKERS_UP_TO = 60;

/** Up to this many steps every step gets its own tick on the time axes. */
export const LABELLED_STEPS = 30;

/** Up to this many units the gate chart prints each value in its cell (and every unit gets a tick). */
export const LABELLED_UNITS = 16;

/** Plotly heights in pixels: network per row, heatmaps per layer (and the gap between layers), gates, lines. */
export const HEIGHTS = { networkRow: 62, networkMin: 240, heatmapRow: 190, heatmapGap: 30, gates: 230, lines: 260 };

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

/** Options passed to every Plotly chart. */
export const PLOT_CONFIG = {
  displaylogo: false,
  responsive: true,
  modeBarButtonsToRemove: ['select2d', 'lasso2d', 'autoScale2d', 'toggleSpikelines', 'sendChartToCloud'],
};
