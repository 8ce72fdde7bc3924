/** The pure domain core: rules, policies and calendar; no I/O, no clock, no Temporal. */
export * from './result';
export * from './policy';
export * from './calendar';
export * from './deadline';
export * from './task';
export * from './trafficLight';
