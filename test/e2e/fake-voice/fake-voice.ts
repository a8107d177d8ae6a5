import { createDecipheriv, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import tls from 'node:tls';
import { VoiceOpcodes } from 'discord-api-types/voice/v8';
import { WebSocketServer, type WebSocket } from 'ws';
import { OpusScript } from '../../../src/audio/encode.ts';
import { waitUntil } from '../fake-discord/wait.ts';

// A fake Discord voice server on 127.0.0.1 for end-to-end tests: the voice gateway (v8, JSON)
// over wss:// and the media socket over UDP, enough of both for @discordjs/voice to connect and
// stream, and a receiver that decrypts (AES-256-GCM, rtpsize nonces) and decodes (Opus) what it
// sends, so a test can listen to what the bot played.
//
// Why TLS: @discordjs/voice 0.19 always builds `wss://${endpoint}?v=8` from VOICE_SERVER_UPDATE's
// endpoint (no option, no scheme passthrough). Rather than a seam in production code, the fake
// serves wss:// with a self-signed certificate for 127.0.0.1 (loopback-cert.pem, tests only) and
// `trustLoopbackCertificate()` adds it to this process's default CAs (tls.setDefaultCACertificates,
// Node ≥ 22.19): the library runs unchanged, TLS included.

const HERE = new URL('.', import.meta.url);
export const LOOPBACK_CERT = readFileSync(new URL('loopback-cert.pem', HERE), 'utf8');
const LOOPBACK_KEY = readFileSync(new URL('loopback-key.pem', HERE), 'utf8');

let trusted = false;
/** Makes this process trust the fake's certificate (on top of the usual CAs). Idempotent. */
export function trustLoopbackCertificate(): void {
  if (trusted) return;
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), LOOPBACK_CERT]);
  trusted = true;
}

export const AES_GCM_RTPSIZE = 'aead_aes256_gcm_rtpsize';
const SAMPLE_RATE = 48_000;
const CHANNELS = 2;
const FRAME_SAMPLES = 960;
const RTP_OPUS_PAYLOAD_TYPE = 0x78;

export interface VoiceFrame {
  readonly at: number;
  readonly op: number;
  readonly d: unknown;
}

export interface ReceivedPacket {
  readonly at: number;
  readonly sequence: number;
  readonly timestamp: number;
  readonly ssrc: number;
  /** The Opus packet after transport decryption. */
  readonly opus: Buffer;
}

export interface FakeVoiceOptions {
  /** The token VOICE_SERVER_UPDATE carries and IDENTIFY must repeat. Default: random. */
  readonly token?: string;
  readonly heartbeatIntervalMs?: number;
  /** Offered in READY. Default: aead_aes256_gcm_rtpsize, aead_xchacha20_poly1305_rtpsize. */
  readonly modes?: readonly string[];
  /** Sent in SESSION_DESCRIPTION. Default 0 (DAVE off: transport encryption only). */
  readonly daveProtocolVersion?: number;
  /** Never answer IDENTIFY (to test connection timeouts). */
  readonly silent?: boolean;
}

export class FakeVoiceServer {
  readonly token: string;
  readonly ssrc = 1 + Math.floor(Math.random() * 0xfffffff);
  readonly secretKey = randomBytes(32);
  /** JSON frames the client sent, in order. */
  readonly frames: VoiceFrame[] = [];
  /** Binary (DAVE) frames the client sent: their opcodes. */
  readonly binaryOps: number[] = [];
  /** RTP packets received and decrypted, in arrival order. */
  readonly packets: ReceivedPacket[] = [];
  /** Datagrams that failed authentication or were not understood. */
  readonly rejected: string[] = [];
  readonly #options: FakeVoiceOptions;
  readonly #https: https.Server;
  readonly #wss: WebSocketServer;
  readonly #udp: dgram.Socket;
  readonly #sockets = new Set<Socket>();
  readonly #clients = new Set<WebSocket>();
  #mode: string | null = null;
  #seq = 0;
  #closed = false;

  static async start(options: FakeVoiceOptions = {}): Promise<FakeVoiceServer> {
    const server = new FakeVoiceServer(options);
    await server.#listen();
    return server;
  }

  private constructor(options: FakeVoiceOptions) {
    this.#options = options;
    this.token = options.token ?? randomBytes(8).toString('hex');
    this.#https = https.createServer({ cert: LOOPBACK_CERT, key: LOOPBACK_KEY });
    this.#https.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    this.#wss = new WebSocketServer({ server: this.#https });
    this.#wss.on('connection', (socket) => this.#accept(socket));
    this.#udp = dgram.createSocket('udp4');
    this.#udp.on('message', (message, remote) => this.#onDatagram(message, remote));
    this.#udp.on('error', () => {});
  }

