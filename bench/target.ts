// A process under test: where to send requests and whose CPU and memory to read.
import type { ManagedChild } from './managed-child.ts';

export type TargetName = 'direct' | 'bare-proxy' | 'switchboard';

export interface Target {
  name: TargetName;
  /** full URL of POST /v1/chat/completions on this target */
  url: string;
  /** the process measured: for `direct` that is the mock upstream itself */
  child: ManagedChild;
}
