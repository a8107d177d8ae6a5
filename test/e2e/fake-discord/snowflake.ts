// Discord ids are snowflakes: milliseconds since 2015 in the high bits. discord.js derives
// createdAt from them, so the fake makes real ones, unique within the process.

const DISCORD_EPOCH = 1_420_070_400_000n;
let increment = 0n;

export function snowflake(at: number = Date.now()): string {
  increment = (increment + 1n) % 4096n;
  return (((BigInt(at) - DISCORD_EPOCH) << 22n) | (1n << 17n) | increment).toString();
}
