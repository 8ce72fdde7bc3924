/** Every test workflow in one bundle, for tests that mix them (persistence, launchers, fixtures, benchmark). */
export * from './basics';
export * from './activities';
export * from './updates';
export {
  childCancelWorkflow,
  childFailureWorkflow,
  childResultWorkflow,
  parentClosePolicyWorkflow,
  signalExternalWorkflow,
} from './lifecycle';
