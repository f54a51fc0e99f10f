/**
 * The operator's dropParams (config, per provider and model) and the refusal of parameters a target cannot
 * honour. Rule: a listed top-level parameter is removed from the caller's body before anything else looks at
 * it, in translation and on the same-format path alike; `cache_control` and `server_tools` also match
 * where they occur inside the body (see docs/configuration.md, "Parameters that cannot be translated").
 */
import type { JsonObject } from './json-value.ts';
import { untranslatable, type RefusingTarget } from './request-errors.ts';

const NO_PARAMS: ReadonlySet<string> = new Set();

/** What a translator knows of its target beyond the model id: where to refuse, and what to drop instead. */
export interface TranslationTarget extends RefusingTarget {
  readonly dropParams: ReadonlySet<string>;
}

/** The options a translator takes about its target (config dropParams and provider name). */
export interface TargetOptions {
  /** Parameters to drop instead of refusing; none when absent. */
  readonly dropParams?: ReadonlySet<string> | undefined;
  /** The configured provider, named in refusals. */
  readonly provider?: string | undefined;
}

export function translationTarget(model: string, options: TargetOptions): TranslationTarget {
  return { model, provider: options.provider, dropParams: options.dropParams ?? NO_PARAMS };
}

/** Whether the body sets one of `names` at top level. Free when nothing is listed, the usual case. */
export function hasListedParam(body: Readonly<JsonObject>, names: ReadonlySet<string>): boolean {
  if (names.size === 0) return false;
  for (const name of names) if (Object.hasOwn(body, name)) return true;
  return false;
}

/** The body without its listed top-level parameters: the same object when none is set, else a shallow copy. */
export function withoutListed(body: Readonly<JsonObject>, names: ReadonlySet<string>): Readonly<JsonObject> {
  if (!hasListedParam(body, names)) return body;
  const kept: JsonObject = {};
  for (const key of Object.keys(body)) if (!names.has(key)) kept[key] = body[key];
  return kept;
}

/** For nested fields (cache_control, server tools): returns when the operator drops `name`, else throws. */
export function refuseUnlessDropped(target: TranslationTarget, name: string, param: string, reason: string): void {
  if (!target.dropParams.has(name)) throw untranslatable(target, name, param, reason);
}

/** A top-level parameter the target's dialect has no form of. */
export interface Untranslatable {
  readonly name: string;
  /** Why, as a clause: "Anthropic has no seed". */
  readonly reason: string;
  /** Values that ask for nothing (a 0 penalty, logprobs false) and so pass; absent: every value is refused. */
  readonly inert?: (value: unknown) => boolean;
}

/**
 * Throws for the first parameter of `table` the body sets to a value with an effect. Listed parameters are
 * gone already (withoutListed), so this only refuses. One pass over a static table, no allocation.
 */
export function refuseUntranslatable(body: Readonly<JsonObject>, table: readonly Untranslatable[], target: RefusingTarget): void {
  for (const entry of table) {
    const value = body[entry.name];
    if (value === undefined || value === null || entry.inert?.(value) === true) continue;
    throw untranslatable(target, entry.name, entry.name, entry.reason);
  }
}
