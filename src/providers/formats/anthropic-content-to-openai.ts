import type { OpenAIContentPart } from './openai-types.ts';
import { toDataUrl } from './data-url.ts';
import { refuseUnlessDropped, type TranslationTarget } from './drop-params.ts';
import { asRecord, asString, type JsonObject } from './json-value.ts';
import { invalidRequest, unsupportedParameter } from './request-errors.ts';

/** Why cache_control cannot go to OpenAI: it marks Anthropic cache breakpoints, and OpenAI has none to mark. */
export const NO_CACHE_BREAKPOINTS = 'OpenAI has no prompt-cache breakpoints (it caches long prompt prefixes by itself)';

/** Refuses a cache_control on a block or tool at `param`, unless the operator drops cache_control. */
export function refuseCacheControl(holder: JsonObject, param: string, target: TranslationTarget): void {
  if (holder.cache_control !== undefined && holder.cache_control !== null) {
    refuseUnlessDropped(target, 'cache_control', `${param}.cache_control`, NO_CACHE_BREAKPOINTS);
  }
}

/**
 * One Anthropic user content block (text, image, document) → OpenAI content part. Undefined for blocks
 * that carry nothing OpenAI can use (empty text, thinking echoed back in a user turn).
 */
export function anthropicBlockToOpenAIPart(block: JsonObject, param: string): OpenAIContentPart | undefined {
  switch (block.type) {
    case 'text':
      return textPart(block.text, `${param}.text`);
    case 'image':
      return { type: 'image_url', image_url: { url: imageUrl(asRecord(block.source), `${param}.source`) } };
    case 'document':
      return documentPart(block, param);
    case 'thinking':
    case 'redacted_thinking':
      return undefined;
    default:
      throw unsupportedParameter(`${param}.type`, `"${String(block.type)}" blocks cannot be sent to an OpenAI model`);
  }
}

function textPart(text: unknown, param: string): OpenAIContentPart | undefined {
  if (typeof text !== 'string') throw invalidRequest(param, 'must be a string');
  return text === '' ? undefined : { type: 'text', text };
}

function imageUrl(source: JsonObject, param: string): string {
  if (source.type === 'url' && typeof source.url === 'string') return source.url;
  if (source.type === 'base64' && typeof source.media_type === 'string' && typeof source.data === 'string') {
    return toDataUrl(source.media_type, source.data);
  }
  throw invalidRequest(param, 'must be a base64 or url image source');
}

/** PDFs become `file` parts (translation.md §2 recommend); plain-text documents become text. */
function documentPart(block: JsonObject, param: string): OpenAIContentPart | undefined {
  const source = asRecord(block.source);
  if (source.type === 'text') return textPart(source.data, `${param}.source.data`);
  if (source.type !== 'base64' || typeof source.data !== 'string') {
    throw unsupportedParameter(`${param}.source`, 'only base64 and text documents can be sent to an OpenAI model');
  }
  const mediaType = asString(source.media_type) ?? 'application/pdf';
  const filename = asString(block.title) ?? 'document.pdf';
  return { type: 'file', file: { file_data: toDataUrl(mediaType, source.data), filename } };
}
