export * from './ports.js';
export * from './wait.js';
export * from './process.js';
export * from './tools.js';
