/** Every problem found in a configuration, reported together so one run shows them all. */
export interface ConfigIssue {
  /** Dotted path of the setting, e.g. "providers.0.baseUrl". */
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(source: string, issues: readonly ConfigIssue[]) {
    super(`invalid configuration (${source}):\n${issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
