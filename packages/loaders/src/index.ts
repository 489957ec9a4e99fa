export * from './errors.js';
export * from './model-config.js';
