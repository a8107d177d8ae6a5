// A minimal Ogg muxer (RFC 3533) for one logical stream: packets in, pages out.
//
// Every packet is laced into 255-byte segments (a packet whose length is a multiple of 255 ends
// with a 0-length segment); a page holds whole packets only, up to 255 segments, and carries the
// granule position the codec gives for the last packet that ends on it. The CRC is Ogg's: CRC-32
// with polynomial 0x04C11DB7, unreflected, initial value 0, no final xor, over the page with its
// CRC field zeroed.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let bit = 0; bit < 8; bit++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

export function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < bytes.length; i++) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ bytes[i]!) & 0xff]!) >>> 0;
  return crc;
}

const FLAG_BOS = 0x02;
const FLAG_EOS = 0x04;
const MAX_SEGMENTS = 255;
const HEADER_BYTES = 27;

export interface OggPacket {
  readonly data: Uint8Array;
  /** Granule position after this packet (codec-defined; for Opus, 48 kHz samples incl. pre-skip). */
  readonly granule: bigint;
}

export class OggWriter {
  private readonly serial: number;
  private sequence = 0;
  private readonly pages: Uint8Array[] = [];
  private pending: OggPacket[] = [];
  private pendingSegments = 0;
  private readonly maxPacketsPerPage: number;

  constructor(serial: number, options: { maxPacketsPerPage?: number } = {}) {
    this.serial = serial >>> 0;
    this.maxPacketsPerPage = options.maxPacketsPerPage ?? 50;
  }

  /** A header packet on a page of its own (Opus: OpusHead first, with the BOS flag; then OpusTags). */
  writeHeaderPage(data: Uint8Array): void {
    if (this.pending.length > 0) throw new Error('header pages must come before audio packets');
    this.pages.push(this.page([{ data, granule: 0n }], this.sequence === 0 ? FLAG_BOS : 0));
  }

  writePacket(packet: OggPacket): void {
    const segments = segmentCount(packet.data.length);
    if (segments > MAX_SEGMENTS) throw new RangeError(`packet of ${packet.data.length} bytes is too large for one page`);
    if (this.pendingSegments + segments > MAX_SEGMENTS || this.pending.length >= this.maxPacketsPerPage) this.flush(0);
    this.pending.push(packet);
    this.pendingSegments += segments;
  }

  /** Flushes the last page with the EOS flag and returns the whole stream. */
  finish(): Uint8Array {
    if (this.pending.length === 0) throw new Error('an Ogg stream needs at least one packet after its headers');
    this.flush(FLAG_EOS);
    let length = 0;
    for (const page of this.pages) length += page.length;
    const out = new Uint8Array(length);
    let offset = 0;
    for (const page of this.pages) {
      out.set(page, offset);
      offset += page.length;
    }
    return out;
  }

  private flush(flags: number): void {
    if (this.pending.length === 0) return;
    this.pages.push(this.page(this.pending, flags));
    this.pending = [];
    this.pendingSegments = 0;
  }

  private page(packets: readonly OggPacket[], flags: number): Uint8Array {
    const lacing: number[] = [];
    let bodyLength = 0;
    for (const { data } of packets) {
      let remaining = data.length;
      while (remaining >= 255) {
        lacing.push(255);
        remaining -= 255;
      }
      lacing.push(remaining);
      bodyLength += data.length;
    }
    const page = new Uint8Array(HEADER_BYTES + lacing.length + bodyLength);
    const view = new DataView(page.buffer);
    page.set([0x4f, 0x67, 0x67, 0x53]); // "OggS"
    page[4] = 0; // stream structure version
    page[5] = flags;
    view.setBigInt64(6, packets.at(-1)!.granule, true);
    view.setUint32(14, this.serial, true);
    view.setUint32(18, this.sequence++, true);
    // bytes 22–25: CRC, filled in below
    page[26] = lacing.length;
    page.set(lacing, HEADER_BYTES);
    let offset = HEADER_BYTES + lacing.length;
    for (const { data } of packets) {
      page.set(data, offset);
      offset += data.length;
    }
    view.setUint32(22, oggCrc(page), true);
    return page;
  }
}

function segmentCount(bytes: number): number {
  return Math.floor(bytes / 255) + 1;
}
