export { taskLifecycle } from './taskLifecycle';
