// Bundles src/extension.ts and vscode-languageclient into out/extension.js,
// the one file the .vsix needs (node_modules stays out of the package).
// `tsc -p .` type-checks; this only transpiles and bundles.
//
//   node esbuild.mjs                 development build, with a source map
//   node esbuild.mjs --production    minified, no source map (used by `vsce package`)
//   node esbuild.mjs --watch         rebuild on change
import { rmSync } from 'node:fs';
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const options = {
  entryPoints: ['src/extension.ts'],
  outfile: 'out/extension.js',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  external: ['vscode'],
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'info',
};

if (watch) {
  const context = await esbuild.context(options);
  await context.watch();
} else {
  if (production) {
    rmSync('out', { recursive: true, force: true }); // no source map from an earlier build
  }
  await esbuild.build(options);
}
