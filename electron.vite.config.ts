import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import type { Plugin } from 'vite';

/**
 * The host worker as CommonJS (out/main/host-worker.cjs, the entry that runs the host OS, out/main/host-os.cjs,
 * from the fabric's code cache; the host OS's lazy pieces beside them as host-*.cjs): a worker
 * thread whose entry is an ES module starts Node's ES module loader first, about 10 ms a thread more than a
 * CommonJS script on this machine, and the fabric starts one thread per host (docs/PERFORMANCE.md).
 * Without comments and with every other character escaped to ASCII: each host's thread keeps the script's text,
 * and V8 keeps it at two bytes a character if one character is outside Latin-1 (one `…` made 148 KB into 297 KB).
 */
function hostWorkerAsCommonJs(): Plugin {
  const { dependencies } = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> };
  const external = [...Object.keys(dependencies), ...builtinModules, /^node:/];
  return {
    name: 'fabric-lab:host-worker-commonjs',
    apply: 'build',
    async closeBundle() {
      const { build } = await import('rolldown');
      // Two builds: as the one entry of its own, the host OS keeps its shared code in host-os.cjs, which its lazy pieces
      // require (host-worker.ts puts the host OS it ran in require's cache under that name); beside a second entry,
      // that code would go into more pieces, each required at start and parsed by each host without the cache.
      for (const entry of ['host-worker', 'host-os']) {
        await build({
          input: { [entry]: resolve(`src-main/host/${entry}.ts`) },
          // The lazy pieces may take their shared code from the entry's exports, beside its own (bootedWith).
          preserveEntrySignatures: 'allow-extension',
          platform: 'node',
          external: (id) => external.some((e) => (typeof e === 'string' ? id === e || id.startsWith(`${e}/`) : e.test(id))),
          logLevel: 'warn',
          output: {
            dir: 'out/main',
            format: 'cjs',
            entryFileNames: '[name].cjs',
            chunkFileNames: 'host-[name]-[hash].cjs',
            comments: false,
            minify: { compress: false, mangle: false, codegen: { removeWhitespace: false, asciiOnly: true } },
          },
        });
      }
    },
  };
}

// One build for every face of the fabric: the Electron main process, the headless shells (serve, start),
// the fabric's own thread (fabric-worker.js) and the host worker share out/main; the preload is one CommonJS
// file because a sandboxed preload cannot be an ES module; the renderer is the same bundle in Electron and in
// browser mode.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve('src-main/electron/main.ts'),
          serve: resolve('src-main/serve/serve-main.ts'),
          start: resolve('src-main/serve/start.ts'),
          cli: resolve('src-main/serve/cli.ts'),
          'fabric-worker': resolve('src-main/fabric-thread/fabric-worker.ts'),
          'load-balancer-worker': resolve('src-main/fabric/load-balancer/load-balancer-worker.ts'),
          'role-host': resolve('src-main/role-host/role-host-main.ts'),
        },
        // Shared chunks beside the entries, so every module in out/main finds host-worker.cjs as ./host-worker.cjs.
        output: { chunkFileNames: '[name]-[hash].js' },
      },
    },
    plugins: [hostWorkerAsCommonJs()],
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve('src-main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs', codeSplitting: false },
      },
    },
  },
  renderer: {
    root: 'src-renderer',
    // The page's icon (favicon.svg) and nothing else: resources/ also holds the samples.
    publicDir: resolve('resources/renderer'),
    build: {
      outDir: 'out/renderer',
      rollupOptions: { input: { index: resolve('src-renderer/index.html') } },
    },
    plugins: [svelte()],
  },
});
