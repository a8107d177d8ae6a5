// The fake Discord's public surface; see README.md in this folder.
export { FakeDiscord, startFakeDiscord } from './fake-discord.ts';
export { HttpError } from './http-error.ts';
export { LIMITS } from './messages.ts';
export { snowflake } from './snowflake.ts';
export { REST_ROUTES } from './types.ts';
export type {
  AutocompleteSpec,
  ButtonSpec,
  ChatInputSpec,
  FakeAttachmentInput,
  FakeChannel,
  FakeChannelSpec,
  FakeDiscordOptions,
  FakeGuild,
  FakeGuildSpec,
  FakeMember,
  FakeMemberSpec,
  FakeRole,
  FakeUser,
  FakeUserSpec,
  GatewayFrame,
  InteractionSpec,
  OptionInput,
  RecordedFile,
  RecordedRequest,
  RouteName,
  SentInteraction,
  SentMessage,
  StoredMessage,
} from './types.ts';
export { WaitTimeoutError, waitUntil } from './wait.ts';
export { EVERYONE_PERMISSIONS, FAKE_APPLICATION_ID, FAKE_TOKEN } from './world.ts';
