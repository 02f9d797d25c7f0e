// The data model (model.ts: each kind of key described once) and the README's tables rendered from
// it (render.ts). Only dev/, the tests and the README check import it; no function bundles it.
export * from './model';
export * from './render';
