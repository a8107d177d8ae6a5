import type { APIAttachment, APIMessage, MessageType } from 'discord.js';
import { emptyMessage, invalidFormBody } from './http-error.ts';
import { snowflake } from './snowflake.ts';
import type { FakeAttachmentInput, FakeUser, RecordedFile, SentMessage, StoredMessage } from './types.ts';
import { messagePayload } from './world.ts';

// Every message the bot creates (replies, follow-ups, channel messages) with its current state
// after edits, and the bytes of every attachment, served back at the attachment's url.
// Discord's limits are enforced so a bot that would be refused by Discord is refused here too.

export const LIMITS = { content: 2000, embeds: 10, files: 10, choices: 25, choiceName: 100 } as const;

interface MutableStored {
  message: APIMessage;
  files: Map<string, RecordedFile>;
  deleted: boolean;
  interactionId: string | null;
}

export interface CreateMessageInit {
  readonly channelId: string;
  readonly guildId: string | null;
  readonly author: FakeUser;
  readonly body: SentMessage;
  readonly files: readonly RecordedFile[];
  readonly type?: MessageType;
  readonly webhookId?: string;
  readonly interactionId?: string;
  readonly interactionMetadata?: Record<string, unknown>;
  /** Deferred replies start empty ("thinking…"), which a normal create would refuse. */
  readonly allowEmpty?: boolean;
}

export class MessageStore {
  readonly #messages = new Map<string, MutableStored>();
  /** Attachments by "<channel>/<attachment id>". */
  readonly #attachments = new Map<string, RecordedFile>();
  readonly #baseUrl: () => string;

  constructor(baseUrl: () => string) {
    this.#baseUrl = baseUrl;
  }

  create(init: CreateMessageInit): StoredMessage {
    validateMessage(init.body, init.files, { creating: !init.allowEmpty });
    const id = snowflake();
    const files = new Map<string, RecordedFile>();
    const attachments = this.#newAttachments(init.channelId, init.body, init.files, files);
    const message = messagePayload({
      id,
      channelId: init.channelId,
      guildId: init.guildId,
      author: init.author,
      body: init.body,
      attachments,
      ...(init.type === undefined ? {} : { type: init.type }),
      ...(init.webhookId === undefined ? {} : { webhookId: init.webhookId }),
      ...(init.interactionMetadata === undefined ? {} : { interactionMetadata: init.interactionMetadata }),
    });
    const stored: MutableStored = { message, files, deleted: false, interactionId: init.interactionId ?? null };
    this.#messages.set(id, stored);
    return stored;
  }

  /** Applies an edit: fields present in `body` replace the old ones; attachments per Discord's rules. */
  edit(id: string, body: SentMessage, uploads: readonly RecordedFile[], options: { readonly clearFlags?: number } = {}): StoredMessage {
    const stored = this.#live(id);
    validateMessage(body, uploads, { creating: false });
    const kept =
      body.attachments === undefined
        ? stored.message.attachments
        : stored.message.attachments.filter((attachment) => body.attachments?.some((wanted) => String(wanted.id) === attachment.id));
    for (const [attachmentId] of stored.files) {
      if (!kept.some((attachment) => attachment.id === attachmentId)) stored.files.delete(attachmentId);
    }
    const added = this.#newAttachments(stored.message.channel_id, body, uploads, stored.files);
    const previous = stored.message;
    stored.message = {
      ...previous,
      ...(body.content === undefined ? {} : { content: body.content ?? '' }),
      ...(body.embeds === undefined ? {} : { embeds: (body.embeds ?? []) as APIMessage['embeds'] }),
      ...(body.components === undefined ? {} : { components: (body.components ?? []) as APIMessage['components'] }),
      flags: (body.flags ?? previous.flags ?? 0) & ~(options.clearFlags ?? 0),
      attachments: [...kept, ...added],
      edited_timestamp: new Date().toISOString(),
    };
    return stored;
  }

  delete(id: string): void {
    this.#live(id).deleted = true;
  }

  get(id: string): StoredMessage | undefined {
    return this.#messages.get(id);
  }

  /** Live (not deleted) messages, oldest first, optionally of one channel. */
  list(channelId?: string): StoredMessage[] {
    return [...this.#messages.values()].filter((stored) => !stored.deleted && (channelId === undefined || stored.message.channel_id === channelId));
  }

  attachment(channelId: string, attachmentId: string): RecordedFile | undefined {
    return this.#attachments.get(`${channelId}/${attachmentId}`);
  }

  /** An attachment a member "uploaded" (attachment options), served like the bot's own. */
  addUpload(channelId: string, input: FakeAttachmentInput): APIAttachment {
    const file: RecordedFile = {
      field: 'upload',
      name: input.filename,
      contentType: input.contentType ?? 'application/octet-stream',
      data: Buffer.from(input.data),
    };
    return this.#store(channelId, file, undefined);
  }

  #live(id: string): MutableStored {
    const stored = this.#messages.get(id);
    if (!stored || stored.deleted) throw new Error(`message ${id} does not exist`);
    return stored;
  }

  #newAttachments(channelId: string, body: SentMessage, uploads: readonly RecordedFile[], into: Map<string, RecordedFile>): APIAttachment[] {
    return uploads.map((file) => {
      // files[n] pairs with attachments entry id n, which may carry a filename or description.
      const index = /^files\[(\d+)\]$/.exec(file.field)?.[1];
      const described = body.attachments?.find((entry) => String(entry.id) === index);
      const named: RecordedFile = described?.filename ? { ...file, name: described.filename } : file;
      const attachment = this.#store(channelId, named, described?.description);
      into.set(attachment.id, named);
      return attachment;
    });
  }

  #store(channelId: string, file: RecordedFile, description: string | undefined): APIAttachment {
    const id = snowflake();
    this.#attachments.set(`${channelId}/${id}`, file);
    const url = `${this.#baseUrl()}/attachments/${channelId}/${id}/${encodeURIComponent(file.name)}`;
    return {
      id,
      filename: file.name,
      size: file.data.length,
      url,
      proxy_url: url,
      content_type: file.contentType,
      ...(description === undefined ? {} : { description }),
    };
  }
}

export function validateMessage(body: SentMessage, files: readonly RecordedFile[], options: { readonly creating: boolean }): void {
  if (typeof body.content === 'string' && body.content.length > LIMITS.content) {
    throw invalidFormBody('content', 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.content} or fewer in length.`);
  }
  if ((body.embeds?.length ?? 0) > LIMITS.embeds) {
    throw invalidFormBody('embeds', 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.embeds} or fewer in length.`);
  }
  if (files.length > LIMITS.files) throw invalidFormBody('files', 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.files} or fewer in length.`);
  const hasContent = typeof body.content === 'string' && body.content.length > 0;
  const hasAnything = hasContent || (body.embeds?.length ?? 0) > 0 || files.length > 0 || (body.components?.length ?? 0) > 0 || 'poll' in body || 'sticker_ids' in body;
  if (options.creating && !hasAnything) throw emptyMessage();
}
