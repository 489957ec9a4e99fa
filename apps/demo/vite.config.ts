import { defineConfig } from 'vite';

/** SharedArrayBuffer (WASM threads) needs a cross-origin isolated page: these two headers. */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;

export default defineConfig({
  base: './',
  server: { headers: ISOLATION_HEADERS, host: '127.0.0.1' },
  preview: { headers: ISOLATION_HEADERS, host: '127.0.0.1' },
  // The model files are `new URL('../gqa/model.safetensors', import.meta.url)` beside @kvkit/models'
  // modules: the dev pre-bundler must not move those modules away from the files.
  optimizeDeps: { exclude: ['@kvkit/models', '@kvkit/eval'] },
  // Class names stay: the page shows a typed error by its name (ModelFetchError, MalformedFileError, ...).
  worker: { format: 'es', rolldownOptions: { output: { keepNames: true } } },
  build: { target: 'es2022', chunkSizeWarningLimit: 2048, rolldownOptions: { output: { keepNames: true } } },
});
