import { InteractionType, MessageFlags, type Interaction } from 'discord.js';
import { describe, expect, it, vi } from 'vitest';
import type { Command, CommandContext } from '../../src/bot/command.ts';
import { customId, parseCustomId } from '../../src/bot/command.ts';
import { UserError } from '../../src/bot/errors.ts';
import { createLogger } from '../../src/bot/logger.ts';
import { InteractionRouter } from '../../src/bot/router.ts';
import { MemberJobLimitError } from '../../src/queue/index.ts';

// The router and the central error handler with stand-in interactions: only the members the
// router touches, so every state (fresh, deferred, replied, autocomplete) can be set directly.

type Kind = 'command' | 'autocomplete' | 'button' | 'modal';

interface StubOptions {
  readonly kind?: Kind;
  readonly commandName?: string;
  readonly customId?: string;
  readonly deferred?: boolean;
  readonly replied?: boolean;
  readonly replyFails?: boolean;
}

function stubInteraction(options: StubOptions = {}) {
  const kind = options.kind ?? 'command';
  const stub = {
    type: kind === 'modal' ? InteractionType.ModalSubmit : InteractionType.ApplicationCommand,
    commandName: options.commandName ?? 'melody',
    customId: options.customId ?? '',
    user: { id: '42' },
    guildId: '7',
    deferred: options.deferred ?? false,
    replied: options.replied ?? false,
    responded: false,
    options: { getSubcommandGroup: () => null, getSubcommand: () => (kind === 'command' ? 'add' : null) },
    isChatInputCommand: () => kind === 'command',
    isAutocomplete: () => kind === 'autocomplete',
    isButton: () => kind === 'button',
    isMessageComponent: () => kind === 'button',
    isRepliable: () => kind !== 'autocomplete',
    reply: vi.fn(async (_options: unknown) => {
      if (options.replyFails) throw new Error('Unknown interaction');
    }),
    followUp: vi.fn(async (_options: unknown) => {}),
    editReply: vi.fn(async (_options: unknown) => {}),
    respond: vi.fn(async (_choices: unknown) => {}),
  };
  return { stub, interaction: stub as unknown as Interaction };
}

function setup(commands: readonly Command[]) {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', sink: (line) => lines.push(line) });
  const context = { logger, commands: new Map(commands.map((c) => [c.data.name, c])) } as unknown as CommandContext;
  return { lines, context, router: new InteractionRouter(context) };
}

function command(name: string, parts: Partial<Omit<Command, 'data'>> = {}): Command {
  return {
    data: { name, description: `${name} command`, toJSON: () => ({ name, description: `${name} command` }) },
    execute: async () => {},
    ...parts,
  };
}

