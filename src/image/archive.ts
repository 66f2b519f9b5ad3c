// Public entry for image archives: OCI archive export, OCI archive / docker save import.
export { exportArchive } from './archive/export-archive.js';
export { type ImportOptions, importArchive } from './archive/import-archive.js';
