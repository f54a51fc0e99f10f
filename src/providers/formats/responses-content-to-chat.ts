import type { OpenAIContentPart } from './openai-types.ts';
import { isRecord, type JsonObject } from './json-value.ts';
import type { ItemSite } from './responses-item-site.ts';
import type { TranslationRefusals } from './responses-refusals.ts';

/** What a content list may hold, by the role of the message holding it (the API's own split). */
export type ContentRole = 'input' | 'assistant' | 'tool_output';

const INPUT_PARTS = 'input_text, input_image and input_file';
const ASSISTANT_PARTS = 'output_text and refusal';

/** Content parts as objects; a string is one text part of the kind `role` takes. `param` is the content field. */
export function contentParts(content: unknown, site: ItemSite, param: string, role: ContentRole): JsonObject[] {
  if (typeof content === 'string') return [role === 'assistant' ? { type: 'output_text', text: content } : { type: 'input_text', text: content }];
  if (!Array.isArray(content)) throw site.invalid(param, 'must be a string or an array of content parts');
  return content.map((part: unknown, j) => {
    if (!isRecord(part)) throw site.invalid(`${param}[${j}]`, 'must be a content part object');
    return part;
  });
}

/**
 * A user, system or developer part (or a part of a function_call_output) → a chat part; undefined for a part
 * only OpenAI can read (a file id or URL), which a lenient translation leaves out.
 */
export function inputPartToChat(part: JsonObject, site: ItemSite, param: string, role: ContentRole, refusals: TranslationRefusals): OpenAIContentPart | undefined {
  switch (part.type) {
    case 'input_text':
      return { type: 'text', text: textOf(part.text, site, `${param}.text`) };
    case 'input_image':
      return imagePart(part, site, param, refusals);
    case 'input_file':
      return filePart(part, site, param, refusals);
    case 'output_text':
    case 'refusal':
      throw site.invalid(`${param}.type`, `"${part.type}" parts belong to assistant messages; ${role === 'tool_output' ? 'a function_call_output' : 'user, system and developer messages'} take ${INPUT_PARTS}`);
    default:
      throw site.invalid(`${param}.type`, `must be one of ${INPUT_PARTS}`);
  }
}

/**
 * An assistant part → its text. A refusal is kept as text: the model should see what it said, and the
 * chat `refusal` field of an assistant message is not read back by most OpenAI-compatible servers.
 */
export function assistantPartText(part: JsonObject, site: ItemSite, param: string): string {
  if (part.type === 'output_text') return textOf(part.text, site, `${param}.text`);
  if (part.type === 'refusal') return textOf(part.refusal, site, `${param}.refusal`);
  if (part.type === 'input_text' || part.type === 'input_image' || part.type === 'input_file') {
    throw site.invalid(`${param}.type`, `"${part.type}" parts belong to user, system and developer messages; assistant messages take ${ASSISTANT_PARTS}`);
  }
  throw site.invalid(`${param}.type`, `must be one of ${ASSISTANT_PARTS}`);
}

function textOf(text: unknown, site: ItemSite, param: string): string {
  if (typeof text !== 'string') throw site.invalid(param, 'must be a string');
  return text;
}

/** Chat has no "original" detail; "high" is the closest it offers (the least downscaling). */
const DETAILS: ReadonlyMap<unknown, 'auto' | 'low' | 'high'> = new Map([['auto', 'auto'], ['low', 'low'], ['high', 'high'], ['original', 'high']]);

function imagePart(part: JsonObject, site: ItemSite, param: string, refusals: TranslationRefusals): OpenAIContentPart | undefined {
  if (typeof part.file_id === 'string' && part.file_id !== '') {
    refusals.refuse(site.unsupported(`${param}.file_id`, 'OpenAI file ids cannot be read by this model\'s provider; send the image as image_url (a URL or a data: URL) instead'));
    return undefined;
  }
  if (typeof part.image_url !== 'string' || part.image_url === '') throw site.invalid(`${param}.image_url`, 'must be a URL or a data: URL (or give file_id)');
  const image: { url: string; detail?: 'auto' | 'low' | 'high' } = { url: part.image_url };
  if (part.detail !== undefined && part.detail !== null) {
    const detail = DETAILS.get(part.detail);
    if (detail === undefined) throw site.invalid(`${param}.detail`, 'must be one of low, high, auto, original');
    image.detail = detail;
  }
  return { type: 'image_url', image_url: image };
}

/** Chat takes files inline only (file_data, a data: URL); ids and URLs would need OpenAI's file store. */
function filePart(part: JsonObject, site: ItemSite, param: string, refusals: TranslationRefusals): OpenAIContentPart | undefined {
  if (typeof part.file_id === 'string' && part.file_id !== '') {
    refusals.refuse(site.unsupported(`${param}.file_id`, 'OpenAI file ids cannot be read by this model\'s provider; send the file inline as file_data instead'));
    return undefined;
  }
  if (typeof part.file_url === 'string' && part.file_url !== '') {
    refusals.refuse(site.unsupported(`${param}.file_url`, 'Chat Completions takes files inline only; send the file as file_data instead'));
    return undefined;
  }
  if (typeof part.file_data !== 'string' || part.file_data === '') throw site.invalid(`${param}.file_data`, 'must be the file as a data: URL');
  const file: { file_data: string; filename?: string } = { file_data: part.file_data };
  if (typeof part.filename === 'string' && part.filename !== '') file.filename = part.filename;
  return { type: 'file', file };
}
