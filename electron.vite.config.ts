import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// One build for every face of the fabric: the Electron main process, the headless shells (serve, start)
// and the host worker share out/main; the preload is one CommonJS file because a sandboxed preload
// cannot be an ES module; the renderer is the same bundle in Electron and in browser mode.
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
          'host-worker': resolve('src-main/host/host-worker.ts'),
          'role-host': resolve('src-main/role-host/role-host-main.ts'),
        },
        // Shared chunks beside the entries, so every module in out/main finds host-worker.js as ./host-worker.js.
        output: { chunkFileNames: '[name]-[hash].js' },
      },
    },
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