  /** host:port as VOICE_SERVER_UPDATE's endpoint (no scheme, as Discord sends it). */
  get endpoint(): string {
    return `127.0.0.1:${(this.#https.address() as AddressInfo).port}`;
  }

  get udpPort(): number {
    return this.#udp.address().port;
  }

  /** The mode the client selected, once it did. */
  get mode(): string | null {
    return this.#mode;
  }

  framesOf(op: number): VoiceFrame[] {
    return this.frames.filter((frame) => frame.op === op);
  }

  async waitForFrame(op: number, timeoutMs = 5000): Promise<VoiceFrame> {
    await waitUntil(() => this.frames.some((frame) => frame.op === op), { timeoutMs, what: `voice opcode ${op}` });
    return this.frames.find((frame) => frame.op === op)!;
  }

  /**
   * The audio received, decoded, as mono float samples at 48 kHz, each packet placed by its RTP
   * timestamp (so late or reordered datagrams land where they belong; missing ones are silence).
   */
  decodeAudio(ssrc = this.ssrc): Float32Array {
    const packets = this.packets.filter((packet) => packet.ssrc === ssrc);
    const first = packets[0];
    if (!first) return new Float32Array(0);
    const offsets = packets.map((packet) => (packet.timestamp - first.timestamp + 2 ** 32) % 2 ** 32);
    const length = Math.max(...offsets) + FRAME_SAMPLES;
    const out = new Float32Array(length);
    const decoder = new OpusScript(SAMPLE_RATE, CHANNELS, OpusScript.Application.AUDIO);
    try {
      packets.forEach((packet, i) => {
        const pcm = decoder.decode(packet.opus);
        const offset = offsets[i] ?? 0;
        const samples = pcm.length / 2 / CHANNELS;
        for (let s = 0; s < samples && offset + s < length; s++) {
          const left = pcm.readInt16LE(s * 4);
          const right = pcm.readInt16LE(s * 4 + 2);
          out[offset + s] = (left + right) / 2 / 0x8000;
        }
      });
    } finally {
      decoder.delete();
    }
    return out;
  }

