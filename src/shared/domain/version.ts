/**
 * Version of the numerical engine's behaviour. Bump it whenever a change could alter the bits a
 * fit produces from the same data, options and seed; it is recorded in every run's provenance.
 */
export const ENGINE_VERSION = '1.0.0';
