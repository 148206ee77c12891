export * from './params';
export * from './records';
export * from './views';
export * from './transform';
export * from './version';
export * from './defaults';
export * from './consensus';
export * from './reading';
