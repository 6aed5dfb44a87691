/**
 * A Server-Sent Events parser with the WHATWG rules the forge's stream needs: `id`, `event`
 * and `data` fields, comments, CR/LF/CRLF line ends, fed text as it arrives in any chunking.
 * (`EventSource` cannot send an `Authorization` header, so the SDK reads the stream itself.)
 */

/** A line or event longer than this ends the connection (the forge's are far smaller). */
export const MAX_EVENT_CHARS = 1 << 20;

export interface RawEvent {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

export class SseParser {
  private line = "";
  private data = "";
  private hasData = false;
  private id: string | undefined;
  private event: string | undefined;
  /** The previous character was a CR, so an LF right after it ends nothing more. */
  private afterCr = false;
  /**
   * The stream's last event id, as EventSource keeps it: set when a message ends, also by a
   * message with an `id:` and no data (the forge starts a fresh stream with one).
   */
  lastId: string | undefined;

  /** Feeds text; returns the events it completes. Throws when a line or event grows past the limit. */
  feed(text: string): RawEvent[] {
    const out: RawEvent[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      if (c === 10 && this.afterCr && i === start) {
        this.afterCr = false;
        start = i + 1;
        continue;
      }
      this.line += text.slice(start, i);
      start = i + 1;
      this.afterCr = c === 13;
      const line = this.line;
      this.line = "";
      this.lineDone(line, out);
    }
    if (start < text.length) {
      this.afterCr = false;
      this.line += text.slice(start);
    }
    if (this.line.length + this.data.length > MAX_EVENT_CHARS) {
      throw new Error(`an event is longer than ${MAX_EVENT_CHARS} characters`);
    }
    return out;
  }

  private lineDone(line: string, out: RawEvent[]): void {
    if (line === "") {
      if (this.id !== undefined) this.lastId = this.id;
      if (this.hasData) {
        const data = this.data.endsWith("\n") ? this.data.slice(0, -1) : this.data;
        out.push({ id: this.id, event: this.event, data });
      }
      this.data = "";
      this.hasData = false;
      this.event = undefined;
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon >= 0 ? line.slice(0, colon) : line;
    let value = colon >= 0 ? line.slice(colon + 1) : "";
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        this.data += `${value}\n`;
        this.hasData = true;
        break;
      case "id":
        if (!value.includes("\0")) this.id = value;
        break;
      case "event":
        this.event = value;
        break;
    }
  }
}
