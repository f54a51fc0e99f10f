/**
 * The last line of defence against orphans: if the gateway exits without stopping its sidecars (process.exit, an
 * uncaught exception), the 'exit' hook ends them synchronously. SIGKILL, because nothing can wait for a graceful
 * stop there. What even this misses (the gateway itself SIGKILLed) is left to reapStaleSidecars at the next start.
 */
import { spawnSync } from 'node:child_process';
import { signalGroup } from './process-group.ts';

const groups = new Set<number>();
const containers = new Set<string>();
let hooked = false;

/** Ends the process group `pgid` if the process exits before the returned function is called. */
export function killGroupOnExit(pgid: number): () => void {
  hook();
  groups.add(pgid);
  return () => groups.delete(pgid);
}

/** Removes the container if the process exits before the returned function is called. */
export function removeContainerOnExit(name: string): () => void {
  hook();
  containers.add(name);
  return () => containers.delete(name);
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const pgid of groups) signalGroup(pgid, 'SIGKILL');
    for (const name of containers) spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore', timeout: 5000 });
  });
}
