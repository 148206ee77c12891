import { StringDecoder } from 'node:string_decoder';

/**
 * Decodes the bytes of a text file chunk by chunk into the text the table readers split:
 *
 * - Encoding: UTF-8, or UTF-16 when the file starts with a UTF-16 byte-order mark (FF FE little-
 *   endian, as Excel's "Unicode Text" and pandas' `encoding="utf-16"` write; FE FF big-endian).
 *   The mark itself becomes U+FEFF, which the readers drop as they drop UTF-8's.
 * - Line breaks: LF and CRLF pass as they are (the readers strip a CR before LF). A file whose
 *   first line break is a lone CR (classic Mac OS line ends, Excel for Mac's "CSV (Macintosh)")
 *   has every CR turned into LF; without this such a file is one line, its rows glued into the
 *   header's last name.
 *
 * `write` returns the text of the bytes given so far (holding back an incomplete character, and a
 * CR at the end of a chunk until the next byte says whether LF follows); `end` returns the rest.
 */
export class TextDecoding {
  private decoder: StringDecoder | null = null;
  /** UTF-16 big-endian: bytes are swapped in pairs; an odd byte waits for its partner. */
  private bigEndian = false;
  private oddByte: Buffer | null = null;
  /** The first byte, when the first chunk held only one (a byte-order mark needs two). */
  private firstByte: Buffer | null = null;
  /** Null until the first line break is seen: then whether lone CRs end the lines. */
  private crLines: boolean | null = null;
  private heldCr = false;

  write(chunk: Buffer): string {
    return this.lineBreaks(this.decode(chunk), false);
  }

  end(): string {
    let text = '';
    if (this.decoder === null && this.firstByte !== null) text = this.decode(Buffer.alloc(0), true);
    if (this.decoder !== null) text += this.decoder.end();
    return this.lineBreaks(text, true);
  }

  private decode(chunk: Buffer, final = false): string {
    let bytes = chunk;
    if (this.decoder === null) {
      if (this.firstByte !== null) bytes = Buffer.concat([this.firstByte, bytes]);
      if (bytes.length < 2 && !final) {
        this.firstByte = bytes.length === 1 ? Buffer.from(bytes) : null;
        return '';
      }
      this.firstByte = null;
      if (bytes[0] === 0xff && bytes[1] === 0xfe) {
        this.decoder = new StringDecoder('utf16le');
      } else if (bytes[0] === 0xfe && bytes[1] === 0xff) {
        this.decoder = new StringDecoder('utf16le');
        this.bigEndian = true;
      } else {
        this.decoder = new StringDecoder('utf8');
      }
    }
    if (!this.bigEndian) return this.decoder.write(bytes);
    if (this.oddByte !== null) {
      bytes = Buffer.concat([this.oddByte, bytes]);
      this.oddByte = null;
    }
    const even = bytes.length & ~1;
    if (even < bytes.length) this.oddByte = Buffer.from(bytes.subarray(even));
    // A copy: swap16 works in place, and the chunk belongs to the stream.
    const swapped = Buffer.from(bytes.subarray(0, even)).swap16();
    return this.decoder.write(swapped);
  }

  private lineBreaks(decoded: string, final: boolean): string {
    let text = decoded;
    if (this.heldCr) {
      text = `\r${text}`;
      this.heldCr = false;
    }
    if (this.crLines === null) {
      const cr = text.indexOf('\r');
      const lf = text.indexOf('\n');
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        if (cr === text.length - 1 && !final) {
          this.heldCr = true;
          return text.slice(0, -1);
        }
        this.crLines = text.charCodeAt(cr + 1) !== 10;
      } else if (lf >= 0) {
        this.crLines = false;
      }
    }
    return this.crLines === true ? text.replaceAll('\r', '\n') : text;
  }
}

/** The whole text of a file's bytes, decoded as TextDecoding decodes a stream of them. */
export function decodeText(bytes: Buffer): string {
  const decoding = new TextDecoding();
  return decoding.write(bytes) + decoding.end();
}

/** True when the bytes start with a UTF-16 byte-order mark (see TextDecoding). */
export function hasUtf16Mark(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 2 &&
    ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
  );
}
