import { Client, GatewayIntentBits } from 'discord.js';
import type { Config } from '../config.ts';

// The discord.js client, configured once for the whole bot:
// - intents: Guilds (servers, channels, interactions' context) and GuildVoiceStates (which voice
//   channel a member is in, for playback). No message content: everything goes through commands.
// - allowedMentions parse: [] — no reply ever pings anyone, whatever a member typed into a melody
//   name; individual replies cannot forget it.
// - rest.api from config, so tests can point the client at the fake Discord.

export const BOT_INTENTS = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildVoiceStates] as const;

export function createClient(config: Pick<Config, 'discordApiBase'>): Client {
  return new Client({
    intents: [...BOT_INTENTS],
    allowedMentions: { parse: [], repliedUser: false },
    rest: { api: config.discordApiBase },
  });
}