  /** Closes every voice gateway connection with `code` (e.g. 4014: disconnected from the channel). */
  disconnectAll(code = 4014): void {
    for (const client of this.#clients) client.close(code, 'Closed by the fake voice server');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const client of this.#clients) client.terminate();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.#https.close(() => resolve()));
    await new Promise<void>((resolve) => this.#udp.close(() => resolve()));
  }

  async #listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#https.once('error', reject);
      this.#https.listen(0, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve, reject) => {
      this.#udp.once('error', reject);
      this.#udp.bind(0, '127.0.0.1', () => resolve());
    });
  }

  #accept(socket: WebSocket): void {
    this.#clients.add(socket);
    socket.on('close', () => this.#clients.delete(socket));
    socket.on('error', () => socket.terminate());
    socket.on('message', (raw, isBinary) => {
      if (isBinary) {
        const bytes = raw as Buffer;
        if (bytes.length >= 1) this.binaryOps.push(bytes.readUInt8(0));
        return;
      }
      let payload: { op?: unknown; d?: unknown };
      try {
        payload = JSON.parse(String(raw)) as { op?: unknown; d?: unknown };
      } catch {
        socket.close(4002, 'Failed to decode payload.');
        return;
      }
      const op = typeof payload.op === 'number' ? payload.op : -1;
      const d = (payload.d ?? null) as Record<string, unknown> | null;
      this.frames.push({ at: Date.now(), op, d: op === VoiceOpcodes.Identify && d ? { ...d, token: '[redacted]' } : d });
      switch (op) {
        case VoiceOpcodes.Identify:
          if (this.#options.silent) return;
          if (d?.token !== this.token) {
            socket.close(4004, 'Authentication failed.');
            return;
          }
          this.#send(socket, {
            op: VoiceOpcodes.Ready,
            d: {
              ssrc: this.ssrc,
              ip: '127.0.0.1',
              port: this.udpPort,
              modes: this.#options.modes ?? [AES_GCM_RTPSIZE, 'aead_xchacha20_poly1305_rtpsize'],
            },
          });
          break;
        case VoiceOpcodes.Heartbeat: {
          const nonce = d && typeof d === 'object' && 't' in d ? d.t : d;
          this.#send(socket, { op: VoiceOpcodes.HeartbeatAck, d: { t: nonce } });
          break;
        }
        case VoiceOpcodes.SelectProtocol: {
          const data = (d?.data ?? null) as { mode?: unknown } | null;
          const mode = typeof data?.mode === 'string' ? data.mode : '';
          if (mode !== AES_GCM_RTPSIZE && mode !== 'aead_xchacha20_poly1305_rtpsize') {
            socket.close(4016, 'Unknown encryption mode.');
            return;
          }
          this.#mode = mode;
          this.#send(socket, {
            op: VoiceOpcodes.SessionDescription,
            d: { mode, secret_key: [...this.secretKey], dave_protocol_version: this.#options.daveProtocolVersion ?? 0, audio_codec: 'opus', video_codec: null, media_session_id: randomBytes(16).toString('hex') },
          });
          break;
        }
        case VoiceOpcodes.Speaking:
        case VoiceOpcodes.Resume:
          break;
        default:
          // Other client opcodes (DAVE transitions, client flags…) are recorded and need no answer here.
          break;
      }
    });
    this.#send(socket, { op: VoiceOpcodes.Hello, d: { heartbeat_interval: this.#options.heartbeatIntervalMs ?? 13_750, v: 8 } });
  }

  #send(socket: WebSocket, payload: { op: number; d: unknown }): void {
    if (socket.readyState !== socket.OPEN) return;
    // v8 numbers the server's messages so that a resuming client can say what it has seen.
    socket.send(JSON.stringify({ ...payload, seq: ++this.#seq }));
  }

  #onDatagram(message: Buffer, remote: dgram.RemoteInfo): void {
    // IP discovery: request type 1, length 70, ssrc; answer type 2 with the address seen.
    if (message.length === 74 && message.readUInt16BE(0) === 1) {
      const answer = Buffer.alloc(74);
      answer.writeUInt16BE(2, 0);
      answer.writeUInt16BE(70, 2);
      answer.writeUInt32BE(message.readUInt32BE(4), 4);
      answer.write(remote.address, 8, 'utf8');
      answer.writeUInt16BE(remote.port, 72);
      this.#udp.send(answer, remote.port, remote.address);
      return;
    }
    // Keep-alive: 8 bytes, echoed.
    if (message.length === 8) {
      this.#udp.send(message, remote.port, remote.address);
      return;
    }
    if (message.length >= 12 + 16 + 4 && (message[0]! & 0xc0) === 0x80 && (message[1]! & 0x7f) === RTP_OPUS_PAYLOAD_TYPE) {
      const packet = this.#decrypt(message);
      if (packet) this.packets.push(packet);
      return;
    }
    this.rejected.push(`unknown datagram of ${message.length} bytes`);
  }

  /**
   * rtpsize modes: the RTP header (12 bytes, CSRCs, and the 4-byte extension header when the X bit
   * is set) is the additional data, in the clear; then ciphertext, the 16-byte tag, and a 4-byte
   * big-endian nonce counter, which padded with zeros to 12 bytes is the AES-GCM nonce.
   */
  #decrypt(message: Buffer): ReceivedPacket | null {
    if (this.#mode !== AES_GCM_RTPSIZE) {
      this.rejected.push(`RTP before/without ${AES_GCM_RTPSIZE} (mode ${this.#mode})`);
      return null;
    }
    const csrcCount = message[0]! & 0x0f;
    const hasExtension = (message[0]! & 0x10) !== 0;
    let headerLength = 12 + csrcCount * 4;
    if (hasExtension) headerLength += 4;
    const nonce = Buffer.alloc(12);
    message.copy(nonce, 0, message.length - 4);
    const tag = message.subarray(message.length - 4 - 16, message.length - 4);
    const ciphertext = message.subarray(headerLength, message.length - 4 - 16);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.secretKey, nonce);
      decipher.setAAD(message.subarray(0, headerLength));
      decipher.setAuthTag(tag);
      let plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
      if (hasExtension) {
        // The extension's body (length in 32-bit words, from its header) is encrypted with the payload.
        const words = message.readUInt16BE(headerLength - 2);
        plain = plain.subarray(words * 4);
      }
      return {
        at: Date.now(),
        sequence: message.readUInt16BE(2),
        timestamp: message.readUInt32BE(4),
        ssrc: message.readUInt32BE(8),
        opus: plain,
      };
    } catch (error) {
      this.rejected.push(`decryption failed: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
  }
}
