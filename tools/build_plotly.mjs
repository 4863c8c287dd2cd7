// Builds static/vendor/plotly.min.js: Plotly.js with only what the app draws (scatter, in every
// bundle, and heatmap), minified, as one classic script that defines `window.Plotly`.
//
//   cd tools && npm ci && npm run build-plotly
//
// The versions are pinned in tools/package.json (plotly.js 4.1.1, the version the app was built against,
// esbuild); the output is committed, so neither the app nor CI needs Node to serve it. The options
// are those of plotly.js' own esbuild-config.js, less its plugins: they serve the WebGL and map
// traces (GLSL shaders, maplibre's CSS), which this bundle leaves out. The one CSS file the core
// still names (maplibre's, required only when a map trace registers) becomes an empty module.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const TRACES = ['heatmap']; // plotly.js/lib/<trace>; scatter is part of lib/core
const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const plotlyDir = dirname(require.resolve('plotly.js/package.json'));
const { version } = JSON.parse(readFileSync(join(plotlyDir, 'package.json'), 'utf8'));
const out = join(here, '..', 'static', 'vendor', 'plotly.min.js');

const entry = [
  "var Plotly = require('plotly.js/lib/core');",
  `Plotly.register([${TRACES.map((t) => `require('plotly.js/lib/${t}')`).join(', ')}]);`,
  'module.exports = Plotly;',
].join('\n');

const noCss = {
  name: 'no-css',
  setup(build) {
    build.onResolve({ filter: /\.css$/ }, (args) => ({ path: args.path, namespace: 'no-css' }));
    build.onLoad({ filter: /.*/, namespace: 'no-css' }, () => ({ contents: '', loader: 'js' }));
  },
};

const result = await esbuild.build({
  stdin: { contents: entry, resolveDir: here, sourcefile: 'plotly-rnnvis.js' },
  format: 'iife',
  globalName: 'Plotly',
  bundle: true,
  minify: true,
  legalComments: 'none',
  define: { global: 'window', 'define.amd': 'false', 'process.env.NODE_DEBUG': 'false' },
  target: 'es2016',
  plugins: [noCss],
  write: false,
  logLevel: 'warning',
});

const header = `/**
* plotly.js v${version}, partial bundle: core (scatter) + ${TRACES.join(', ')}
* Built by tools/build_plotly.mjs (esbuild ${esbuild.version}) for RNN Visualizer.
* Copyright 2012-2026, Plotly, Inc. All rights reserved.
* Licensed under the MIT license (static/vendor/PLOTLY-LICENSE)
*/
`;
writeFileSync(out, header + result.outputFiles[0].text);
writeFileSync(join(dirname(out), 'PLOTLY-LICENSE'), readFileSync(join(plotlyDir, 'LICENSE'), 'utf8'));
console.log(`${out}: ${(header.length + result.outputFiles[0].contents.length) / 1e6} MB, plotly.js ${version}`);
