import type { AnthropicDocumentBlock, AnthropicImageBlock, AnthropicTextBlock } from './anthropic-types.ts';
import { parseDataUrl, type DataUrl } from './data-url.ts';
import { asRecord, asString, isRecord } from './json-value.ts';
import { invalidRequest, unsupportedParameter } from './request-errors.ts';

export type AnthropicUserBlock = AnthropicTextBlock | AnthropicImageBlock | AnthropicDocumentBlock;

/** The image types Anthropic accepts as base64 (Envoy rejects the rest before sending). */
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/** OpenAI message content (string, parts or null) → Anthropic blocks, blank text dropped. */
export function openaiContentToAnthropic(content: unknown, param: string): AnthropicUserBlock[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return present([textBlock(content, param)]);
  if (!Array.isArray(content)) throw invalidRequest(param, 'must be a string or an array of content parts');
  return present(content.map((part: unknown, j) => openaiPartToAnthropic(part, `${param}.${j}`)));
}

/** One content part; undefined when it carries nothing (blank text). */
export function openaiPartToAnthropic(part: unknown, param: string): AnthropicUserBlock | undefined {
  if (!isRecord(part)) throw invalidRequest(param, 'must be a content part object');
  switch (part.type) {
    case 'text':
      return textBlock(part.text, `${param}.text`);
    case 'refusal':
      return textBlock(part.refusal, `${param}.refusal`);
    case 'image_url':
      return imageUrlBlock(asRecord(part.image_url).url, `${param}.image_url.url`);
    case 'file':
      return fileBlock(asRecord(part.file), `${param}.file`);
    case 'input_audio':
      throw unsupportedParameter(param, 'audio input cannot be sent to an Anthropic model');
    default:
      throw invalidRequest(`${param}.type`, 'must be text, image_url or file');
  }
}

/** Anthropic rejects empty and whitespace-only text blocks ("text content blocks must be non-empty"). */
export function textBlock(text: unknown, param: string): AnthropicTextBlock | undefined {
  if (typeof text !== 'string') throw invalidRequest(param, 'must be a string');
  return text.trim() === '' ? undefined : { type: 'text', text };
}

export function present<T>(items: ReadonlyArray<T | undefined>): T[] {
  return items.filter((item): item is T => item !== undefined);
}

function imageUrlBlock(url: unknown, param: string): AnthropicImageBlock | AnthropicDocumentBlock {
  if (typeof url !== 'string') throw invalidRequest(param, 'must be a string');
  const data = parseDataUrl(url);
  if (data !== undefined) return base64Block(data, param, undefined);
  if (/^https?:\/\//i.test(url)) return remoteBlock(url);
  throw invalidRequest(param, 'must be an http(s) URL or a base64 data URL');
}

/** Envoy's rule: a URL whose path ends in .pdf is a document, anything else an image. */
function remoteBlock(url: string): AnthropicImageBlock | AnthropicDocumentBlock {
  const source = { type: 'url' as const, url };
  return URL.parse(url)?.pathname.toLowerCase().endsWith('.pdf') === true ? { type: 'document', source } : { type: 'image', source };
}

function fileBlock(file: Record<string, unknown>, param: string): AnthropicImageBlock | AnthropicDocumentBlock {
  if (file.file_id !== undefined) {
    throw unsupportedParameter(`${param}.file_id`, 'OpenAI file ids cannot be sent to an Anthropic model; send file_data');
  }
  const fileData = file.file_data;
  if (typeof fileData !== 'string' || fileData === '') throw invalidRequest(`${param}.file_data`, 'must be a base64 string or data URL');
  const parsed = parseDataUrl(fileData);
  if (parsed === undefined && fileData.startsWith('data:')) throw invalidRequest(`${param}.file_data`, 'must be a base64 data URL');
  // Bare base64 without a media type: OpenAI only accepts PDFs in file parts.
  return base64Block(parsed ?? { mediaType: 'application/pdf', data: fileData }, `${param}.file_data`, asString(file.filename));
}

function base64Block(url: DataUrl, param: string, title: string | undefined): AnthropicImageBlock | AnthropicDocumentBlock {
  if (url.mediaType === 'application/pdf') {
    const block: AnthropicDocumentBlock = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: url.data } };
    if (title !== undefined && title !== '') block.title = title;
    return block;
  }
  if (IMAGE_TYPES.has(url.mediaType)) return { type: 'image', source: { type: 'base64', media_type: url.mediaType, data: url.data } };
  throw unsupportedParameter(param, `media type "${url.mediaType}" is not supported; send JPEG, PNG, GIF, WebP or PDF`);
}
