export * from './types';
export * from './header';
export * from './numbering';
export * from './units';
export * from './rows';
export * from './preview';
export * from './directorySheet';
