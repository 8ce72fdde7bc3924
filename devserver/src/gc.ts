import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type TGc = () => void;
let gc: TGc | undefined | null = null;

/**
 * Runs a full garbage collection, if the runtime lets us. V8 keeps the garbage of a burst (decoded requests, encoded
 * responses, the histories of runs just compacted) around until its heap heuristics see a need: an idle server would
 * sit at its burst high-water mark. A full collection when the server falls idle returns that memory.
 */
export function collectGarbage(): boolean {
  if (gc === null) {
    try {
      // Exposing gc after start-up is what `node --expose-gc` does at start; a fresh context then sees `gc`.
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as TGc;
    } catch {
      gc = undefined;
    }
  }
  if (!gc) return false;
  // A plain full collection only compacts the pages V8's heuristics pick, leaving live objects spread over
  // half-empty pages; compacting all of them once lets the freed pages go back to the system.
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
  return true;
}
