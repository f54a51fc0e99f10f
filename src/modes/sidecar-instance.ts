/** One run of a sidecar, a process group or a container, as the supervisor (sidecar.ts) sees it. */
export interface SidecarExit {
  readonly code: number | null;
  readonly signal: string | null;
}

export interface SidecarInstance {
  /** Leader of its process group (for a container: none). */
  readonly pid: number | undefined;
  readonly container: string | undefined;
  /** What was run: the argv, or the docker CLI call. */
  readonly argv: readonly string[];
  /** Resolves once, when the sidecar ends, however it ends. */
  readonly exited: Promise<SidecarExit>;
  /** Ends it (the whole process group, or the container) and resolves when it is gone. Idempotent. */
  stop(): Promise<void>;
}

/** Why a sidecar could not be launched; a permanent one (missing command, no Docker engine) is never retried. */
export class LaunchError extends Error {
  readonly permanent: boolean;

  constructor(message: string, permanent: boolean) {
    super(message);
    this.name = 'LaunchError';
    this.permanent = permanent;
  }
}
