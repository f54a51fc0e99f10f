import { isSecretHeader, isSecretRef } from './secret-ref.ts';
import { RESERVED_SERVICE_NAMES } from './section-schemas.ts';

type Path = Array<string | number>;

export interface ReferenceIssue {
  readonly path: Path;
  readonly message: string;
}

/** The parts of a parsed configuration that other parts refer to, or that must be references themselves. */
interface ReferenceView {
  readonly providers: ReadonlyArray<{ readonly name: string; readonly models: readonly string[]; readonly headers: Readonly<Record<string, string>> }>;
  readonly models: ReadonlyArray<{ readonly id: string; readonly name: string; readonly aliases: readonly string[]; readonly fallbacks: readonly string[]; readonly endpoints: ReadonlyArray<{ readonly id?: string | undefined }> }>;
  readonly routing: { readonly prefixes: Readonly<Record<string, string>> };
  readonly routingRules: ReadonlyArray<{ readonly id?: string | undefined; readonly targetModels: ReadonlyArray<{ readonly modelId: string }> }>;
  readonly experiments: ReadonlyArray<{ readonly id: string; readonly variants: ReadonlyArray<{ readonly modelId: string }> }>;
  readonly overrides: ReadonlyArray<{ readonly modelId?: string | undefined; readonly endpoint?: string | undefined; readonly match: { readonly model?: string | undefined } }>;
  readonly agentPreferences: Readonly<Record<string, { readonly preferredModels: readonly string[]; readonly fallbackModels: readonly string[] }>>;
  readonly workspaces: Readonly<Record<string, { readonly modelRestrictions?: readonly string[] | undefined }>>;
  readonly services: Readonly<Record<string, unknown>>;
  readonly voicePools: { readonly pods: ReadonlyArray<{ readonly name: string }> };
}

/**
 * Cross-section checks that a schema of one section cannot make: every model a rule, experiment, override,
 * preference or workspace names must be routable; ids are unique; service names keep clear of the reserved ones;
 * credentials in headers are references. All issues are returned, so one refusal lists every one of them.
 */
export function checkReferences(config: ReferenceView): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const routable = routableNames(config);
  const model = (name: string, path: Path): void => {
    if (!routable(name)) issues.push({ path, message: `unknown model "${name}": name a models entry or alias, a model a provider lists, or "provider/model"` });
  };
  config.models.forEach((m, i) => m.fallbacks.forEach((f, j) => model(f, ['models', i, 'fallbacks', j])));
  config.routingRules.forEach((rule, i) => rule.targetModels.forEach((t, j) => model(t.modelId, ['routingRules', i, 'targetModels', j, 'modelId'])));
  config.experiments.forEach((e, i) => e.variants.forEach((v, j) => model(v.modelId, ['experiments', i, 'variants', j, 'modelId'])));
  const endpoints = endpointNames(config);
  config.overrides.forEach((o, i) => {
    if (o.modelId !== undefined) model(o.modelId, ['overrides', i, 'modelId']);
    if (o.match.model !== undefined) model(o.match.model, ['overrides', i, 'match', 'model']);
    if (o.endpoint !== undefined && !endpoints.has(o.endpoint)) {
      issues.push({ path: ['overrides', i, 'endpoint'], message: `unknown endpoint "${o.endpoint}": name a provider or "<model id>@<endpoint id>"` });
    }
  });
  for (const [agent, prefs] of Object.entries(config.agentPreferences)) {
    prefs.preferredModels.forEach((m, j) => model(m, ['agentPreferences', agent, 'preferredModels', j]));
    prefs.fallbackModels.forEach((m, j) => model(m, ['agentPreferences', agent, 'fallbackModels', j]));
  }
  for (const [ws, settings] of Object.entries(config.workspaces)) {
    settings.modelRestrictions?.forEach((m, j) => model(m, ['workspaces', ws, 'modelRestrictions', j]));
  }
  unique(config.routingRules.map((r) => r.id), (i) => ['routingRules', i, 'id'], issues);
  unique(config.experiments.map((e) => e.id), (i) => ['experiments', i, 'id'], issues);
  unique(config.voicePools.pods.map((p) => p.name), (i) => ['voicePools', 'pods', i, 'name'], issues);
  for (const name of Object.keys(config.services)) {
    if (RESERVED_SERVICE_NAMES.has(name)) issues.push({ path: ['services', name], message: `"${name}" is reserved for the voice and operations routes under /api/v1/` });
  }
  config.providers.forEach((p, i) => {
    for (const [header, value] of Object.entries(p.headers)) {
      if (isSecretHeader(header) && !isSecretRef(value)) {
        issues.push({ path: ['providers', i, 'headers', header], message: 'a credential header takes a reference, env:NAME or file:/path, never the secret itself' });
      }
    }
  });
  return issues;
}

function routableNames(config: ReferenceView): (name: string) => boolean {
  const providers = new Set(config.providers.map((p) => p.name));
  const names = new Set([...config.models.flatMap((m) => [m.name, m.id, ...m.aliases]), ...config.providers.flatMap((p) => p.models)]);
  const prefixes = Object.entries(config.routing.prefixes).filter(([, provider]) => providers.has(provider)).map(([prefix]) => prefix);
  return (name) => {
    const slash = name.indexOf('/');
    if (slash > 0 && slash < name.length - 1 && providers.has(name.slice(0, slash))) return true;
    return names.has(name) || prefixes.some((prefix) => name.startsWith(prefix));
  };
}

/** What a disable_endpoint override may name: a provider, or a registry model's endpoint as "<model id>@<endpoint id>". */
function endpointNames(config: ReferenceView): Set<string> {
  const out = new Set(config.providers.map((p) => p.name));
  for (const m of config.models) m.endpoints.forEach((e, j) => out.add(`${m.id}@${e.id ?? `e${j + 1}`}`));
  return out;
}

function unique(ids: ReadonlyArray<string | undefined>, pathOf: (index: number) => Path, issues: ReferenceIssue[]): void {
  const seen = new Set<string>();
  ids.forEach((value, i) => {
    if (value === undefined) return;
    if (seen.has(value)) issues.push({ path: pathOf(i), message: `duplicate "${value}"` });
    seen.add(value);
  });
}
