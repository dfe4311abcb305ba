// Types of the ESM entry point: the same declarations as the CommonJS entry.
export * from './index.js';
