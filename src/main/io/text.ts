import { isUtf8 } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';

/** How TextDecoding read a file's bytes (known once the first bytes arrived). */
export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/**
 * Windows-1252's characters for bytes 0x80–0x9F, where it differs from Latin-1 (WHATWG Encoding,
 * index-windows-1252); the five bytes it leaves undefined keep their Latin-1 code points.
 */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d,
  0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a,
  0x153, 0x9d, 0x17e, 0x178,
];

/** Bytes at the start of a file that decide between UTF-8 and Windows-1252. */
const DETECTION_BYTES = 1 << 16;

function decodeWindows1252(bytes: Buffer): string {
  return bytes
    .toString('latin1')
    .replace(/[\u0080-\u009f]/g, (c) => String.fromCharCode(CP1252_HIGH[c.charCodeAt(0) - 0x80]));
}

/**
 * True when `bytes` are UTF-8 but for a character cut at their end (a chunk boundary): at most
 * three trailing bytes are left out of the check.
 */
function isUtf8Start(bytes: Buffer): boolean {
  for (let cut = 0; cut <= Math.min(3, bytes.length); cut++) {
    if (isUtf8(bytes.subarray(0, bytes.length - cut))) return true;
  }
  return false;
}

/**
 * Decodes the bytes of a text file chunk by chunk into the text the table readers split:
 *
 * - Encoding: UTF-8, or UTF-16 when the file starts with a UTF-16 byte-order mark (FF FE little-
 *   endian, as Excel's "Unicode Text" and pandas' `encoding="utf-16"` write; FE FF big-endian).
 *   The mark itself becomes U+FEFF, which the readers drop as they drop UTF-8's. A first chunk
 *   that is not UTF-8 is Windows-1252 (Excel's "CSV" on Windows; Latin-1 but for 0x80–0x9F),
 *   read as such rather than with U+FFFD in place of every accented letter; bytes that are not
 *   UTF-8 further on still read as U+FFFD, and `replacedBytes` then says so.
 * - Line breaks: LF and CRLF pass as they are (the readers strip a CR before LF). A file whose
 *   first line break is a lone CR (classic Mac OS line ends, Excel for Mac's "CSV (Macintosh)")
 *   has every CR turned into LF; without this such a file is one line, its rows glued into the
 *   header's last name.
 *
 * `write` returns the text of the bytes given so far (holding back an incomplete character, and a
 * CR at the end of a chunk until the next byte says whether LF follows); `end` returns the rest.
 */
export class TextDecoding {
  /** How the bytes are read; 'utf-8' until the first bytes say otherwise. */
  encoding: TextEncoding = 'utf-8';
  /** True once bytes read as UTF-8 turned out not to be (they became U+FFFD). */
  replacedBytes = false;
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
        this.encoding = 'utf-16le';
      } else if (bytes[0] === 0xfe && bytes[1] === 0xff) {
        this.decoder = new StringDecoder('utf16le');
        this.bigEndian = true;
        this.encoding = 'utf-16be';
      } else {
        this.decoder = new StringDecoder('utf8');
        // The first 64 KiB decide, whatever the chunk size, so that a preview (which reads a
        // head) and the import read a file alike.
        if (!isUtf8Start(bytes.subarray(0, DETECTION_BYTES))) this.encoding = 'windows-1252';
      }
    }
    if (this.encoding === 'windows-1252') return decodeWindows1252(bytes);
    if (!this.bigEndian) {
      const text = this.decoder.write(bytes);
      if (this.encoding === 'utf-8' && !this.replacedBytes && text.includes('\uFFFD'))
        this.replacedBytes = true;
      return text;
    }
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

/** What a reader says of the way it decoded a file, when that was not plain UTF-8. */
export function encodingWarnings(decoding: TextDecoding): string[] {
  const warnings: string[] = [];
  if (decoding.encoding === 'windows-1252')
    warnings.push('read as Windows-1252 (Latin-1) text: the file is not UTF-8');
  if (decoding.replacedBytes)
    warnings.push(
      'holds bytes that are not UTF-8 (read as "\uFFFD"): names may have lost letters; save the file as UTF-8',
    );
  return warnings;
}
