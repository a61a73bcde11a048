// Structural check of an age v1 file (https://age-encryption.org/v1) without any key: the
// header's version line, recipient stanzas and MAC line, then a payload whose length fits
// the STREAM construction (16-byte nonce, 64 KiB chunks each with a 16-byte tag).

const VERSION_LINE = "age-encryption.org/v1\n";
const CHUNK = 64 * 1024 + 16;
const MAX_HEADER = 64 * 1024;

/**
 * Parses the header of an age file held in memory (pure); returns stanza counts and the payload size, or an error
 * description.
 */
export const parseAgeHeader = (
  data: Buffer,
): { stanzas: number; x25519Stanzas: number; payloadSize: number } | { error: string } => {
  if (!data.subarray(0, VERSION_LINE.length).equals(Buffer.from(VERSION_LINE)))
    return { error: "not an age v1 file (bad version line)" };
  const text = data.subarray(0, Math.min(data.length, MAX_HEADER)).toString("latin1");
  const macAt = text.indexOf("\n--- ");
  if (macAt < 0) return { error: "age header has no MAC line" };
  const macEnd = text.indexOf("\n", macAt + 1);
  if (macEnd < 0) return { error: "age header MAC line is not terminated" };
  const lines = text
    .slice(VERSION_LINE.length, macAt + 1)
    .split("\n")
    .slice(0, -1);
  let stanzas = 0;
  let x25519Stanzas = 0;
  for (const line of lines) {
    if (line.startsWith("-> ")) {
      stanzas += 1;
      if (line.split(" ")[1] === "X25519") x25519Stanzas += 1;
    } else if (!/^[A-Za-z0-9+/]{0,64}$/.test(line)) return { error: "age header has a malformed stanza line" };
  }
  if (stanzas === 0) return { error: "age header has no recipient stanza" };
  if (!/^[A-Za-z0-9+/]{43}$/.test(text.slice(macAt + 5, macEnd))) return { error: "age header MAC is malformed" };
  const payloadSize = data.length - (macEnd + 1);
  const body = payloadSize - 16;
  if (body < 16 || (body % CHUNK !== 0 && body % CHUNK < 16))
    return { error: `age payload of ${payloadSize} bytes is truncated` };
  return { stanzas, x25519Stanzas, payloadSize };
};
