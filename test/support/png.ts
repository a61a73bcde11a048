import { inflateSync } from "node:zlib";

/** A decoded image: width, height and RGBA bytes (4 per pixel, row by row). */
export interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array;
}

/**
 * Decodes an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium's screenshots are) into RGBA pixels. Throws for
 * any other kind of PNG. Pure.
 */
export const decodePng = (png: Buffer): Pixels => {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error("not a PNG");
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, color, , , interlace] = [body[8], body[9], body[10], body[11], body[12]];
      if (depth !== 8 || interlace !== 0 || (color !== 2 && color !== 6))
        throw new Error(`unsupported PNG: depth ${depth}, color type ${color}, interlace ${interlace}`);
      channels = color === 6 ? 4 : 3;
    } else if (type === "IDAT") data.push(body);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const out = new Uint8Array(width * height * 4);
  let previous = new Uint8Array(stride);
  for (let y = 0; y < height; y += 1) {
    const filter = raw[y * (stride + 1)] ?? 0;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const current = new Uint8Array(stride);
    for (let x = 0; x < stride; x += 1) {
      const a = x >= channels ? (current[x - channels] ?? 0) : 0;
      const b = previous[x] ?? 0;
      const c = x >= channels ? (previous[x - channels] ?? 0) : 0;
      const value = line[x] ?? 0;
      const predictor =
        filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : paeth(a, b, c);
      current[x] = (value + predictor) & 0xff;
    }
    for (let x = 0; x < width; x += 1) {
      out.set(current.subarray(x * channels, x * channels + 3), (y * width + x) * 4);
      out[(y * width + x) * 4 + 3] = channels === 4 ? (current[x * channels + 3] ?? 255) : 255;
    }
    previous = current;
  }
  return { width, height, rgba: out };
};

const paeth = (a: number, b: number, c: number): number => {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
};

/** Distinct colors and the share of pixels that differ from the most common one (the background). Pure. */
export const inkOf = (pixels: Pixels): { colors: number; inked: number } => {
  const counts = new Map<number, number>();
  for (let index = 0; index < pixels.rgba.length; index += 4) {
    const key =
      ((pixels.rgba[index] ?? 0) << 16) | ((pixels.rgba[index + 1] ?? 0) << 8) | (pixels.rgba[index + 2] ?? 0);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const total = pixels.width * pixels.height;
  const background = Math.max(...counts.values());
  return { colors: counts.size, inked: (total - background) / total };
};
