export * from './channels';
export * from './client';
export * from './codec';
export * from './result';
export * from './staged';
