/**
 * Text from files (cell values, names, file names) can carry terminal control sequences: ESC
 * (0x1b) starts ANSI/VT100 sequences that can rewrite the screen, set the window title or, in some
 * terminals, write to the clipboard; C1 controls (U+0080–U+009F, e.g. U+009B CSI) do the same in
 * terminals that honour 8-bit controls, and CR/BS overwrite what was printed. JSON.stringify escapes
 * C0 controls inside strings but passes DEL and C1 through. Everything the CLI prints goes through
 * here: every control character except newline and tab is shown as a `\uXXXX` escape (still valid
 * JSON inside a string, and visible to the reader).
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function terminalSafe(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
