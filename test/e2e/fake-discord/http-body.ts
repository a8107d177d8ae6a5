import type { IncomingMessage } from 'node:http';
import type { RecordedFile } from './types.ts';

// Request bodies as discord.js sends them: JSON, or multipart/form-data with the JSON in
// `payload_json` and files in `files[n]`. Multipart parsing is undici's (the fetch Response
// class), the same implementation that built the body on the client side.

export interface ParsedBody {
  readonly body: unknown;
  readonly files: readonly RecordedFile[];
}

export async function readRaw(request: IncomingMessage, limitBytes = 50 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limitBytes) throw new Error(`Request body over ${limitBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export async function parseBody(raw: Buffer, contentType: string | null): Promise<ParsedBody> {
  if (raw.length === 0) return { body: null, files: [] };
  if (contentType?.startsWith('multipart/form-data')) return parseMultipart(raw, contentType);
  const text = raw.toString('utf8');
  if (contentType?.startsWith('application/json') || /^\s*[[{]/.test(text)) return { body: JSON.parse(text) as unknown, files: [] };
  return { body: text, files: [] };
}

async function parseMultipart(raw: Buffer, contentType: string): Promise<ParsedBody> {
  const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } }).formData();
  const files: RecordedFile[] = [];
  let body: Record<string, unknown> | null = null;
  const fields: Record<string, unknown> = {};
  for (const [field, value] of form.entries()) {
    if (typeof value === 'string') {
      if (field === 'payload_json') body = JSON.parse(value) as Record<string, unknown>;
      else fields[field] = value;
    } else {
      files.push({
        field,
        name: value.name,
        contentType: value.type || 'application/octet-stream',
        data: Buffer.from(await value.arrayBuffer()),
      });
    }
  }
  return { body: body ?? (Object.keys(fields).length > 0 ? fields : null), files };
}
