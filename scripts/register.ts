import { ConfigError, loadConfig } from '../src/config.ts';
import { loadCommands } from '../src/bot/command-loader.ts';
import { createLogger } from '../src/bot/logger.ts';
import { registerCommands } from '../src/bot/register.ts';

// `npm run register`: publishes every command in commands/ to Discord — to GUILD_ID when set
// (instant), otherwise globally. Run it after adding, removing or changing a command's options.

try {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, secrets: [config.discordToken.reveal()] });
  try {
    const result = await registerCommands(config, await loadCommands());
    const where = result.scope === 'guild' ? `server ${result.guildId}` : 'all servers (global; may take a while to appear)';
    logger.info(`registered ${result.names.length} command(s) to ${where}`, { commands: result.names.join(',') });
  } catch (error) {
    logger.error('registration failed', { err: error });
    process.exitCode = 1;
  }
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
