// Public entry for layer tars: safe extraction (with overlay whiteouts) and deterministic packing.
export { type ExtractResult, extractLayer, MAX_ENTRIES, MAX_ENTRY_BYTES } from './layer/extract-layer.js';
export { type PackOptions, packLayerFromDir } from './layer/pack-layer.js';
