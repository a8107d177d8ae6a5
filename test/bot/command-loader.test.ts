import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asCommand, loadCommands } from '../../src/bot/command-loader.ts';

describe('command loader', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nabi-commands-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (file: string, source: string): void => fs.writeFileSync(path.join(dir, file), source);
  const moduleSource = (name: string, style: 'default' | 'named' = 'default'): string => {
    const body = `{ data: { name: '${name}', description: 'd', toJSON() { return { name: '${name}', description: 'd' }; } }, async execute() {} }`;
    return style === 'default' ? `export default ${body};` : `const c = ${body};\nexport const data = c.data;\nexport const execute = c.execute;`;
  };

  it('loads the project\'s commands/ folder, /help included', async () => {
    const commands = await loadCommands();
    expect(commands.map((c) => c.data.name)).toContain('help');
    const help = commands.find((c) => c.data.name === 'help');
    expect(help?.data.toJSON()).toMatchObject({ name: 'help', description: expect.any(String) });
  });

  it('loads default and named exports in file order, skipping tests and declarations', async () => {
    write('b.mjs', moduleSource('beta', 'named'));
    write('a.mjs', moduleSource('alpha'));
    write('a.test.mjs', 'throw new Error("must not be imported")');
    write('types.d.ts', 'export {};');
    write('notes.txt', 'not a module');
    expect((await loadCommands(dir)).map((c) => c.data.name)).toEqual(['alpha', 'beta']);
  });

  it('names the file of a module that is not a command', async () => {
    write('oops.mjs', 'export const something = 1;');
    await expect(loadCommands(dir)).rejects.toThrow(/^oops\.mjs: expected a command module exporting "data"/);
  });

  it('refuses two commands with the same name', async () => {
    write('a.mjs', moduleSource('same'));
    write('b.mjs', moduleSource('same'));
    await expect(loadCommands(dir)).rejects.toThrow('Two commands are named "same"');
  });

  it('validates what a command module exports', () => {
    const data = (name: string) => ({ name, description: 'd', toJSON: () => ({}) });
    expect(() => asCommand({ data: data('ok') }, 'x.ts')).toThrow('x.ts: command "ok" has no execute function');
    expect(() => asCommand({ data: data('Bad Name'), execute() {} }, 'x.ts')).toThrow(/must be 1–32 lowercase/);
    expect(() => asCommand({ data: data('ok'), execute() {}, autocomplete: 'yes' }, 'x.ts')).toThrow(/"autocomplete" that is not a function/);
    expect(asCommand({ default: { data: data('ok'), execute() {} } }, 'x.ts').data.name).toBe('ok');
  });
});
