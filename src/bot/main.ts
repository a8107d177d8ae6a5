import { once } from 'node:events';
import { Events, type Client } from 'discord.js';
import { preloadAudio } from '../audio/index.ts';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { SqliteJobQueue, type JobQueue, type JobRunner } from '../queue/index.ts';
import { openStorage, type Storage } from '../storage/index.ts';
import { JobPublisher } from '../training/publisher.ts';
import { createTrainingRunner, type TrainingRunnerOptions } from '../training/runner.ts';
import { destroyAllVoice, voiceDependencyReport } from '../voice/index.ts';
import { createClient } from './client.ts';
import type { Command, CommandContext } from './command.ts';
import { loadCommands } from './command-loader.ts';
import { createLogger, type Logger } from './logger.ts';
import { InteractionRouter } from './router.ts';
import { closeWorkerPool } from '../training/worker-pool.ts';

// Start order: config → storage → queue → client login → queue start. The queue starts last
// because what it reports (progress, results) goes to Discord. Stop runs the other way round:
// running jobs are put back to resume at the next start, then the client and the database close.

export interface StartBotOptions {
  /** Default: every module in commands/. */
  readonly commands?: readonly Command[];
  /** The training work; default trains in worker threads (src/training/runner.ts). */
  readonly runner?: JobRunner;
  /** Tuning of the default runner and of the job messages (tests use small values). */
  readonly training?: Omit<TrainingRunnerOptions, 'storage' | 'logger'> & { readonly editIntervalMs?: number };
  readonly logger?: Logger;
  /** How long to wait for the gateway to report ready. Default 60 s. */
  readonly readyTimeoutMs?: number;
}

export interface RunningBot {
  readonly client: Client<true>;
  readonly storage: Storage;
  readonly queue: JobQueue;
  readonly context: CommandContext;
  /** Posts and edits the training jobs' messages. */
  readonly publisher: JobPublisher;
  /** Idempotent. */
  stop(): Promise<void>;
}

export async function startBot(config: Config, options: StartBotOptions = {}): Promise<RunningBot> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, secrets: [config.discordToken.reveal()] });
  const commands = options.commands ?? (await loadCommands());
  const storage = openStorage(config.dataDir);
  let client: Client | null = null;
  try {
    const queue = new SqliteJobQueue({
      storage,
      runner: options.runner ?? createTrainingRunner({ storage, logger: logger.child({ part: 'training' }), ...options.training }),
      workers: config.trainWorkers,
      maxJobsPerMember: config.limits.maxJobsPerMember,
      logger: logger.child({ part: 'queue' }),
    });
    const context: CommandContext = {
      config,
      storage,
      queue,
      logger,
      commands: new Map(commands.map((command) => [command.data.name, command])),
    };
    const router = new InteractionRouter(context);

    client = createClient(config);
    let stopping: Promise<void> | null = null;
    wireClientLogging(client, logger, config.logLevel === 'debug', () => stopping !== null);
    client.on(Events.InteractionCreate, (interaction) => void router.route(interaction));

    const ready = waitForReady(client, options.readyTimeoutMs ?? 60_000);
    await client.login(config.discordToken.reveal());
    const readyClient = await ready;
    // Subscribed before the queue starts, so jobs resumed after a restart show it at once.
    const publisher = new JobPublisher({
      client: readyClient,
      storage,
      queue,
      logger: logger.child({ part: 'publisher' }),
      ...(options.training?.editIntervalMs === undefined ? {} : { editIntervalMs: options.training.editIntervalMs }),
    });
    publisher.start();
    await queue.start();
    logger.info('bot ready', {
      user: readyClient.user.tag,
      guilds: readyClient.guilds.cache.size,
      commands: [...context.commands.keys()].join(','),
      workers: config.trainWorkers,
    });
    // Tone.js loads once (~0.7 s): now, in the background, so the first sound or /play does not wait.
    setImmediate(() => {
      const started = Date.now();
      Promise.resolve(preloadAudio()).then(
        () => logger.debug('audio ready', { ms: Date.now() - started }),
        (error: unknown) => logger.warn('could not preload audio; it loads on first use', { err: error }),
      );
    });

    logger.info('voice dependencies', { report: voiceDependencyReport() });
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        destroyAllVoice();
        await queue.stop();
        await publisher.stop();
        await closeWorkerPool();
        await readyClient.destroy();
        storage.close();
        logger.info('bot stopped');
      })());
    return { client: readyClient, storage, queue, context, publisher, stop };
  } catch (error) {
    await client?.destroy().catch(() => {});
    storage.close();
    throw error;
  }
}

async function waitForReady(client: Client, timeoutMs: number): Promise<Client<true>> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const [readyClient] = (await once(client, Events.ClientReady, { signal })) as [Client<true>];
    return readyClient;
  } catch (error) {
    if (signal.aborted) throw new Error(`Discord did not report ready within ${timeoutMs} ms`);
    throw error;
  }
}

function wireClientLogging(client: Client, logger: Logger, debug: boolean, stopping: () => boolean): void {
  const log = logger.child({ part: 'discord' });
  client.on(Events.Error, (error) => log.error('client error', { err: error }));
  client.on(Events.Warn, (message) => log.warn(message));
  // Closing the connection on stop also raises these; they are only news while running.
  client.on(Events.ShardDisconnect, (event, shard) => {
    if (!stopping()) log.warn('gateway disconnected', { shard, code: event.code });
  });
  client.on(Events.ShardReconnecting, (shard) => {
    if (!stopping()) log.info('gateway reconnecting', { shard });
  });
  client.on(Events.ShardResume, (shard, replayed) => log.info('gateway resumed', { shard, replayed }));
  client.rest.on('rateLimited', (info) => log.warn('rate limited', { route: info.route, retryAfterMs: info.retryAfter, global: info.global }));
  if (debug) client.on(Events.Debug, (message) => log.debug(message));
}

/** `npm run bot`: start, and stop gracefully on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const logger = createLogger({ level: config.logLevel, secrets: [config.discordToken.reveal()] });
  // A forgotten await somewhere must not take the bot down; it is a bug to find in the log.
  process.on('unhandledRejection', (reason) => logger.error('unhandled promise rejection', { err: reason }));

  let bot: RunningBot;
  try {
    bot = await startBot(config, { logger });
  } catch (error) {
    logger.error('could not start', { err: error });
    process.exit(1);
  }

  let exiting = false;
  const shutdown = (reason: string, code: number): void => {
    if (exiting) {
      logger.warn('second stop request; exiting at once', { reason });
      process.exit(1);
    }
    exiting = true;
    logger.info('shutting down', { reason });
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 20_000).unref();
    bot.stop().then(
      () => process.exit(code),
      (error: unknown) => {
        logger.error('error while shutting down', { err: error });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT', 0));
  process.on('SIGTERM', () => shutdown('SIGTERM', 0));
  // After an uncaught exception the process state is unknown: stop cleanly (jobs are requeued)
  // and let the supervisor restart it.
  process.on('uncaughtException', (error) => {
    logger.error('uncaught exception', { err: error });
    shutdown('uncaughtException', 1);
  });
}

if (import.meta.main) await main();