describe('InteractionRouter', () => {
  it('runs the chat-input command with the context', async () => {
    const execute = vi.fn(async () => {});
    const { router, context } = setup([command('melody', { execute })]);
    const { interaction, stub } = stubInteraction();
    await router.route(interaction);
    expect(execute).toHaveBeenCalledWith(interaction, context);
    expect(stub.reply).not.toHaveBeenCalled();
  });

  it('turns a thrown error into an ephemeral reply with a reference that is also in the log', async () => {
    const { router, lines } = setup([command('melody', { execute: async () => Promise.reject(new TypeError('undefined is not a function')) })]);
    const { interaction, stub } = stubInteraction();
    await expect(router.route(interaction)).resolves.toBeUndefined();
    expect(stub.reply).toHaveBeenCalledTimes(1);
    const options = stub.reply.mock.calls[0]?.[0] as { content: string; flags: number; allowedMentions: unknown };
    expect(options.flags).toBe(MessageFlags.Ephemeral);
    expect(options.allowedMentions).toEqual({ parse: [] });
    const reference = /reference `([0-9a-f]{8})`/.exec(options.content)?.[1];
    expect(options.content).toMatch(/^Something went wrong with \/melody add\./);
    const errorLine = lines.find((line) => line.includes(' ERROR '));
    expect(errorLine).toContain(`ref=${reference}`);
    expect(errorLine).toContain('err="TypeError: undefined is not a function"');
    expect(errorLine).toContain('interaction="/melody add" user=42 guild=7');
  });

  it('shows a refusal\'s own text (anything with userMessage) and logs it at info', async () => {
    for (const error of [new UserError('No melody named "x".'), new MemberJobLimitError(2, 2)]) {
      const { router, lines } = setup([command('melody', { execute: async () => Promise.reject(error) })]);
      const { interaction, stub } = stubInteraction();
      await router.route(interaction);
      const expected = error instanceof UserError ? error.userMessage : error.userMessage;
      expect(stub.reply).toHaveBeenCalledWith({ content: expected, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
      expect(lines.some((line) => line.includes(' INFO  request refused'))).toBe(true);
      expect(lines.some((line) => line.includes(' ERROR '))).toBe(false);
    }
  });

  it('bounds the reply to Discord\'s 2000 characters', async () => {
    const { router } = setup([command('melody', { execute: async () => Promise.reject(new UserError('x'.repeat(5000))) })]);
    const { interaction, stub } = stubInteraction();
    await router.route(interaction);
    const options = stub.reply.mock.calls[0]?.[0] as { content: string };
    expect(Array.from(options.content)).toHaveLength(2000);
  });

  it('edits a deferred reply and follows up on an answered one', async () => {
    const failing = command('melody', { execute: async () => Promise.reject(new UserError('nope')) });
    const { router } = setup([failing]);

    const deferred = stubInteraction({ deferred: true });
    await router.route(deferred.interaction);
    expect(deferred.stub.editReply).toHaveBeenCalledWith({ content: 'nope', allowedMentions: { parse: [] } });
    expect(deferred.stub.reply).not.toHaveBeenCalled();

    const replied = stubInteraction({ deferred: true, replied: true });
    await router.route(replied.interaction);
    expect(replied.stub.followUp).toHaveBeenCalledWith({ content: 'nope', flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
    expect(replied.stub.editReply).not.toHaveBeenCalled();
  });

  it('survives a failing error reply (e.g. an expired interaction) with a warning', async () => {
    const { router, lines } = setup([command('melody', { execute: async () => Promise.reject(new Error('first')) })]);
    const { interaction } = stubInteraction({ replyFails: true });
    await expect(router.route(interaction)).resolves.toBeUndefined();
    expect(lines.some((line) => line.includes('WARN  could not send the error reply') && line.includes('Unknown interaction'))).toBe(true);
  });

  it('answers a command it does not know with a clear refusal', async () => {
    const { router } = setup([]);
    const { interaction, stub } = stubInteraction({ commandName: 'retired' });
    await router.route(interaction);
    expect(stub.reply).toHaveBeenCalledWith(expect.objectContaining({ content: expect.stringMatching(/^\/retired is not available right now/) }));
  });

  it('sends autocomplete to the command, an empty list when it has none, and an empty list on error', async () => {
    const autocomplete = vi.fn(async () => {});
    const { router } = setup([command('melody', { autocomplete }), command('help'), command('broken', { autocomplete: async () => Promise.reject(new Error('db')) })]);

    const typed = stubInteraction({ kind: 'autocomplete' });
    await router.route(typed.interaction);
    expect(autocomplete).toHaveBeenCalledTimes(1);

    const none = stubInteraction({ kind: 'autocomplete', commandName: 'help' });
    await router.route(none.interaction);
    expect(none.stub.respond).toHaveBeenCalledWith([]);

    const broken = stubInteraction({ kind: 'autocomplete', commandName: 'broken' });
    await router.route(broken.interaction);
    expect(broken.stub.respond).toHaveBeenCalledWith([]);
    expect(broken.stub.reply).not.toHaveBeenCalled();
  });

  it('routes buttons by the command name before the first ":" and passes the rest as args', async () => {
    const button = vi.fn(async () => {});
    const { router, context } = setup([command('melody', { button })]);
    const { interaction } = stubInteraction({ kind: 'button', customId: customId('melody', 'play', '12') });
    await router.route(interaction);
    expect(button).toHaveBeenCalledWith(interaction, context, ['play', '12']);

    const stale = stubInteraction({ kind: 'button', customId: 'gone:1' });
    await router.route(stale.interaction);
    expect(stale.stub.reply).toHaveBeenCalledWith(expect.objectContaining({ content: expect.stringMatching(/This button no longer works/), flags: MessageFlags.Ephemeral }));
  });

  it('ignores interaction kinds it has no route for', async () => {
    const { router } = setup([]);
    const { interaction, stub } = stubInteraction({ kind: 'modal' });
    await router.route(interaction);
    expect(stub.reply).not.toHaveBeenCalled();
  });
});

describe('custom ids', () => {
  it('joins and splits command name and args', () => {
    expect(customId('melody', 'play', '3')).toBe('melody:play:3');
    expect(parseCustomId('melody:play:3')).toEqual({ commandName: 'melody', args: ['play', '3'] });
    expect(parseCustomId('plain')).toEqual({ commandName: 'plain', args: [] });
  });

  it('refuses separators inside parts and ids over 100 characters', () => {
    expect(() => customId('melody', 'a:b')).toThrow(/may not contain ":"/);
    expect(() => customId('melody', 'x'.repeat(100))).toThrow(/Discord allows 100/);
  });
});
