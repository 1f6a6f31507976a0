import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// `npm run dev` serves the app with hot reload on :5173 and proxies the API to the danwel
// server on :3000 (start it with `npm run embedded` or `npm run start:dev` at the top level).
const api = process.env.DANWEL_API ?? 'http://localhost:3000';

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    proxy: { '/api': api, '/docs-json': api, '/health': api, '/ical': api },
  },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 300 },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
