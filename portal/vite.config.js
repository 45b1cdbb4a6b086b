import { defineConfig } from "vite";

// Served by Gatehouse under /portal/ with `script-src 'self'`: no inline script, no
// module-preload polyfill, every asset a file.
export default defineConfig({
  base: "/portal/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: "es2022",
    sourcemap: false,
  },
});
