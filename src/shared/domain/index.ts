export * from './params';
export * from './records';
export * from './views';
