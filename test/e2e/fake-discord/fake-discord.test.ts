import { once } from 'node:events';
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  GatewayOpcodes,
  InteractionResponseType,
  MessageFlags,
  REST,
  Routes,
  SlashCommandBuilder,
  type Interaction,
} from 'discord.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeDiscord, waitUntil } from './index.ts';

// The fake's own tests, run with a bare discord.js client (not the bot), so that the library the
// e2e tests rely on is itself checked against the real client.

describe('fake Discord with the real discord.js client', () => {
  let fake: FakeDiscord;
  let client: Client<true>;
  let handler: (interaction: Interaction) => Promise<void> = async () => {};
  const handlerErrors: unknown[] = [];

  const songCommand = new SlashCommandBuilder()
    .setName('song')
    .setDescription('Songs')
    .addSubcommand((sub) =>
      sub
        .setName('add')
        .setDescription('Add')
        .addStringOption((o) => o.setName('name').setDescription('Name').setRequired(true).setAutocomplete(true))
        .addIntegerOption((o) => o.setName('tempo').setDescription('Tempo'))
        .addNumberOption((o) => o.setName('swing').setDescription('Swing'))
        .addBooleanOption((o) => o.setName('public').setDescription('Public'))
        .addAttachmentOption((o) => o.setName('file').setDescription('File'))
        .addUserOption((o) => o.setName('for').setDescription('For')),
    );

  beforeAll(async () => {
    fake = await FakeDiscord.start({ callbackDeadlineMs: 1000 });
    client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiBase } }) as Client<true>;
    client.on(Events.InteractionCreate, (interaction) => {
      handler(interaction).catch((error: unknown) => handlerErrors.push(error));
    });
    const ready = once(client, Events.ClientReady, { signal: AbortSignal.timeout(5000) });
    await client.login(fake.token);
    await ready;
  });

  afterAll(async () => {
    await client?.destroy();
    await fake?.close();
  });

  beforeEach(() => {
    handlerErrors.length = 0;
    handler = async () => {};
  });

  it('logs the client in: gateway info, IDENTIFY with intents, READY and GUILD_CREATE', () => {
    const gatewayBot = fake.requests.find((r) => r.route === 'GET /gateway/bot');
    expect(gatewayBot?.authorization).toBe(`Bot ${fake.token}`);
    const identify = fake.gatewayFrames.find((frame) => frame.op === GatewayOpcodes.Identify);
    expect(identify?.d).toMatchObject({ intents: GatewayIntentBits.Guilds, token: '[redacted]' });
    expect(client.user.id).toBe(fake.applicationId);
    expect(client.application.id).toBe(fake.applicationId);

    const guild = client.guilds.cache.get(fake.guild.id);
    expect(guild?.name).toBe('Nabi Test Server');
    expect(guild?.channels.cache.map((c) => c.name).sort()).toEqual(['Music', 'general']);
    expect(guild?.members.cache.get(fake.guild.member('bob').user.id)?.permissions.has('ManageGuild')).toBe(true);
    expect(guild?.members.cache.get(fake.guild.member('alice').user.id)?.permissions.has('ManageGuild')).toBe(false);
    expect(fake.unhandled()).toEqual([]);
  });

  it('rejects a wrong bot token on REST', async () => {
    const rest = new REST({ api: fake.apiBase, retries: 0 }).setToken('not.the.token');
    await expect(rest.get(Routes.user('@me'))).rejects.toMatchObject({ status: 401 });
  });

  it('stores registered commands, keeping ids across re-registration', async () => {
    const rest = new REST({ api: fake.apiBase }).setToken(fake.token);
    const first = (await rest.put(Routes.applicationGuildCommands(fake.applicationId, fake.guild.id), { body: [songCommand.toJSON()] })) as { id: string }[];
    const second = (await rest.put(Routes.applicationGuildCommands(fake.applicationId, fake.guild.id), { body: [songCommand.toJSON()] })) as { id: string }[];
    expect(second[0]?.id).toBe(first[0]?.id);
    expect(fake.registeredCommands(fake.guild.id).map((c) => c.name)).toEqual(['song']);
    expect(fake.registeredCommands()).toEqual([]);
    expect(await rest.get(Routes.applicationGuildCommands(fake.applicationId, fake.guild.id))).toHaveLength(1);
    const bad = rest.put(Routes.applicationCommands(fake.applicationId), { body: [{ name: 'Bad Name', description: 'x' }] });
    await expect(bad).rejects.toMatchObject({ status: 400, code: 50035 });
  });

  it('sends a chat-input command typed by the registration, and records a multipart reply with its files', async () => {
    const seen: Record<string, unknown> = {};
    handler = async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      seen.sub = interaction.options.getSubcommand();
      seen.name = interaction.options.getString('name');
      seen.tempo = interaction.options.getInteger('tempo');
      seen.swing = interaction.options.getNumber('swing');
      seen.public = interaction.options.getBoolean('public');
      seen.for = interaction.options.getUser('for')?.username;
      seen.canManage = interaction.memberPermissions?.has('ManageGuild');
      const attachment = interaction.options.getAttachment('file');
      seen.upload = attachment ? Buffer.from(await (await fetch(attachment.url)).arrayBuffer()).toString() : null;
      await interaction.reply({
        content: 'saved <@123>',
        files: [{ attachment: Buffer.from('MThd-bytes'), name: 'nabiya.mid' }],
        flags: MessageFlags.Ephemeral,
        allowedMentions: { parse: [] },
      });
    };
    const sent = fake.sendInteraction({
      kind: 'command',
      name: 'song',
      subcommand: 'add',
      member: 'bob',
      options: { name: 'nabiya', tempo: 90, swing: 0.5, public: true, for: 'alice', file: { filename: 'in.abc', data: 'X:1\nK:G\nGEE' } },
    });
    const callback = await sent.waitForCallback();
    expect(handlerErrors).toEqual([]);
    expect(seen).toEqual({ sub: 'add', name: 'nabiya', tempo: 90, swing: 0.5, public: true, for: 'alice', canManage: true, upload: 'X:1\nK:G\nGEE' });
    expect(callback.contentType).toMatch(/^multipart\/form-data/);
    expect(callback.callbackType).toBe(InteractionResponseType.ChannelMessageWithSource);
    expect(callback.message).toMatchObject({ content: 'saved <@123>', flags: MessageFlags.Ephemeral, allowed_mentions: { parse: [] } });
    expect(callback.files.map((f) => [f.field, f.name, f.data.toString()])).toEqual([['files[0]', 'nabiya.mid', 'MThd-bytes']]);

    const original = sent.original();
    expect(original?.attachments[0]).toMatchObject({ filename: 'nabiya.mid', size: 10 });
    expect(fake.attachmentData(original?.attachments[0]?.url ?? '')?.data.toString()).toBe('MThd-bytes');
    const download = await fetch(original?.attachments[0]?.url ?? '');
    expect(Buffer.from(await download.arrayBuffer()).toString()).toBe('MThd-bytes');
  });

  it('refuses to send options the registered command does not have, or without required ones', () => {
    expect(() => fake.sendInteraction({ kind: 'command', name: 'song', subcommand: 'add', options: { name: 'x', colour: 'red' } })).toThrow(
      /unknown option "colour"/,
    );
    expect(() => fake.sendInteraction({ kind: 'command', name: 'song', subcommand: 'add', options: { tempo: 1 } })).toThrow(
      /required option "name" is missing/,
    );
    expect(() => fake.sendInteraction({ kind: 'command', name: 'song', subcommand: 'add', options: { name: 'x', tempo: 1.5 } })).toThrow(
      /expected a whole number/,
    );
    expect(() => fake.sendInteraction({ kind: 'command', name: 'song', options: {} })).toThrow(/needs a subcommand: add/);
    expect(() => fake.sendInteraction({ kind: 'command', name: 'song', subcommand: 'remove' })).toThrow(/no Subcommand "remove"/);
  });

  it('supports deferring, editing the reply, follow-ups and their edits, and deleting', async () => {
    let followUpId = '';
    handler = async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      await interaction.deferReply();
      await interaction.editReply('step 1');
      const followUp = await interaction.followUp({ content: 'more', flags: MessageFlags.Ephemeral });
      followUpId = followUp.id;
      await interaction.webhook.editMessage(followUp.id, { content: 'more, edited' });
      await interaction.editReply({ content: 'done', files: [{ attachment: Buffer.from('png'), name: 'curve.png' }] });
      await interaction.deleteReply(followUp.id);
    };
    const sent = fake.sendInteraction({ kind: 'command', name: 'ping' });
    await sent.waitForResponse((r) => r.route === 'DELETE /webhooks/:app/:token/messages/:message');
    expect(handlerErrors).toEqual([]);
    expect(sent.responses().map((r) => r.route)).toEqual([
      'POST /interactions/:interaction/:token/callback',
      'PATCH /webhooks/:app/:token/messages/:message',
      'POST /webhooks/:app/:token',
      'PATCH /webhooks/:app/:token/messages/:message',
      'PATCH /webhooks/:app/:token/messages/:message',
      'DELETE /webhooks/:app/:token/messages/:message',
    ]);
    expect(sent.responses()[0]?.callbackType).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    const original = sent.original();
    expect(original).toMatchObject({ content: 'done', flags: 0 });
    expect(original?.attachments.map((a) => a.filename)).toEqual(['curve.png']);
    expect(fake.message(followUpId)).toMatchObject({ deleted: true, message: { content: 'more, edited', flags: MessageFlags.Ephemeral } });
  });

  it('answers autocomplete with the choices recorded', async () => {
    handler = async (interaction) => {
      if (!interaction.isAutocomplete()) return;
      const typed = interaction.options.getFocused(true);
      await interaction.respond([{ name: `${typed.name}:${typed.value}`, value: 'nabiya' }]);
    };
    const sent = fake.sendInteraction({ kind: 'autocomplete', name: 'song', subcommand: 'add', options: { name: 'nab' }, focused: 'name' });
    const callback = await sent.waitForCallback();
    expect(callback.callbackType).toBe(InteractionResponseType.ApplicationCommandAutocompleteResult);
    expect(callback.choices).toEqual([{ name: 'name:nab', value: 'nabiya' }]);
  });

  it('clicks a button on a message the bot sent and records the update', async () => {
    const row = new ActionRowBuilder<ButtonBuilder>().addComponents(new ButtonBuilder().setCustomId('play:1').setLabel('▶').setStyle(ButtonStyle.Primary));
    const channel = await client.channels.fetch(fake.guild.textChannel.id);
    if (!channel?.isSendable()) throw new Error('text channel not sendable');
    const posted = await channel.send({ content: 'nabiya', components: [row] });

    handler = async (interaction) => {
      if (!interaction.isButton()) return;
      await interaction.update({ content: `playing (${interaction.customId}) from ${interaction.message.id}`, components: [] });
    };
    const sent = fake.sendInteraction({ kind: 'button', customId: 'play:1', messageId: posted.id });
    const callback = await sent.waitForCallback();
    expect(callback.callbackType).toBe(InteractionResponseType.UpdateMessage);
    expect(fake.message(posted.id)?.message).toMatchObject({ content: `playing (play:1) from ${posted.id}`, components: [] });

    // Without a messageId the fake makes a message carrying the button.
    handler = async (interaction) => {
      if (interaction.isButton()) await interaction.deferUpdate();
    };
    const synthetic = fake.sendInteraction({ kind: 'button', customId: 'stop' });
    expect((await synthetic.waitForCallback()).callbackType).toBe(InteractionResponseType.DeferredMessageUpdate);
  });

  it('enforces one callback per interaction, within the deadline, and the token lifetime', async () => {
    const rest = new REST({ api: fake.apiBase, retries: 0 });
    const first = fake.sendInteraction({ kind: 'command', name: 'ping' });
    const body = { type: InteractionResponseType.ChannelMessageWithSource, data: { content: 'hi' } };
    await rest.post(Routes.interactionCallback(first.id, first.token), { body, auth: false });
    await expect(rest.post(Routes.interactionCallback(first.id, first.token), { body, auth: false })).rejects.toMatchObject({ code: 40060 });

    // Token expiry: the webhook routes refuse it as Discord does after 15 minutes.
    first.expireToken();
    await expect(rest.patch(Routes.webhookMessage(fake.applicationId, first.token), { body: { content: 'late' }, auth: false })).rejects.toMatchObject({
      status: 401,
      code: 50027,
    });

    const slow = fake.sendInteraction({ kind: 'command', name: 'ping' });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await expect(rest.post(Routes.interactionCallback(slow.id, slow.token), { body, auth: false })).rejects.toMatchObject({ code: 10062 });
  });

  it('refuses messages Discord would refuse', async () => {
    const errors: unknown[] = [];
    handler = async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      await interaction.reply({ content: 'x'.repeat(2001) }).catch((error: unknown) => errors.push(error));
    };
    const sent = fake.sendInteraction({ kind: 'command', name: 'ping' });
    await sent.waitForCallback();
    await waitUntil(() => errors.length === 1);
    expect(errors[0]).toBeInstanceOf(DiscordAPIError);
    expect(errors[0]).toMatchObject({ code: 50035, status: 400 });
    expect((errors[0] as DiscordAPIError).message).toMatch(/content.*2000 or fewer/s);
  });

  it('creates, edits and reads channel messages', async () => {
    const channel = await client.channels.fetch(fake.guild.textChannel.id);
    if (!channel?.isSendable()) throw new Error('text channel not sendable');
    const message = await channel.send('epoch 1/10');
    await message.edit('epoch 2/10');
    const patch = await fake.waitForRoute('PATCH /channels/:channel/messages/:message');
    expect(patch.message).toMatchObject({ content: 'epoch 2/10' });
    expect(fake.messages(fake.guild.textChannel.id).find((m) => m.id === message.id)?.content).toBe('epoch 2/10');
    await expect(channel.messages.fetch({ message: message.id, force: true })).resolves.toMatchObject({ content: 'epoch 2/10' });
  });

  it('lets the client RESUME after a disconnect and replays what it missed', async () => {
    const answered: string[] = [];
    handler = async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      answered.push(interaction.id);
      await interaction.reply('back');
    };
    fake.disconnectGateway();
    // Sent while the client is away: delivered on RESUME.
    const sent = fake.sendInteraction({ kind: 'command', name: 'ping' });
    await sent.waitForCallback(5000);
    expect(answered).toEqual([sent.id]);
    expect(fake.gatewayFrames.some((frame) => frame.op === GatewayOpcodes.Resume)).toBe(true);
  });

  it('says so when an interaction is sent before any bot has connected', async () => {
    const lonely = await FakeDiscord.start();
    try {
      expect(() => lonely.sendInteraction({ kind: 'command', name: 'help' })).toThrow(/No bot has a session with the fake gateway/);
      await expect(lonely.waitForSession(50)).rejects.toThrow(/Timed out after 50 ms waiting for 1 gateway session/);
    } finally {
      await lonely.close();
    }
  });

  it('names unhandled routes and times out waits with what happened instead', async () => {
    const rest = new REST({ api: fake.apiBase, retries: 0 }).setToken(fake.token);
    await expect(rest.get('/nowhere/to/be/found')).rejects.toMatchObject({ status: 404 });
    expect(fake.unhandled().map((r) => r.path)).toEqual(['/nowhere/to/be/found']);
    await expect(fake.waitForRoute('DELETE /channels/:channel/messages/:message', () => true, 50)).rejects.toThrow(
      /Timed out after 50 ms waiting for DELETE \/channels\/:channel\/messages\/:message\nRequests so far/,
    );
  });
});
