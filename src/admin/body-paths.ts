import { ConfigError } from '../config/config-error.ts';
import { GatewayError } from '../errors/gateway-error.ts';

/**
 * Runs a configuration change; a refusal (ConfigError) becomes SB_CONFIG_INVALID with every issue, those inside the
 * entry the request wrote (`prefix()`, e.g. "models.3") given relative to the request's body ("endpoints.0.url"),
 * the others (a rule that names a model being deleted) as their place in the configuration.
 */
export async function withBodyPaths<T>(work: () => Promise<T>, prefix: () => string | undefined): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const at = prefix();
    const issues = err.issues.map((i) => {
      if (at === undefined) return i;
      if (i.path === at) return { path: 'body', message: i.message };
      return i.path.startsWith(`${at}.`) ? { path: i.path.slice(at.length + 1), message: i.message } : i;
    });
    throw new GatewayError('SB_CONFIG_INVALID', {
      issues, ...(issues[0] ? { param: issues[0].path } : {}),
      message: `The change was refused, nothing was applied: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}.`,
    });
  }
}
